import { describe, expect, it } from 'vitest';
import type { OutboundEvent } from '../../src/contracts/outbound.js';
import type { DomainInput } from '../../src/domain/input.js';
import type { Reduction } from '../../src/domain/reducer.js';
import { MemoryProcessor } from '../../src/pipeline/memory-processor.js';
import { TimerHeap } from '../../src/pipeline/timer-heap.js';
import { ctx, ctxWith, DAY0, feedback, purchase, referral } from '../domain/fixtures.js';

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

  it('routes referrals: attribution to the referred customer, credits back to the referrer', () => {
    const { p, log } = processor(ctxWith({ referralValueMinor: 500 }));
    p.apply(referral('a', 0, 'b', { eventId: 'ref' }));
    expect(p.states.get('b')?.referredBy).toBe('a');
    p.apply(purchase('b', 1, 10_000)); // margin 3000 × 0.1 = 300
    const a = p.states.get('a');
    expect(a?.referralValueMinor).toBe(800); // 500 for the referral + 300
    expect(a?.successfulReferrals).toBe(1);
    expect(log.map((l) => l.input?.kind)).toEqual(['referral', 'referral_attributed', 'purchase', 'referral_credit']);
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
