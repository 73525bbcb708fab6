import { describe, expect, it } from 'vitest';
import { internalSchema } from '../../src/contracts/internal.js';
import { DAY_MS, localDayOf } from '../../src/domain/time.js';
import { internalRecordOf, isoOnDay } from '../../src/ingest/internal-wire.js';

describe('internal-wire', () => {
  it('a referral credit keeps its value and whether it made the referral successful', () => {
    const day = localDayOf('2026-03-01T00:00:00Z');
    const record = internalRecordOf({
      kind: 'referral_credit',
      eventId: 'credit:c2:abc',
      customerId: 'c1',
      at: day * DAY_MS + 3_600_000,
      day,
      sourceCustomerId: 'c2',
      valueMinor: 150,
      firstPurchase: true,
      purchases: 1,
      sequence: 4,
    });
    expect(internalSchema.parse(record)).toEqual({
      kind: 'referral_credit',
      event_id: 'credit:c2:abc',
      target_customer_id: 'c1',
      source_customer_id: 'c2',
      value_minor: 150,
      first_purchase: true,
      purchases: 1,
      sequence: 4,
      occurred_at: '2026-03-01T01:00:00.000Z',
    });
  });

  it('writes an offset that keeps the producer’s calendar day when UTC’s differs', () => {
    // 2026-03-01T23:30-05:00 is 2026-03-02T04:30Z, but its day is March 1st.
    const at = Date.parse('2026-03-01T23:30:00-05:00');
    const iso = isoOnDay(at, localDayOf('2026-03-01T23:30:00-05:00'));
    expect(Date.parse(iso)).toBe(at);
    expect(iso.slice(0, 10)).toBe('2026-03-01');
  });
});
