/**
 * Kafka message value → validated domain input, for plain JSON and for Confluent
 * Schema Registry framing (magic byte 0, a 4-byte schema id, then the encoded
 * payload — Avro, JSON Schema or Protobuf — decoded by
 * @kafkajs/confluent-schema-registry and then checked against our contracts like
 * any JSON; an Avro record is first put in the contract's JSON shape, see
 * contracts/avro.ts). Undecodable input is a `Rejection` for the dead-letter
 * topic; only an unreachable registry is an error (retried, never dead-lettered:
 * the message is fine, the registry is not).
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { fromAvro } from '../contracts/avro.js';
import type { DeadLetterCode } from '../contracts/dead-letter.js';
import type { InboundType } from '../contracts/inbound.js';
import { TOPIC_CONTRACTS } from '../contracts/topics.js';
import { decodeBytes, decodeValue, rejected, type EventDecoded, type IngestRules } from './decode.js';

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

  async decode(value: Buffer | null, expected: InboundType): Promise<EventDecoded> {
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
    // The schema first (the client caches it): its failures are the registry's or
    // the id's; once it is known, a payload that does not decode is the payload's.
    let schema: unknown;
    try {
      schema = await this.registry.getSchema(schemaId);
    } catch (error) {
      if (isUnavailable(error)) throw new RegistryUnavailableError(error);
      if ((error as { status?: number }).status === 404) {
        return registryRejection('unknown_schema_id', `schema id ${schemaId} is not registered`);
      }
      return registryRejection('schema_registry_error', `schema id ${schemaId}: ${(error as Error).message}`);
    }
    let payload: unknown;
    try {
      payload = await this.registry.decode(value);
    } catch (error) {
      if (isUnavailable(error)) throw new RegistryUnavailableError(error);
      return registryRejection('schema_mismatch', `the payload does not match schema id ${schemaId}: ${describeDecodeError(error)}`);
    }
    if (avro.Type.isType(schema)) payload = fromAvro(contractOf(expected), payload);
    return decodeValue(payload, expected, this.rules, this.now());
  }
}

function contractOf(type: InboundType) {
  const contract = TOPIC_CONTRACTS.find((c) => c.id === type);
  if (contract === undefined) throw new Error(`no contract for ${type}`);
  return contract;
}

function framing(message: string): EventDecoded {
  return rejected({ code: 'bad_schema_registry_framing', message, issues: [{ field: '', rule: 'framing', message }] });
}

function registryRejection(code: DeadLetterCode, message: string): EventDecoded {
  return rejected({ code, message, issues: [{ field: '', rule: 'schema_registry', message }] });
}

/** The client's validation error names the offending paths apart from its message. */
function describeDecodeError(error: unknown): string {
  const e = error as { message?: string; paths?: unknown[] };
  const paths = Array.isArray(e.paths) && e.paths.length > 0 ? ` at ${[...new Set(e.paths.map((p) => (Array.isArray(p) ? p.join('.') : String(p))))].join(', ')}` : '';
  return `${e.message ?? String(error)}${paths}`;
}

/**
 * The client reports a request that got no HTTP answer (refused, reset, timed
 * out) as status 400 with the network error's text, not as an HTTP status.
 */
const NO_ANSWER = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)\b|socket hang up|Timeout \(\d+ms\)/;

/** No answer, timeouts and 5xx answers mean "try again later"; 4xx (unknown schema) and decode errors do not. */
function isUnavailable(error: unknown): boolean {
  const e = error as { status?: number; code?: string; message?: string };
  if (typeof e.status === 'number') return e.status >= 500 || e.status === 408 || (e.status === 400 && NO_ANSWER.test(e.message ?? ''));
  return typeof e.code === 'string' && NO_ANSWER.test(e.code);
}
