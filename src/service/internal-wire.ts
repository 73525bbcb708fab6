/**
 * Domain → wire for the internal topic: the records a partition sends to the
 * owner of another customer (see contracts/internal.ts).
 */
import type { InboundEvent } from '../contracts/inbound.js';
import type { InternalRecord, Reroute } from '../contracts/internal.js';
import type { CrossCustomerInput } from '../domain/apply.js';
import { DAY_MS } from '../domain/time.js';

const MINUTE_MS = 60_000;
const MAX_OFFSET_MS = 14 * 60 * MINUTE_MS;

export function internalRecordOf(input: CrossCustomerInput): InternalRecord {
  const occurred_at = isoOnDay(input.at, input.day);
  switch (input.kind) {
    case 'referral_attributed':
      return {
        kind: 'referral_attributed',
        event_id: input.eventId,
        target_customer_id: input.customerId,
        referrer_customer_id: input.referrerId,
        occurred_at,
      };
    case 'referral_credit':
      return {
        kind: 'referral_credit',
        event_id: input.eventId,
        target_customer_id: input.customerId,
        source_customer_id: input.sourceCustomerId,
        value_minor: input.valueMinor,
        first_purchase: input.firstPurchase,
        occurred_at,
      };
  }
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
