/**
 * The dead-letter record for a rejected message: original key, value and headers
 * as base64 (bytes survive exactly), the source coordinates and the reason.
 */
import type { IHeaders } from 'kafkajs';
import type { DeadLetterRecord } from '../contracts/dead-letter.js';
import type { Rejection } from './decode.js';

export interface SourceMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: string | null;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders | undefined;
}

export function deadLetterRecord(message: SourceMessage, rejection: Rejection, nowMs: number, version: string): DeadLetterRecord {
  const headers: DeadLetterRecord['headers'] = [];
  for (const [key, value] of Object.entries(message.headers ?? {})) {
    // kafkajs gives a repeated header as an array of its values.
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) headers.push({ key, value_base64: v === undefined ? null : Buffer.from(v).toString('base64') });
  }
  return {
    type: 'dead-letter',
    source: { topic: message.topic, partition: message.partition, offset: message.offset, timestamp: message.timestamp },
    key_base64: message.key === null ? null : message.key.toString('base64'),
    value_base64: message.value === null ? null : message.value.toString('base64'),
    headers,
    error: { code: rejection.code, message: rejection.message, issues: rejection.issues },
    rejected_at: new Date(nowMs).toISOString(),
    processor_version: version,
  };
}
