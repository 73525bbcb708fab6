/**
 * Avro schemas derived from the zod contracts (through their JSON Schemas), and
 * the mapping of an Avro-decoded value back to the contract's JSON shape. Pure:
 * `scripts/generate-schemas.ts` writes the schemas to `schemas/avro/`, the drift
 * test checks them, the registry adapters register and read with them.
 *
 * Choices, so that the Avro form carries the same events as the JSON one:
 * - Value sets (enums, literals such as `type`) are Avro strings: the contract
 *   checks them, and a value added later never breaks an Avro reader.
 * - An optional field is a union with null, default null; a null read back
 *   means "absent" (`fromAvro` drops it). A nullable field is the same union
 *   without a default, and its null is kept.
 * - A decimal amount (string or number in JSON) is the union string | double.
 * - A tagged union of objects (an emission's `cause`) is one record holding
 *   every branch's fields, each optional except those all branches share:
 *   Avro readers would otherwise see a branch-wrapped value.
 * - Integers are `long` (minor units exceed 32 bits).
 */
import { z } from 'zod';
import type { TopicContract } from './topics.js';

export const AVRO_NAMESPACE = 'dev.clvstream';

export type AvroType = string | AvroType[] | { readonly [key: string]: unknown };

interface JsonNode {
  readonly type?: string | string[];
  readonly properties?: Record<string, JsonNode>;
  readonly required?: string[];
  readonly items?: JsonNode;
  readonly anyOf?: JsonNode[];
  readonly oneOf?: JsonNode[];
  readonly description?: string;
}

export function avroSchemaFileName(contract: TopicContract): string {
  return `${contract.id}.avsc`;
}

/** The contract as producers may write it (the JSON Schema's view, without its document header). */
function jsonNodeOf(contract: TopicContract): JsonNode {
  return z.toJSONSchema(contract.schema, { target: 'draft-2020-12', io: 'input' }) as JsonNode;
}

/** The contract's Avro record schema (a JSON-serialisable object). */
export function avroSchemaFor(contract: TopicContract): Record<string, unknown> {
  const root = jsonNodeOf(contract);
  return { ...record(pascal(contract.id), root), namespace: AVRO_NAMESPACE, doc: contract.description };
}

function record(name: string, node: JsonNode): Record<string, unknown> {
  const properties = node.properties ?? {};
  const required = new Set(node.required ?? []);
  const fields = Object.entries(properties).map(([field, schema]) => {
    const type = avroType(name + pascal(field), schema);
    const doc = schema.description === undefined ? {} : { doc: schema.description };
    return required.has(field) ? { name: field, type, ...doc } : { name: field, type: withNull(type), default: null, ...doc };
  });
  return { type: 'record', name, fields };
}

function avroType(name: string, node: JsonNode): AvroType {
  if (node.oneOf !== undefined) return record(name, flattened(node.oneOf));
  if (node.anyOf !== undefined) return union(node.anyOf.map((branch) => avroType(name, branch)));
  if (Array.isArray(node.type)) return union(node.type.map((t) => avroType(name, { ...node, type: t })));
  switch (node.type) {
    case 'object':
      return record(name, node);
    case 'array':
      return { type: 'array', items: avroType(name + 'Item', node.items ?? {}) };
    case 'string':
      return 'string';
    case 'integer':
      return 'long';
    case 'number':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case undefined:
    default:
      throw new Error(`no Avro type for JSON Schema node ${JSON.stringify(node)}`);
  }
}

/** Every branch's properties in one object; required only what every branch requires. */
function flattened(branches: readonly JsonNode[]): JsonNode {
  const properties: Record<string, JsonNode> = {};
  for (const branch of branches) Object.assign(properties, branch.properties);
  const required = Object.keys(properties).filter((p) => branches.every((b) => b.required?.includes(p)));
  return { type: 'object', properties, required };
}

/** A union with null first (what a default of null requires), nested unions flattened. */
function union(types: readonly AvroType[]): AvroType {
  const flat = types.flatMap((t) => (Array.isArray(t) ? t : [t]));
  const hasNull = flat.includes('null');
  const rest = flat.filter((t) => t !== 'null');
  const all = hasNull ? ['null', ...rest] : rest;
  return all.length === 1 ? (all[0] as AvroType) : all;
}

function withNull(type: AvroType): AvroType {
  return union(['null', type]);
}

/**
 * An Avro-decoded value in the contract's JSON shape: plain objects, and the
 * null of an optional field dropped (Avro has no "absent"). Fields the contract
 * does not know are kept, for the contract's unknown-field rule to judge.
 */
export function fromAvro(contract: TopicContract, value: unknown): unknown {
  return toJsonShape(jsonNodeOf(contract), value);
}

function toJsonShape(node: JsonNode, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => toJsonShape(node.items ?? {}, item));
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return value;
  const shape = objectNode(node);
  const required = new Set(shape.required ?? []);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null && !required.has(key)) continue;
    out[key] = toJsonShape(shape.properties?.[key] ?? {}, v);
  }
  return out;
}

function objectNode(node: JsonNode): JsonNode {
  if (node.oneOf !== undefined) return flattened(node.oneOf);
  const branch = node.anyOf?.find((b) => b.type === 'object' || b.oneOf !== undefined);
  return branch === undefined ? node : objectNode(branch);
}

function pascal(id: string): string {
  return id
    .split(/[-_]/)
    .map((part) => (part[0]?.toUpperCase() ?? '') + part.slice(1))
    .join('');
}
