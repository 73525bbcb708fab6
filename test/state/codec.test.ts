import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CANCELLATION_REASONS } from '../../src/contracts/inbound.js';
import { ACCOUNT_STATUSES, CHURN_LEVELS, RELATIONSHIP_LEVELS, RFM_SEGMENTS, VALUE_QUADRANTS } from '../../src/contracts/segments.js';
import { emptyState, type CustomerState } from '../../src/domain/state.js';
import { CODEC_VERSION, CODE_TABLES, decodeState, encodeState } from '../../src/state/codec.js';
import { StateCodecError, StateError } from '../../src/state/errors.js';
import { customerStateArb, heavyState, typicalState } from './fixtures.js';

const roundTrip = (s: CustomerState): CustomerState => decodeState(encodeState(s), s.customerId);

function codecError(fn: () => unknown): StateCodecError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StateCodecError) return err;
    throw err;
  }
  throw new Error('expected a StateCodecError');
}

describe('state codec', () => {
  it('round-trips every valid state exactly', () => {
    fc.assert(
      fc.property(customerStateArb, (s) => {
        expect(roundTrip(s)).toStrictEqual(s);
      }),
      { numRuns: 3_000 },
    );
  });

  it('round-trips the empty state (asOfDay = MIN_SAFE_INTEGER) and states built by the reducer', () => {
    for (const s of [emptyState('c-1'), typicalState(), heavyState()]) expect(roundTrip(s)).toStrictEqual(s);
  });

  it('round-trips the extremes of every integer field', () => {
    const s = emptyState('edge');
    for (const v of [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, -1, 0, 1, 63, 64, -64, -65, 2 ** 31, -(2 ** 31)]) {
      const edge: CustomerState = {
        ...s,
        asOfDay: v,
        grossMinor: v,
        firstDay: v,
        lastPurchaseAt: v,
        npsAt: Number.MAX_SAFE_INTEGER - 999,
        cancelledAt: Number.MIN_SAFE_INTEGER,
        recentOrders: [{ orderKey: 2 ** 48 - 1, day: Number.MIN_SAFE_INTEGER, amountMinor: v, marginMinor: v === 0 ? 0 : -v }],
        recentReturnDays: [Number.MAX_SAFE_INTEGER, v],
        dayBits: [0xffffffff, 0, 1, 2 ** 31],
        recentIds: [0, 2 ** 48 - 1],
      };
      expect(roundTrip(edge)).toStrictEqual(edge);
    }
  });

  it('does not store the customer id (it is the key) and starts with the version byte', () => {
    const s = typicalState('a-very-recognisable-customer-id');
    const buf = encodeState(s);
    expect(buf[0]).toBe(CODEC_VERSION);
    expect(buf.includes('recognisable')).toBe(false);
    expect(decodeState(buf, 'other-id').customerId).toBe('other-id');
  });

  it('is compact: a typical customer well under 200 bytes, a heavy one under 400', () => {
    const typical = encodeState(typicalState()).length;
    const heavy = encodeState(heavyState()).length;
    console.log(`[codec] typical customer (3 purchases): ${typical} bytes; heavy customer (40 purchases, returns, referrals, NPS, cancellation): ${heavy} bytes`);
    expect(typical).toBeLessThan(120);
    expect(heavy).toBeLessThan(400);
  });

  it('rejects an unknown version with CODEC_UNKNOWN_VERSION', () => {
    const buf = encodeState(typicalState());
    for (const v of [0, 4, 255]) {
      const bad = Buffer.from(buf);
      bad[0] = v;
      const err = codecError(() => decodeState(bad, 'x'));
      expect(err.code).toBe('CODEC_UNKNOWN_VERSION');
      expect(err.retriable).toBe(false);
      expect(err).toBeInstanceOf(StateError);
    }
  });

  it('rejects empty, truncated and over-long input with CODEC_CORRUPT', () => {
    expect(codecError(() => decodeState(Buffer.alloc(0), 'x')).code).toBe('CODEC_CORRUPT');
    fc.assert(
      fc.property(customerStateArb, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 }), (s, cut, extra) => {
        const buf = encodeState(s);
        const prefix = buf.subarray(0, 1 + (cut % (buf.length - 1)));
        expect(codecError(() => decodeState(prefix, 'x')).code).toBe('CODEC_CORRUPT');
        expect(codecError(() => decodeState(Buffer.concat([buf, extra]), 'x')).code).toBe('CODEC_CORRUPT');
      }),
      { numRuns: 500 },
    );
  });

  it('on any corrupted input either throws StateCodecError or returns a state, never anything else', () => {
    fc.assert(
      fc.property(customerStateArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (s, flips) => {
        const buf = Buffer.from(encodeState(s));
        for (const [at, value] of flips) buf[at % buf.length] = value;
        try {
          const decoded = decodeState(buf, 'x');
          expect(typeof decoded.asOfDay).toBe('number');
        } catch (err) {
          expect(err).toBeInstanceOf(StateCodecError);
        }
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeState(bytes, 'x');
        } catch (err) {
          expect(err).toBeInstanceOf(StateCodecError);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('rejects states it cannot encode exactly with CODEC_INVALID_STATE', () => {
    const s = typicalState();
    const bad: CustomerState[] = [
      { ...s, grossMinor: 1.5 },
      { ...s, asOfDay: Number.NaN },
      { ...s, orders: 2 ** 53 },
      { ...s, recentIds: [2 ** 48] },
      { ...s, recentIds: [-1] },
      { ...s, dayBits: [-1] },
      { ...s, dayBits: [2 ** 32] },
      { ...s, referredBy: '\ud800' },
      { ...s, churnLevel: 'nope' as CustomerState['churnLevel'] },
      { ...s, cancelReason: 'nope' as CustomerState['cancelReason'] },
    ];
    for (const b of bad) expect(codecError(() => encodeState(b)).code).toBe('CODEC_INVALID_STATE');
  });

  it('has a frozen code for every value of the contract vocabularies', () => {
    expect([...CODE_TABLES.churnLevel].sort()).toEqual([...CHURN_LEVELS].sort());
    expect([...CODE_TABLES.relationship].sort()).toEqual([...RELATIONSHIP_LEVELS].sort());
    expect([...CODE_TABLES.accountStatus].sort()).toEqual([...ACCOUNT_STATUSES].sort());
    expect([...CODE_TABLES.rfmSegment].sort()).toEqual([...RFM_SEGMENTS].sort());
    expect([...CODE_TABLES.valueQuadrant].sort()).toEqual([...VALUE_QUADRANTS].sort());
    expect([...CODE_TABLES.cancelReason].sort()).toEqual([...CANCELLATION_REASONS].sort());
  });

  it('keeps the version-3 byte layout stable and still reads versions 1 and 2 (golden bytes)', () => {
    // Changing this encoding needs a new CODEC_VERSION and a decoder for the old one.
    const s: CustomerState = {
      ...emptyState('g'),
      asOfDay: 20_000,
      orders: 2,
      purchaseDays: 2,
      firstDay: 19_990,
      lastDay: 20_000,
      lastPurchaseAt: 20_000 * 86_400_000 + 45_296_000,
      firstDayAmountMinor: 1_000,
      grossMinor: 3_000,
      marginMinor: 900,
      dayBits: [1 | (1 << 10), 0],
      recentOrders: [{ orderKey: 0x0102030405, day: 19_990, amountMinor: 1_000, marginMinor: 300 }],
      recentIds: [0xabcdef],
      segments: { rfm_segment: 'new_customers', value_quadrant: null, relationship: 'client', account_status: 'active' },
      churnLevel: 'cooling',
      nextCheckDay: 20_030,
      emitted: 3,
    };
    // Written by version 1: the same fields without the two arrays version 2 added.
    const version1 = '013e00001104c0b8020404f02e880e061300c1870b3cd00f050200090105040302010013d00fd8040001efcdab000000';
    expect(decodeState(Buffer.from(version1, 'hex'), 'g')).toEqual(s);
    // Written by version 2 (before cost to serve and complaints): it decodes with none of either.
    const version2 = `02${version1.slice(2)}0000`;
    expect(decodeState(Buffer.from(version2, 'hex'), 'g')).toEqual(s);
    // Version 3 adds one byte for a customer without actual costs or interactions: the empty cost mask.
    expect(encodeState(s).toString('hex')).toBe(`03${version2.slice(2)}00`);
    const referral: CustomerState = {
      ...s,
      unattributedDays: [{ day: 19_990, creditMinor: 30, orders: 1 }, { day: 20_000, creditMinor: 61, orders: 2 }],
      creditSources: [{ source: 0x0a0b0c, sequence: 3 }],
    };
    expect(encodeState(referral).toString('hex')).toMatchInlineSnapshot(`"033e00001104c0b8020404f02e880e061300c1870b3cd00f050200090105040302010013d00fd8040001efcdab00000002133c01007a02010c0b0a0000000300"`);
    expect(decodeState(encodeState(referral), 'g')).toEqual(referral);
    const served: CustomerState = {
      ...s,
      costedOrders: 1,
      orderCostMinor: 450,
      costedReturns: 0,
      returnCostMinor: 0,
      interactions: 3,
      interactionCostMinor: 1_200,
      interactionEstimateMinor: 300,
      complaints: 2,
      lastComplaintAt: 19_998 * 86_400_000 + 3_600_000,
      lastComplaintDay: 19_998,
      complaintCases: [
        { caseKey: 0x0c0d0e, day: 19_995, open: false },
        { caseKey: 0x0f1011, day: 19_998, open: true },
      ],
    };
    expect(encodeState(served).toString('hex')).toMatchInlineSnapshot(`"033e00001104c0b8020404f02e880e061300c1870b3cd00f050200090105040302010013d00fd8040001efcdab0000000000f30f02840706e012d80404bfa72903020e0d0c000000090011100f0000000301"`);
    expect(decodeState(encodeState(served), 'g')).toEqual(served);
    // Every field of the version-2 bytes is read as before: only the cost section differs.
    expect(decodeState(encodeState(served), 'g')).toEqual({ ...decodeState(Buffer.from(version2, 'hex'), 'g'), ...served });
  });
});
