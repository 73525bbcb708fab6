/**
 * Kafka message value → validated domain input, for plain JSON and for Confluent
 * Schema Registry framing (magic byte 0, a 4-byte schema id, then the encoded
 * payload — Avro, JSON Schema or Protobuf — decoded by
 * @kafkajs/confluent-schema-registry and then checked against our contracts like
 * any JSON). Undecodable input is a `Rejection` for the dead-letter topic; only an
 * unreachable registry is an error (retried, never dead-lettered: the message is
 * fine, the registry is not).
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { InboundType } from '../contracts/inbound.js';
import { decodeBytes, decodeValue, type Decoded, type IngestRules } from '../ingest/decode.js';

const MAGIC_BYTE = 0;
const FRAME_HEADER = 5;

export class RegistryUnavailableError extends Error {
  readonly retriable = true;
  constructor(cause: unknown) {
    super(`Schema Registry unavailable: ${(cause as Error).message}`, { cause });
    this.name = 'RegistryUnavailableError';
  }
}

export class MessageDecoder {
  constructor(
    readonly rules: IngestRules,
    private readonly registry: SchemaRegistry | null,
    private readonly now: () => number = Date.now,
  ) {}

  async decode(value: Buffer | null, expected: InboundType): Promise<Decoded> {
    if (value === null || value.length === 0 || value[0] !== MAGIC_BYTE) {
      return decodeBytes(value, expected, this.rules, this.now());
    }
    if (value.length > this.rules.maxMessageBytes) return decodeBytes(value, expected, this.rules, this.now());
    if (value.length <= FRAME_HEADER) {
      return framing(`a Schema Registry frame needs ${FRAME_HEADER} header bytes and a payload; got ${value.length} bytes`);
    }
    const schemaId = value.readUInt32BE(1);
    if (this.registry === null) {
      return framing(`Schema Registry framed payload (schema id ${schemaId}) but SCHEMA_REGISTRY_URL is not configured`);
    }
    let payload: unknown;
    try {
      payload = await this.registry.decode(value);
    } catch (error) {
      if (isUnavailable(error)) throw new RegistryUnavailableError(error);
      const message = `schema id ${schemaId}: ${(error as Error).message}`;
      return {
        ok: false,
        rejection: { code: 'schema_registry_error', message, issues: [{ field: '', rule: 'schema_registry', message }] },
      };
    }
    return decodeValue(payload, expected, this.rules, this.now());
  }
}

function framing(message: string): Decoded {
  return {
    ok: false,
    rejection: { code: 'bad_schema_registry_framing', message, issues: [{ field: '', rule: 'framing', message }] },
  };
}

/** Network failures and 5xx answers mean "try again later"; 4xx (unknown schema) and decode errors do not. */
function isUnavailable(error: unknown): boolean {
  const e = error as { status?: number; code?: string; message?: string };
  if (typeof e.status === 'number') return e.status >= 500;
  return typeof e.code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE)$/.test(e.code);
}
