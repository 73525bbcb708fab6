/**
 * Outbound records in the Confluent wire format (OUTPUT_FORMAT=avro or
 * json-schema): the relay registers the schema of each outbound topic under
 * `<topic>-value` on first use and encodes segment-changed, churn-risk and
 * dead-letter values with it. Everything else (the internal topic) passes as is.
 * A registry that cannot be reached fails the relay pass, which is retried: the
 * outbox keeps the records until they are sent.
 */
import { SchemaType, type SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { avroSchemaFor } from '../contracts/avro.js';
import { jsonSchemaFor } from '../contracts/json-schema.js';
import { TOPIC_CONTRACTS, type TopicContract } from '../contracts/topics.js';
import type { Settings } from '../config/settings.js';
import { createSchemaRegistry, type SchemaRegistrySettings } from './client.js';

export type OutputFormat = Settings['OUTPUT_FORMAT'];

export interface EncodableRecord {
  readonly topic: string;
  readonly value: string | Buffer;
}

export class OutboundEncoder {
  private readonly ids = new Map<string, Promise<number>>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly format: Exclude<OutputFormat, 'json'>,
    /** Outbound topic name → its contract. */
    private readonly contracts: ReadonlyMap<string, TopicContract>,
  ) {}

  /** The records' values in the wire format, in order. */
  async encode<T extends EncodableRecord>(records: readonly T[]): Promise<T[]> {
    const out: T[] = [];
    for (const record of records) {
      const contract = this.contracts.get(record.topic);
      if (contract === undefined) {
        out.push(record);
        continue;
      }
      const id = await this.schemaId(record.topic, contract);
      const value: unknown = JSON.parse(typeof record.value === 'string' ? record.value : record.value.toString('utf8'));
      out.push({ ...record, value: await this.registry.encode(id, value) });
    }
    return out;
  }

  private schemaId(topic: string, contract: TopicContract): Promise<number> {
    let id = this.ids.get(topic);
    if (id === undefined) {
      const subject = `${topic}-value`;
      const registered =
        this.format === 'avro'
          ? this.registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(avroSchemaFor(contract)) }, { subject })
          : this.registry.register({ type: SchemaType.JSON, schema: JSON.stringify(jsonSchemaFor(contract)) }, { subject });
      id = registered.then((r) => r.id);
      // A failed registration (registry down) is tried again on the next pass.
      id.catch(() => this.ids.delete(topic));
      this.ids.set(topic, id);
    }
    return id;
  }
}

export type OutboundEncoderSettings = SchemaRegistrySettings & Pick<Settings, 'OUTPUT_FORMAT' | 'TOPIC_SEGMENT_CHANGED' | 'TOPIC_CHURN_RISK' | 'TOPIC_DEAD_LETTER'>;

/** The encoder for these settings, or null for plain JSON. */
export function outboundEncoderFrom(settings: OutboundEncoderSettings): OutboundEncoder | null {
  if (settings.OUTPUT_FORMAT === 'json') return null;
  const registry = createSchemaRegistry(settings);
  if (registry === null) throw new Error(`OUTPUT_FORMAT=${settings.OUTPUT_FORMAT} needs SCHEMA_REGISTRY_URL`);
  const byId = (id: string) => TOPIC_CONTRACTS.find((c) => c.id === id) as TopicContract;
  const contracts = new Map<string, TopicContract>([
    [settings.TOPIC_SEGMENT_CHANGED, byId('segment-changed')],
    [settings.TOPIC_CHURN_RISK, byId('churn-risk')],
    [settings.TOPIC_DEAD_LETTER, byId('dead-letter')],
  ]);
  return new OutboundEncoder(registry, settings.OUTPUT_FORMAT, contracts);
}
