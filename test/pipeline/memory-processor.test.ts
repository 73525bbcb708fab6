import { describe, expect, it } from 'vitest';
import type { OutboundEvent } from '../../src/contracts/outbound.js';
import type { DomainInput } from '../../src/domain/input.js';
import type { Reduction } from '../../src/domain/reducer.js';
import { MemoryProcessor } from '../../src/pipeline/memory-processor.js';
import { TimerHeap } from '../../src/pipeline/timer-heap.js';
import { atOf, ctx, ctxWith, DAY0, feedback, purchase, referral } from '../domain/fixtures.js';

function processor(c = ctx) {
  const log: { input: DomainInput | null; reduction: Reduction }[] = [];
  const emits: OutboundEvent[] = [];
  const p = new MemoryProcessor(c, { onEmit: (e) => emits.push(e), onReduction: (input, reduction) => log.push({ input, reduction }) });
  /** Timer firings as [customer, day relative to DAY0]. */
  const timers = () => log.filter((l) => l.input === null).map((l) => [l.reduction.state.customerId, (l.reduction.profile?.day ?? 0) - DAY0]);
  return { p, log, emits, timers };
}

describe('MemoryProcessor', () => {
  it('moves the watermark to the latest event day, never back', () => {
    const { p } = processor();
    p.apply(purchase('a', 10, 100));
    p.apply(purchase('a', 4, 100));
    expect(p.watermark).toBe(DAY0 + 10);
    p.advanceTo(DAY0 + 2);
    expect(p.watermark).toBe(DAY0 + 10);
  });

  it("fires a customer's due check when the watermark reaches it, before the event of that day", () => {
    const { p, log, timers } = processor();
    p.apply(purchase('a', 0, 100)); // one-time buyer: next check at day 31 (R drops)
    expect(p.states.get('a')?.nextCheckDay).toBe(DAY0 + 31);
    p.apply(purchase('b', 30, 100));
    expect(timers()).toEqual([]);
    p.apply(purchase('b', 31, 100));
    expect(timers()).toEqual([['a', 31]]);
    // order: a's timer, then b's event of day 31
    expect(log.slice(-2).map((l) => [l.input?.eventId ?? 'timer', l.reduction.state.customerId])).toEqual([
      ['timer', 'a'],
      [log.at(-1)?.input?.eventId, 'b'],
    ]);
    expect(p.states.get('a')?.asOfDay).toBe(DAY0 + 31);
  });

  it('fires due checks in (day, customer) order', () => {
    const { p, timers } = processor();
    p.apply(purchase('z', 0, 100)); // due 31
    p.apply(purchase('y', 0, 100)); // due 31
    p.apply(feedback('x', 1, 0)); // detractor prospect: due 181
    p.advanceTo(DAY0 + 200);
    expect(timers()).toEqual([
      ['y', 31],
      ['z', 31],
      ['y', 91],
      ['z', 91],
      ['y', 136],
      ['z', 136],
      ['x', 181],
      ['y', 181],
      ['z', 181],
    ]);
  });

  it('fires right after a late event the checks it scheduled on days the watermark has passed', () => {
    const { p, timers, emits } = processor();
    p.apply(purchase('b', 200, 100));
    p.apply(purchase('a', 0, 100, { eventId: 'late' })); // checks at 31, 91, 136, 181 are all past
    expect(timers()).toEqual([
      ['a', 31],
      ['a', 91],
      ['a', 136],
      ['a', 181],
    ]);
    expect(p.states.get('a')?.nextCheckDay).toBe(DAY0 + 226);
    // the timer emissions are dated on their due days
    const aTimerEmits = emits.filter((e) => e.customer_id === 'a' && e.cause.kind === 'timer');
    expect(aTimerEmits.length).toBeGreaterThan(0);
    for (const e of aTimerEmits) expect(e.cause.kind === 'timer' && e.occurred_at === e.cause.due_at).toBe(true);
  });

  it('ignores a stale check after the next check moved', () => {
    const { p, timers } = processor();
    p.apply(purchase('a', 0, 100)); // due 31
    p.apply(purchase('a', 10, 100)); // repeat buyer, typical 10: inactivity check at 10 + 15 + 1 = 26
    p.advanceTo(DAY0 + 31);
    expect(timers()).toEqual([['a', 26]]); // the entry for 31 is stale and skipped
    expect(p.states.get('a')?.nextCheckDay).toBe(DAY0 + 36);
  });

  it('routes referrals: attribution to the referred customer, credits back to the referrer, each one settle delay after its cause', () => {
    const { p, log } = processor(ctxWith({ referralValueMinor: 500 }));
    p.apply(referral('a', 0, 'b', { eventId: 'ref' }));
    expect(p.states.get('b')).toBeUndefined(); // the attribution takes hold at day 1
    p.apply(purchase('b', 1, 10_000)); // one day after the referral: the attribution takes hold first
    expect(p.states.get('b')?.referredBy).toBe('a');
    expect(p.states.get('a')?.referralValueMinor).toBe(500); // the credit (margin 3000 × 0.1 = 300) takes hold at day 2
    p.settle();
    const a = p.states.get('a');
    expect(a?.referralValueMinor).toBe(800); // 500 for the referral + 300
    expect(a?.successfulReferrals).toBe(1);
    expect(log.map((l) => l.input?.kind)).toEqual(['referral', 'referral_attributed', 'purchase', 'referral_credit']);
  });

  it.each([1, 3])('a credit takes hold exactly %i settle day(s) after the purchase: after the referrer\'s events before, before those at or after', (days) => {
    const { p, log } = processor(ctxWith({ referralValueMinor: 500, referralSettleDays: days }));
    p.apply(referral('a', 0, 'b', { eventId: 'ref' }));
    p.apply(purchase('b', days, 10_000, { eventId: 'buy' })); // the attribution took hold at `days`, just before it
    expect(p.states.get('b')?.referredBy).toBe('a');
    p.apply(feedback('a', 2 * days, 9, { eventId: 'just-before', ms: -1 }));
    expect(p.states.get('a')?.referralValueMinor).toBe(500);
    p.apply(feedback('a', 2 * days, 9, { eventId: 'at' }));
    expect(p.states.get('a')?.referralValueMinor).toBe(800);
    expect(log.filter((l) => l.input !== null).map((l) => l.input?.eventId)).toEqual(['ref', 'ref:attributed', 'buy', 'just-before', expect.stringMatching(/^credit:b:/), 'at']);
  });

  it('a credit is applied before an event of any customer at its time, not only of the referrer', () => {
    const { p, log } = processor(ctxWith({ referralValueMinor: 500 }));
    p.apply(referral('a', 0, 'b', { eventId: 'ref' }));
    p.apply(purchase('b', 1, 10_000, { eventId: 'buy' }));
    p.apply(purchase('x', 2, 100, { eventId: 'other' }));
    expect(p.states.get('a')?.referralValueMinor).toBe(800);
    expect(log.filter((l) => l.input !== null).map((l) => l.input?.kind).slice(-2)).toEqual(['referral_credit', 'purchase']);
  });

  it('two referrals of the same customer: the earlier one wins, the later one\'s attribution is ignored', () => {
    const { p, log } = processor(ctxWith({ referralValueMinor: 500 }));
    p.apply(referral('a', 0, 'c', { eventId: 'ref-a' }));
    p.apply(referral('z', 0, 'c', { eventId: 'ref-z', ms: 60_000 }));
    p.apply(purchase('c', 5, 10_000));
    p.settle();
    expect(p.states.get('c')?.referredBy).toBe('a');
    const attributions = log.filter((l) => l.input?.kind === 'referral_attributed');
    expect(attributions.map((l) => [l.input?.eventId, l.reduction.applied])).toEqual([
      ['ref-a:attributed', true],
      ['ref-z:attributed', false],
    ]);
    expect([p.states.get('a')?.referralValueMinor, p.states.get('a')?.successfulReferrals]).toEqual([800, 1]);
    expect([p.states.get('z')?.referralValueMinor, p.states.get('z')?.successfulReferrals]).toEqual([500, 0]);
  });

  it('the earlier referral wins even when it arrives after a later one (its attribution takes hold first)', () => {
    const { p } = processor(ctxWith({ referralValueMinor: 500 }));
    p.apply(referral('z', 3, 'c', { eventId: 'ref-z' })); // takes hold at day 4
    p.apply(referral('a', 1, 'c', { eventId: 'ref-a' })); // late, but takes hold at day 2
    p.apply(purchase('c', 5, 10_000));
    p.settle();
    expect(p.states.get('c')?.referredBy).toBe('a');
    expect(p.states.get('a')?.referralValueMinor).toBe(800);
    expect(p.states.get('z')?.referralValueMinor).toBe(500);
  });

  it('attributions that take hold at the same time are applied in event id order, whatever the arrival order', () => {
    for (const order of [
      ['ref-a', 'ref-z'],
      ['ref-z', 'ref-a'],
    ]) {
      const { p } = processor();
      for (const id of order) p.apply(referral(id === 'ref-a' ? 'a' : 'z', 0, 'c', { eventId: id }));
      p.settle();
      expect(p.states.get('c')?.referredBy).toBe('a');
    }
  });

  it('settle() applies what is still pending at the end, including what the pending effects cause in turn', () => {
    const { p, log } = processor(ctxWith({ referralValueMinor: 500 }));
    p.apply(referral('a', 0, 'b', { eventId: 'ref' }));
    p.apply(purchase('b', 0, 10_000, { ms: 1_000 })); // before the attribution takes hold: credited when it does
    expect(p.states.get('b')?.referredBy).toBeNull();
    p.settle(atOf(1) - 1);
    expect(p.states.get('b')?.referredBy).toBeNull(); // nothing takes hold before day 1
    p.settle(atOf(1));
    expect(p.states.get('b')?.referredBy).toBe('a');
    expect(p.states.get('a')?.referralValueMinor).toBe(500); // its credit takes hold one delay later, at day 2
    p.settle();
    expect(p.states.get('a')?.referralValueMinor).toBe(800);
    expect(log.filter((l) => l.input?.kind === 'referral_credit').map((l) => l.input?.eventId)).toEqual(['credit:b:attributed']);
    p.settle(); // nothing left
    expect(log.filter((l) => l.input?.kind === 'referral_credit')).toHaveLength(1);
  });

  it('settleThroughDay applies what takes hold by the end of a day', () => {
    const { p } = processor(ctxWith({ referralValueMinor: 500 }));
    p.apply(referral('a', 0, 'b', { eventId: 'ref' }));
    p.apply(purchase('b', 1, 10_000)); // credit takes hold at day 2 noon
    p.settleThroughDay(DAY0 + 1);
    expect(p.states.get('a')?.referralValueMinor).toBe(500);
    p.settleThroughDay(DAY0 + 2);
    expect(p.states.get('a')?.referralValueMinor).toBe(800);
  });

  it("a credit fires the referrer's own checks due by the day it takes hold before applying, wherever the watermark is", () => {
    const { p, log, timers } = processor(ctxWith({ referralValueMinor: 500 }));
    p.apply(purchase('a', 0, 100)); // one-time buyer: check at day 31
    p.apply(referral('a', 0, 'b', { eventId: 'ref', ms: 1 }));
    p.apply(purchase('b', 30, 10_000, { eventId: 'buy' })); // credit takes hold at day 31
    expect(p.watermark).toBe(DAY0 + 30);
    expect(timers()).toEqual([]);
    p.settle();
    expect(timers()).toEqual([['a', 31]]);
    expect(log.slice(-2).map((l) => l.input?.kind ?? 'timer')).toEqual(['timer', 'referral_credit']);
    expect(p.states.get('a')?.asOfDay).toBe(DAY0 + 31);
  });

  describe('every credit of a referred customer reaches the referrer, whatever order the credits take hold in', () => {
    // A source's credits carry an increasing sequence, and the referrer drops one whose sequence is not
    // above the last it applied (a repeat). Credits now take hold in (applyAt, event id) order, which need
    // not be the order of their sequences.
    it('a purchase exactly when the attribution takes hold: its credit ties with the attribution\'s aggregated credit', () => {
      const { p, log } = processor(ctxWith({ referralValueMinor: 500 }));
      p.apply(referral('a', 0, 'b', { eventId: 'ref' }));
      p.apply(purchase('b', 0, 10_000, { eventId: 'b-0', ms: 1_000 })); // before the attribution takes hold: credited by it (sequence 1)
      // At noon of day 1, just after the attribution took hold (sequence 2). Both credits take hold at noon of
      // day 2; its id, credit:b:<order hash in base 36>, starts with a digit, so it comes before credit:b:attributed.
      p.apply(purchase('b', 1, 10_000, { eventId: 'b-1' }));
      p.settle();
      const credits = log.filter((l) => l.input?.kind === 'referral_credit');
      expect(credits).toHaveLength(2);
      expect(credits.map((l) => l.reduction.applied)).toEqual([true, true]);
      expect([p.states.get('a')?.referralValueMinor, p.states.get('a')?.successfulReferrals]).toEqual([500 + 300 + 300, 1]);
    });

    it('a late purchase: its credit takes hold before the credit of a purchase made after it but received first', () => {
      const { p } = processor(ctxWith({ referralValueMinor: 500 }));
      p.apply(referral('a', 0, 'b', { eventId: 'ref' }));
      p.apply(purchase('b', 2, 10_000, { eventId: 'b-2' })); // credit sequence 1, takes hold at day 3
      p.apply(purchase('b', 1, 10_000, { eventId: 'b-1', ms: 1 })); // late: credit sequence 2, takes hold at day 2 (first)
      p.settle();
      expect([p.states.get('a')?.referralValueMinor, p.states.get('a')?.successfulReferrals]).toEqual([500 + 300 + 300, 1]);
    });
  });

  it('a duplicate event does not change when a pending referral effect takes hold', () => {
    const run = (dup: boolean) => {
      const { p, log, emits } = processor(ctxWith({ referralValueMinor: 500 }));
      const first = purchase('b', 3, 10_000, { eventId: 'b-3' });
      p.apply(first);
      p.apply(referral('a', 0, 'b', { eventId: 'ref' })); // late referral: the attribution takes hold at day 1
      if (dup) p.apply({ ...first }); // a duplicate of the day-3 purchase
      p.apply(feedback('a', 0, 9, { eventId: 'a-late', ms: 5 }));
      p.settle();
      return { order: log.filter((l) => l.reduction.applied && l.input !== null).map((l) => l.input?.eventId), emits, states: p.states };
    };
    const clean = run(false);
    const dirty = run(true);
    expect(dirty.order).toEqual(clean.order);
    expect(dirty.emits).toEqual(clean.emits);
    expect(dirty.states).toEqual(clean.states);
  });

  it('reports duplicates to the observer and emits nothing for them', () => {
    const { p, log, emits } = processor();
    const e = purchase('a', 0, 100, { eventId: 'once' });
    p.apply(e);
    const emitted = emits.length;
    const state = structuredClone(p.states.get('a'));
    p.apply({ ...e });
    expect(log.at(-1)?.reduction.applied).toBe(false);
    expect(emits).toHaveLength(emitted);
    expect(p.states.get('a')).toEqual(state);
  });

  it('gives every profile as of a day, never before the customer was last evaluated', () => {
    const { p } = processor();
    p.apply(purchase('a', 0, 100));
    p.apply(purchase('b', 50, 100));
    const days = Object.fromEntries([...p.profiles(DAY0 + 20)].map(([s, prof]) => [s.customerId, prof.day - DAY0]));
    expect(days).toEqual({ a: 31, b: 50 }); // a was evaluated at its day-31 check
  });
});

describe('TimerHeap', () => {
  it('pops due entries by (day, customer), leaving later ones', () => {
    const h = new TimerHeap();
    const entries = [
      [5, 'b'],
      [3, 'z'],
      [5, 'a'],
      [9, 'a'],
      [1, 'm'],
      [3, 'a'],
    ] as const;
    for (const [day, customerId] of entries) h.push({ day, customerId });
    const popped: string[] = [];
    for (let d = h.popDue(5); d !== undefined; d = h.popDue(5)) popped.push(`${d.day}${d.customerId}`);
    expect(popped).toEqual(['1m', '3a', '3z', '5a', '5b']);
    expect(h.size).toBe(1);
    expect(h.popDue(8)).toBeUndefined();
    expect(h.popDue(9)).toEqual({ day: 9, customerId: 'a' });
  });
});
