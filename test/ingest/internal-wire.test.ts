import { describe, expect, it } from 'vitest';
import { internalSchema } from '../../src/contracts/internal.js';
import type { CrossCustomerInput } from '../../src/domain/apply.js';
import { DAY_MS, localDayOf } from '../../src/domain/time.js';
import type { IngestRules } from '../../src/ingest/decode.js';
import { decodeInternal, internalRecordOf, isoOnDay, progressRecordOf } from '../../src/ingest/internal-wire.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const rules: IngestRules = {
  unknownFields: 'reject',
  earliestMs: Date.parse('1990-01-01T00:00:00Z'),
  maxFutureSkewMs: 300_000,
  maxMessageBytes: 4096,
  baseCurrency: 'USD',
  rates: {},
};

const wire = (record: unknown): Buffer => Buffer.from(JSON.stringify(record), 'utf8');
const decode = (record: unknown) => decodeInternal(wire(record), rules, NOW);

const day = localDayOf('2026-03-01T00:00:00Z');
const credit: CrossCustomerInput = {
  kind: 'referral_credit',
  eventId: 'credit:c2:abc',
  customerId: 'c1',
  at: day * DAY_MS + 3_600_000,
  day,
  applyAt: (day + 1) * DAY_MS + 3_600_000,
  applyDay: day + 1,
  sourceCustomerId: 'c2',
  valueMinor: 150,
  firstPurchase: true,
  purchases: 1,
  sequence: 4,
};

describe('internal-wire', () => {
  it('a referral credit keeps its value, whether it made the referral successful and when it takes hold', () => {
    const record = internalRecordOf(credit);
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
      apply_at: '2026-03-02T01:00:00.000Z',
    });
  });

  it('writes an offset that keeps the producer’s calendar day when UTC’s differs', () => {
    // 2026-03-01T23:30-05:00 is 2026-03-02T04:30Z, but its day is March 1st.
    const at = Date.parse('2026-03-01T23:30:00-05:00');
    const iso = isoOnDay(at, localDayOf('2026-03-01T23:30:00-05:00'));
    expect(Date.parse(iso)).toBe(at);
    expect(iso.slice(0, 10)).toBe('2026-03-01');
  });

  it.each<[string, CrossCustomerInput]>([
    ['a credit', credit],
    ['a credit without a sequence (earlier release)', { ...credit, sequence: null }],
    [
      'an attribution whose apply day is another UTC day than its instant',
      {
        kind: 'referral_attributed',
        eventId: 'ref-9:attributed',
        customerId: 'c3',
        at: Date.parse('2026-03-01T23:30:00-05:00'),
        day: localDayOf('2026-03-01T23:30:00-05:00'),
        applyAt: Date.parse('2026-03-02T23:30:00-05:00'),
        applyDay: localDayOf('2026-03-02T23:30:00-05:00'),
        referrerId: 'c4',
      },
    ],
  ])('%s round-trips through the wire, apply time and day included; it sits in the merge at its apply time', (_what, input) => {
    const decoded = decode(internalRecordOf(input));
    expect(decoded).toEqual({ tag: 'routed', input, at: input.applyAt });
  });

  it('a record of an earlier release (no apply_at) takes hold on arrival: applyAt -Infinity, on its own day', () => {
    const record = internalRecordOf({ ...credit, applyAt: -Infinity, applyDay: day });
    expect(record).not.toHaveProperty('apply_at');
    const decoded = decode({
      kind: 'referral_attributed',
      event_id: 'ref-1:attributed',
      target_customer_id: 'b',
      referrer_customer_id: 'a',
      occurred_at: '2026-03-01T23:30:00-05:00',
    });
    expect(decoded).toEqual({
      tag: 'routed',
      at: -Infinity,
      input: {
        kind: 'referral_attributed',
        eventId: 'ref-1:attributed',
        customerId: 'b',
        referrerId: 'a',
        at: Date.parse('2026-03-01T23:30:00-05:00'),
        day: localDayOf('2026-03-01T23:30:00-05:00'),
        applyAt: -Infinity,
        applyDay: localDayOf('2026-03-01T23:30:00-05:00'),
      },
    });
    expect(decode(record)).toMatchObject({ tag: 'routed', at: -Infinity, input: { applyAt: -Infinity, applyDay: day, sequence: 4 } });
  });

  it('a partition_progress record decodes to the progress tag, never an input', () => {
    const position = Date.parse('2026-03-05T08:00:00Z');
    const record = progressRecordOf(7, position, false);
    expect(internalSchema.parse(record)).toEqual({ kind: 'partition_progress', source_partition: 7, position });
    expect(decode(record)).toEqual({ tag: 'progress', source: 7, position, initial: false });
    const initial = progressRecordOf(0, position, true);
    expect(internalSchema.parse(initial)).toEqual({ kind: 'partition_progress', source_partition: 0, position, initial: true });
    expect(decode(initial)).toEqual({ tag: 'progress', source: 0, position, initial: true });
  });

  it.each([
    ['a negative partition', { source_partition: -1, position: 0 }, 'source_partition'],
    ['a fractional position', { source_partition: 0, position: 1.5 }, 'position'],
    ['a position as a string', { source_partition: 0, position: '2026-03-05T08:00:00Z' }, 'position'],
    ['no position', { source_partition: 0 }, 'position'],
    ['an unknown field', { source_partition: 0, position: 0, extra: true }, ''],
    ['initial that is not a boolean', { source_partition: 0, position: 0, initial: 'yes' }, 'initial'],
  ])('a progress record with %s is rejected', (_what, fields, field) => {
    const decoded = decode({ kind: 'partition_progress', ...fields });
    expect(decoded.tag).toBe('rejected');
    if (decoded.tag !== 'rejected') return;
    expect(decoded.rejection.code).toBe('invalid_event');
    expect(decoded.rejection.issues.map((i) => i.field)).toContain(field);
  });

  it('an apply_at that is not a timestamp with an offset is rejected', () => {
    const record = { ...internalRecordOf(credit), apply_at: '2026-03-02 01:00' };
    const decoded = decode(record);
    expect(decoded.tag).toBe('rejected');
    if (decoded.tag === 'rejected') expect(decoded.rejection.issues.map((i) => i.field)).toEqual(['apply_at']);
  });
});
