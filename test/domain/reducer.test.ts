import { describe, expect, it } from 'vitest';
import type { DomainInput, ReferralCreditInput, ReferralAttributedInput } from '../../src/domain/input.js';
import { onTimer, onTimerInPlace, reduce, reduceInPlace } from '../../src/domain/reducer.js';
import { cloneState, emptyState } from '../../src/domain/state.js';
import { DAY_MS } from '../../src/domain/time.js';
import { atOf, ctx, ctxWith, DAY0, feedback, fold, purchase, referral, returned } from './fixtures.js';

describe('duplicates', () => {
  const original = purchase('c', 0, 10_000, { eventId: 'dup' });
  const once = fold([original, purchase('c', 3, 500)]).state;

  it.each([
    ['the same purchase', original],
    ['another kind with the same event id', returned('c', 4, 100, null, { eventId: 'dup' })],
  ])('%s → applied: false, state unchanged, no emissions', (_what, input) => {
    const before = structuredClone(once);
    const r = reduce(once, input, ctx);
    expect(r.applied).toBe(false);
    expect(r.flags).toEqual(['duplicate']);
    expect(r.emits).toEqual([]);
    expect(r.internal).toEqual([]);
    expect(r.state).toBe(once);
    expect(r.nextCheckDay).toBe(once.nextCheckDay);
    expect(once).toEqual(before);
  });

  it('remembers the last recentEventIds ids only (documented bound)', () => {
    const c = ctxWith({ memory: { ...ctx.parameters.memory, recentEventIds: 3 } });
    const s = fold([original, feedback('c', 1, 9), feedback('c', 2, 9), feedback('c', 3, 9)], c).state;
    expect(reduce(s, original, c).applied).toBe(true); // forgotten after 3 newer ids
    const t = fold([original, feedback('c', 1, 9), feedback('c', 2, 9)], c).state;
    expect(reduce(t, original, c).applied).toBe(false);
  });
});

describe('purity and time', () => {
  it('reduce never changes its input state', () => {
    const s = fold([purchase('c', 0, 100), returned('c', 1, 10, null)]).state;
    const copy = structuredClone(s);
    reduce(s, purchase('c', 5, 200), ctx);
    reduce(s, returned('c', 6, 20, null), ctx);
    expect(s).toEqual(copy);
  });

  it('reduceInPlace gives the same result as reduce', () => {
    const s = fold([purchase('c', 0, 100), feedback('c', 1, 3)]).state;
    const next = purchase('c', 50, 20_000, { eventId: 'same' });
    const pure = reduce(s, next, ctx);
    const inPlace = reduceInPlace(cloneState(s), next, ctx);
    expect(inPlace.state).toEqual(pure.state);
    expect(inPlace.emits).toEqual(pure.emits);
  });

  it('onTimerInPlace gives the same result as onTimer, in the object it was given; onTimer leaves its input alone', () => {
    const s = fold([purchase('c', 0, 100), purchase('c', 20, 300)]).state;
    const due = (s.nextCheckDay ?? DAY0) + 400;
    const copy = structuredClone(s);
    const pure = onTimer(s, due, ctx);
    expect(s).toEqual(copy);
    const owned = cloneState(s);
    const inPlace = onTimerInPlace(owned, due, ctx);
    expect(inPlace.state).toBe(owned);
    expect(inPlace.state).toEqual(pure.state);
    expect(inPlace.emits).toEqual(pure.emits);
    expect(pure.emits.length).toBeGreaterThan(0); // the check changed something
  });

  it('an input dated before the latest evaluation does not move time back', () => {
    const s = fold([purchase('c', 10, 100), purchase('c', 2, 100)]).state;
    expect(s.asOfDay).toBe(DAY0 + 10);
  });

  it('the state is plain data: a JSON round trip is lossless', () => {
    const s = fold([purchase('c', 0, 100, { orderId: 'A' }), returned('c', 1, 10, 'A'), feedback('c', 2, 5), referral('c', 3, 'd')]).state;
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(JSON.parse(JSON.stringify(emptyState('x')))).toEqual(emptyState('x'));
  });
});

