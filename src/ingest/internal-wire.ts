/**
 * The internal topic's wire format, both ways: the records a partition sends to
 * the owner of another customer, and what the owner makes of them (see
 * contracts/internal.ts).
 */
import type { InboundEvent } from '../contracts/inbound.js';
import { internalSchema, type InternalRecord, type PartitionProgress, type Reroute } from '../contracts/internal.js';
import type { CrossCustomerInput } from '../domain/apply.js';
import { DAY_MS, localDayOf } from '../domain/time.js';
import { decodeValue, rejected, routed, utf8Text, type Decoded, type IngestRules } from './decode.js';

const MINUTE_MS = 60_000;
const MAX_OFFSET_MS = 14 * 60 * MINUTE_MS;

export function internalRecordOf(input: CrossCustomerInput): InternalRecord {
  const occurred_at = isoOnDay(input.at, input.day);
  const settled = input.applyAt === -Infinity ? {} : { apply_at: isoOnDay(input.applyAt, input.applyDay) };
  switch (input.kind) {
    case 'referral_attributed':
      return {
        kind: 'referral_attributed',
        event_id: input.eventId,
        target_customer_id: input.customerId,
        referrer_customer_id: input.referrerId,
        occurred_at,
        ...settled,
      };
    case 'referral_credit':
      return {
        kind: 'referral_credit',
        event_id: input.eventId,
        target_customer_id: input.customerId,
        source_customer_id: input.sourceCustomerId,
        value_minor: input.valueMinor,
        first_purchase: input.firstPurchase,
        purchases: input.purchases,
        ...(input.sequence === null ? {} : { sequence: input.sequence }),
        occurred_at,
        ...settled,
      };
  }
}

export function progressRecordOf(sourcePartition: number, position: number, initial: boolean): PartitionProgress {
  return { kind: 'partition_progress', source_partition: sourcePartition, position, ...(initial ? { initial } : {}) };
}

export function rerouteRecordOf(event: InboundEvent, sourceTopic: string): Reroute {
  return { kind: 'reroute', target_customer_id: event.customer_id, source_topic: sourceTopic, payload: { ...event } };
}

/**
 * `at` as an ISO timestamp whose written calendar date is `day`, when an offset
 * of at most ±14 h achieves that. The target derives the input's day from the
 * date written in `occurred_at` (domain/time.ts), and a producer's local date may
 * differ from UTC's; writing `Z` would move such an input to the neighbouring day.
 */
export function isoOnDay(at: number, day: number): string {
  const start = day * DAY_MS;
  let offset = 0;
  if (at < start) offset = Math.ceil((start - at) / MINUTE_MS) * MINUTE_MS;
  else if (at >= start + DAY_MS) offset = -(Math.floor((at - start - DAY_MS) / MINUTE_MS) + 1) * MINUTE_MS;
  if (offset === 0 || Math.abs(offset) > MAX_OFFSET_MS) return new Date(at).toISOString();
  const local = new Date(at + offset).toISOString().slice(0, 23);
  const abs = Math.abs(offset) / MINUTE_MS;
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${offset > 0 ? '+' : '-'}${hh}:${mm}`;
}

/** A partition's progress as read from the internal topic: for the merge's gate, never an input. */
export interface ProgressDecoded {
  readonly tag: 'progress';
  readonly source: number;
  readonly position: number;
  readonly initial: boolean;
}

/** When a record that carries no apply time takes hold: on arrival. */
const ON_ARRIVAL = -Infinity;

function settledOf(record: { readonly apply_at?: string | undefined; readonly occurred_at: string }): { applyAt: number; applyDay: number } {
  if (record.apply_at === undefined) return { applyAt: ON_ARRIVAL, applyDay: localDayOf(record.occurred_at) };
  return { applyAt: Date.parse(record.apply_at), applyDay: localDayOf(record.apply_at) };
}

/**
 * Wire → domain for a record read from the internal topic: a referral effect
 * becomes the cross-customer input it encodes; a re-routed event is validated
 * again (the owner's rules decide, exactly as if it had arrived on its own
 * partition). A record that fails its contract is a rejection like any other.
 */
export function decodeInternal(bytes: Buffer | null, rules: IngestRules, nowMs: number): Decoded | ProgressDecoded {
  const text = utf8Text(bytes ?? Buffer.alloc(0));
  if (text === null) {
    const message = 'internal record is not valid UTF-8';
    return rejected({ code: 'invalid_utf8', message, issues: [{ field: '', rule: 'utf8', message }] });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const message = `internal record is not valid JSON: ${(cause as Error).message}`;
    return rejected({ code: 'malformed_json', message, issues: [{ field: '', rule: 'json', message }] });
  }
  const parsed = internalSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.'), rule: i.code, message: i.message }));
    const message = `invalid internal record: ${issues.map((i) => `${i.field || '(record)'}: ${i.message}`).join('; ')}`;
    return rejected({ code: 'invalid_event', message, issues });
  }
  const record = parsed.data;
  switch (record.kind) {
    case 'reroute':
      return decodeValue(record.payload, null, rules, nowMs);
    case 'partition_progress':
      return { tag: 'progress', source: record.source_partition, position: record.position, initial: record.initial === true };
    case 'referral_attributed':
      return routed({
        kind: 'referral_attributed',
        eventId: record.event_id,
        customerId: record.target_customer_id,
        referrerId: record.referrer_customer_id,
        at: Date.parse(record.occurred_at),
        day: localDayOf(record.occurred_at),
        ...settledOf(record),
      });
    case 'referral_credit':
      return routed({
        kind: 'referral_credit',
        eventId: record.event_id,
        customerId: record.target_customer_id,
        sourceCustomerId: record.source_customer_id,
        valueMinor: record.value_minor,
        firstPurchase: record.first_purchase,
        purchases: record.purchases ?? 1,
        sequence: record.sequence ?? null,
        at: Date.parse(record.occurred_at),
        day: localDayOf(record.occurred_at),
        ...settledOf(record),
      });
  }
}
