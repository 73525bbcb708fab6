/**
 * The dead-letter record: the original bytes (base64, so nothing is lost to
 * re-encoding), where they came from, and the specific reason they were rejected.
 */
import { z } from 'zod';
import { timestamp } from './primitives.js';

export const DEAD_LETTER_CODES = [
  'invalid_utf8',
  'malformed_json',
  'ill_formed_unicode',
  'not_an_object',
  'unknown_event_type',
  'topic_mismatch',
  'invalid_event',
  'oversized',
  'bad_schema_registry_framing',
  'schema_registry_error',
  'unknown_schema_id',
  'schema_mismatch',
  'unconvertible_currency',
  'out_of_time_window',
  'processing_error',
] as const;
export type DeadLetterCode = (typeof DEAD_LETTER_CODES)[number];

export const fieldIssueSchema = z.strictObject({
  field: z.string().describe('Dotted path of the offending field; empty for the whole payload.'),
  rule: z.string().describe('The rule that failed (e.g. max_length, precision, time_window).'),
  message: z.string(),
});

export const deadLetterSchema = z.strictObject({
  type: z.literal('dead-letter'),
  source: z.strictObject({
    topic: z.string(),
    partition: z.number().int().min(0),
    offset: z.string().regex(/^\d+$/).describe('Kafka offset as a decimal string (int64).'),
    timestamp: z.string().nullable().describe('Kafka record timestamp (ms since epoch) as sent by the producer.'),
  }),
  key_base64: z.string().nullable(),
  value_base64: z.string().nullable(),
  headers: z
    .array(z.strictObject({ key: z.string(), value_base64: z.string().nullable() }))
    .describe('Original headers in order (a repeated header appears once per value), values base64-encoded.'),
  error: z.strictObject({
    code: z.enum(DEAD_LETTER_CODES),
    message: z.string(),
    issues: z.array(fieldIssueSchema),
  }),
  rejected_at: timestamp,
  processor_version: z.string(),
});

export type FieldIssue = z.infer<typeof fieldIssueSchema>;
export type DeadLetterRecord = z.infer<typeof deadLetterSchema>;