describe('referrals', () => {
  const c = ctxWith({ referralValueMinor: 500 }); // share 0.1, window 365 days

  /** Caused by a referral at DAY0 + 5 noon; takes hold one day later. */
  const attributed: ReferralAttributedInput = {
    kind: 'referral_attributed',
    eventId: 'ref-1:attributed',
    customerId: 'b',
    at: atOf(5),
    day: DAY0 + 5,
    applyAt: atOf(6),
    applyDay: DAY0 + 6,
    referrerId: 'a',
  };

  it('a referral credits the referrer with the configured value and attributes the referred customer', () => {
    const input = referral('a', 5, 'b', { eventId: 'ref-1' });
    const r = fold([input], c).last;
    expect(r.state.referralsMade).toBe(1);
    expect(r.state.referralValueMinor).toBe(500);
    // It takes hold at the referred customer one settle delay (default 1 day) after the referral.
    expect(r.internal).toEqual([
      {
        kind: 'referral_attributed',
        eventId: 'ref-1:attributed',
        customerId: 'b',
        at: input.at,
        day: DAY0 + 5,
        applyAt: input.at + DAY_MS,
        applyDay: DAY0 + 6,
        referrerId: 'a',
      },
    ]);
  });

  it('referral effects take hold referralSettleDays after their cause', () => {
    const slow = ctxWith({ referralValueMinor: 500, referralSettleDays: 3 });
    const ref = referral('a', 5, 'b', { eventId: 'ref-3' });
    const [attribution] = fold([ref], slow).last.internal as [ReferralAttributedInput];
    expect([attribution.applyAt - ref.at, attribution.applyDay - ref.day]).toEqual([3 * DAY_MS, 3]);
    // a purchase after the attribution: its credit takes hold 3 days after the purchase
    const p = purchase('b', 9, 10_000);
    const [credit] = fold([attribution, p], slow).last.internal as [ReferralCreditInput];
    expect([credit.at, credit.day, credit.applyAt, credit.applyDay]).toEqual([p.at, p.day, p.at + 3 * DAY_MS, p.day + 3]);
  });

  it('an effect caused by a record of an earlier release (no apply time) takes hold on arrival too', () => {
    const old: ReferralAttributedInput = { ...attributed, applyAt: -Infinity, applyDay: DAY0 + 5 };
    const [credit] = fold([purchase('b', 6, 10_000), old], c).last.internal as [ReferralCreditInput];
    expect([credit.valueMinor, credit.applyAt, credit.applyDay]).toEqual([300, -Infinity, DAY0 + 5]);
  });

  it("a referred customer's purchases inside the window credit round(margin × share); the first one is a success", () => {
    const { reductions, state } = fold(
      [
        attributed,
        purchase('b', 5, 10_000, { orderId: 'o1' }), // margin 3000 → 300, same day as the referral: inside
        purchase('b', 6, 2500, { orderId: 'o2', marginMinor: 1006 }), // round(100.6) = 101
        purchase('b', 5 + 365, 1000, { orderId: 'o3' }), // margin 300 → 30, last day of the window
        purchase('b', 5 + 366, 1000, { orderId: 'o4' }), // outside
        purchase('b', 4, 1000, { orderId: 'o5' }), // before the referral: outside
      ],
      c,
    );
    expect(state.referredBy).toBe('a');
    const credits = reductions.flatMap((r) => r.internal) as ReferralCreditInput[];
    expect(credits.map((x) => [x.customerId, x.sourceCustomerId, x.valueMinor, x.firstPurchase, x.day - DAY0])).toEqual([
      ['a', 'b', 300, true, 5],
      ['a', 'b', 101, false, 6],
      ['a', 'b', 30, false, 370],
    ]);
    expect(new Set(credits.map((x) => x.eventId)).size).toBe(3);
    expect(credits.every((x) => x.eventId.startsWith('credit:b:'))).toBe(true);
    // each takes hold at the referrer one settle delay (1 day) after its purchase
    expect(credits.map((x) => [x.applyAt - x.at, x.applyDay - x.day])).toEqual([
      [DAY_MS, 1],
      [DAY_MS, 1],
      [DAY_MS, 1],
    ]);
  });

  it('a late attribution credits the purchases already made inside the window, in one credit', () => {
    const { reductions, state } = fold(
      [
        purchase('b', 7, 10_000, { orderId: 'o1' }),
        purchase('b', 3, 10_000, { orderId: 'o0' }), // before the referral day (5): not credited
        purchase('b', 8, 2000, { orderId: 'o2' }),
        attributed,
      ],
      c,
    );
    expect(reductions.slice(0, 3).flatMap((r) => r.internal)).toEqual([]);
    const credits = reductions[3]?.internal as ReferralCreditInput[];
    expect(credits.map((x) => [x.eventId, x.valueMinor, x.firstPurchase, x.purchases, x.sequence, x.day - DAY0])).toEqual([
      ['credit:b:attributed', 360, true, 2, 2, 8], // 10000 × 0.3 × 0.1 + 2000 × 0.3 × 0.1, dated on the latest purchase
    ]);
    // caused when the attribution took hold (DAY0 + 6), so it takes hold one settle delay after that
    expect(credits.map((x) => [x.applyAt, x.applyDay])).toEqual([[atOf(7), DAY0 + 7]]);
    expect(state.unattributedDays).toEqual([]);
    expect(state.referralCreditedPurchases).toBe(2);
  });

  it('regression: an attribution that arrives after more purchases than the order memory holds credits them all, as when it arrives first', () => {
    // Issue 24: the first of eight purchases had left the 6-order memory, so the referrer lost its credit.
    const purchases = Array.from({ length: 8 }, (_, i) => purchase('b', 6 + i * 10, 1_000 + i * 100, { orderId: `o${i}` }));
    const referrerOf = (inputs: DomainInput[]) => {
      const credits = fold(inputs, c).reductions.flatMap((r) => r.internal).filter((x): x is ReferralCreditInput => x.kind === 'referral_credit');
      return fold([purchase('a', 0, 100), ...credits], c).state;
    };
    const early = referrerOf([attributed, ...purchases]);
    const late = referrerOf([...purchases, attributed]);
    expect(early.referralValueMinor).toBe(purchases.reduce((t, p) => t + Math.round(p.amountMinor * 0.3 * 0.1), 0));
    expect(late.referralValueMinor).toBe(early.referralValueMinor);
    expect(late.successfulReferrals).toBe(1);
    expect(late.segments.relationship).toBe(early.segments.relationship);
    expect(late.segments.relationship).toBe('advocate');
  });

  it('a credit the relay delivers twice is applied once, however many others arrive between', () => {
    const credits = fold([attributed, ...Array.from({ length: 20 }, (_, i) => purchase('b', 6 + i, 1_000, { orderId: `o${i}` }))], c)
      .reductions.flatMap((r) => r.internal) as ReferralCreditInput[];
    expect(credits).toHaveLength(20);
    const own = purchase('a', 0, 100);
    const once = fold([own, ...credits], c).state;
    const twice = fold([own, ...credits, credits[0] as ReferralCreditInput, ...credits.slice(5)], c).state;
    expect(twice).toEqual(once);
    expect(once.creditSources).toHaveLength(1);
  });

  it('the first attribution to take hold wins (the reducer ignores a later one)', () => {
    const { state, last } = fold([attributed, { ...attributed, eventId: 'ref-2:attributed', referrerId: 'z' }, purchase('b', 9, 100)], c);
    expect(state.referredBy).toBe('a');
    expect((last.internal[0] as ReferralCreditInput).customerId).toBe('a');
  });

  it('credits add to the referrer: value always, a successful referral on the first purchase only', () => {
    // Records of earlier releases carry no sequence: a repeat is recognised by its event id.
    const credit = (id: string, valueMinor: number, firstPurchase: boolean): ReferralCreditInput => ({
      kind: 'referral_credit',
      eventId: id,
      customerId: 'a',
      at: 0,
      day: DAY0,
      applyAt: -Infinity,
      applyDay: DAY0,
      sourceCustomerId: 'b',
      valueMinor,
      firstPurchase,
      purchases: 1,
      sequence: null,
    });
    const { state } = fold([purchase('a', 0, 100), credit('k1', 300, true), credit('k2', 101, false), credit('k1', 300, true)], c);
    expect(state.referralValueMinor).toBe(401); // the repeated k1 is a duplicate
    expect(state.successfulReferrals).toBe(1);
    expect(state.segments.relationship).toBe('advocate');
  });
});
