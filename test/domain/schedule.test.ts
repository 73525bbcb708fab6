import { describe, expect, it } from 'vitest';
import type { ModelSnapshot } from '../../src/domain/model-snapshot.js';
import type { ReduceContext } from '../../src/domain/reducer.js';
import type { CustomerState } from '../../src/domain/state.js';
import { cancellation, ctx, ctxWith, DAY0, feedback, fold, purchase, returned, timerAt } from './fixtures.js';

/** Follows the schedule: fires each next check in turn and lists the days (relative to DAY0). */
function followChecks(start: CustomerState, count: number, c: ReduceContext = ctx): (number | null)[] {
  const days: (number | null)[] = [];
  let state = start;
  for (let i = 0; i < count; i++) {
    const next = state.nextCheckDay;
    days.push(next === null ? null : next - DAY0);
    if (next === null) break;
    state = timerAt(state, next - DAY0, c).state;
  }
  return days;
}

describe('next check day', () => {
  it('one-time buyer: the R score drops after 30, 90, 180 days, the inactivity bounds at 136, 226, 361, 541', () => {
    const { state } = fold([purchase('c', 0, 100)]);
    // candidates (recency): R drops at 31, 91, 181, 366; inactivity passes 135, 225, 360, 540 → +1
    expect(followChecks(state, 10)).toEqual([31, 91, 136, 181, 226, 361, 366, 541, null]);
  });

  it("a repeat buyer's inactivity thresholds follow its own interval", () => {
    const { state } = fold([purchase('c', 0, 100), purchase('c', 10, 100), purchase('c', 20, 100)]);
    // typical 10: inactivity bounds at 20 + 15, 25, 40, 60 → checks 36, 46, 61, 81; R drops at 20 + 31, 91, …
    expect(followChecks(state, 5)).toEqual([36, 46, 51, 61, 81]);
  });

  it('the expiry of a detractor answer (a prospect has no other check)', () => {
    const { state, last } = fold([feedback('p', 5, 4)]);
    expect(last.nextCheckDay).toBe(DAY0 + 5 + 180);
    expect(followChecks(state, 3)).toEqual([185, null]);
  });

  it('no check for a passive prospect', () => {
    expect(fold([feedback('p', 5, 8)]).last.nextCheckDay).toBeNull();
  });

  it('the day a return leaves the spike window', () => {
    const { last } = fold([purchase('c', 0, 1000, { orderId: 'A' }), returned('c', 0, 10, 'A')]);
    // return expiry 0 + 30 = 30 comes before the R drop at 31
    expect(last.nextCheckDay).toBe(DAY0 + 30);
  });

  it('churned customers get no churn checks, only R score drops', () => {
    const { state } = fold([purchase('c', 0, 100), cancellation('c', 1)]);
    expect(followChecks(state, 6)).toEqual([31, 91, 181, 366, null]);
    expect(fold([cancellation('p', 0)]).last.nextCheckDay).toBeNull();
  });

  it('with a fitted model, the day P(alive) falls below the current threshold (closed form)', () => {
    // r = 1, α = 10, a = 1, b = 2, x = 1, t_x = 10 (see churn.test.ts):
    // below θ once T > (α + t_x) · ((1/θ − 1)(b + x − 1)/a)^(1/(r + x)) − α
    // θ = 0.6: 20 · √(2/3 · 2) − 10 = 13.09 → day 14; θ = 0.4: 20 · √3 − 10 = 24.64 → day 25
    // θ = 0.3: 20 · √(14/3) − 10 = 33.2 → day 34; θ = 0.2: 20 · √8 − 10 = 46.57 → day 47
    // (R drops at 10 + 31 = 41, 101, …)
    const model: ModelSnapshot = { version: 'm', bgnbd: { r: 1, alpha: 10, a: 1, b: 2 }, gammaGamma: null, cutPoints: null };
    const c = ctxWith({}, model);
    const { state } = fold([purchase('c', 0, 100), purchase('c', 10, 100)], c);
    expect(followChecks(state, 6, c)).toEqual([14, 25, 34, 41, 47, 101]);
  });

  it('is the same day whichever input last touched the customer (a no-change event keeps it)', () => {
    const { state } = fold([purchase('c', 0, 100)]);
    const after = fold([feedback('c', 3, 8)], ctx, state).last;
    expect(after.nextCheckDay).toBe(DAY0 + 31);
  });
});
