import { describe, expect, it } from 'vitest';
import type { ChurnRisk, OutboundEvent, SegmentChanged } from '../../src/contracts/outbound.js';
import type { ModelSnapshot } from '../../src/domain/model-snapshot.js';
import type { ReduceContext, Reduction } from '../../src/domain/reducer.js';
import type { CustomerState } from '../../src/domain/state.js';
import { cancellation, ctx, ctxWith, feedback, fold, purchase, returned, timerAt } from './fixtures.js';

/** Churn level and reasons after advancing the customer to each day in turn. */
function levelsAt(start: CustomerState, days: readonly number[], c: ReduceContext = ctx): string[] {
  let state = start;
  return days.map((n) => {
    const r: Reduction = timerAt(state, n, c);
    state = r.state;
    return `${n}:${r.profile?.churn.level}:${r.profile?.churn.reasons.join('+')}`;
  });
}

const churnEvents = (events: readonly OutboundEvent[]): ChurnRisk[] => events.filter((e): e is ChurnRisk => e.type === 'churn-risk');
const segmentEvents = (events: readonly OutboundEvent[]): SegmentChanged[] =>
  events.filter((e): e is SegmentChanged => e.type === 'segment-changed');

describe('churn level from inactivity (no fitted model)', () => {
  it("measures recency against the customer's own typical interval t_x / x", () => {
    const { state } = fold([purchase('c', 0, 100), purchase('c', 10, 100), purchase('c', 20, 100)]);
    // typical = 20 / 2 = 10 days; ratio = (day − 20) / 10 against 1.5, 2.5, 4, 6 (a ratio equal to a bound stays)
    expect(levelsAt(state, [35, 36, 45, 46, 60, 61, 80, 81])).toEqual([
      '35:active:', // 1.5
      '36:cooling:inactivity', // 1.6
      '45:cooling:inactivity', // 2.5
      '46:at_risk:inactivity', // 2.6
      '60:at_risk:inactivity', // 4.0
      '61:highly_at_risk:inactivity', // 4.1
      '80:highly_at_risk:inactivity', // 6.0
      '81:lost:inactivity', // 6.1
    ]);
  });

  it('uses the configured interval (90 days) for one-time buyers', () => {
    const { state } = fold([purchase('c', 0, 100)]);
    // bounds 1.5 × 90 = 135, 2.5 × 90 = 225, 4 × 90 = 360, 6 × 90 = 540 days
    expect(levelsAt(state, [135, 136, 225, 226, 360, 361, 540, 541])).toEqual([
      '135:active:',
      '136:cooling:inactivity',
      '225:cooling:inactivity',
      '226:at_risk:inactivity',
      '360:at_risk:inactivity',
      '361:highly_at_risk:inactivity',
      '540:highly_at_risk:inactivity',
      '541:lost:inactivity',
    ]);
  });

  it('reads the one-time interval from the configuration', () => {
    const c = ctxWith({ churn: { ...ctx.parameters.churn, oneTimeBuyerIntervalDays: 30 } });
    const { state } = fold([purchase('c', 0, 100)], c);
    // 1.5 × 30 = 45
    expect(levelsAt(state, [45, 46], c)).toEqual(['45:active:', '46:cooling:inactivity']);
  });

  it('keeps prospects active', () => {
    const { last } = fold([{ kind: 'referral', eventId: 'x', customerId: 'p', at: 0, day: 0, referredCustomerId: 'q' }]);
    expect(last.profile?.churn).toEqual({ level: 'active', reasons: [] });
  });
});

describe('churn level from P(alive) when a BG/NBD model is given', () => {
  // r = 1, α = 10, a = 1, b = 2. With x = 1, t_x = 10:
  // P(alive) = 1 / (1 + a/(b + x − 1) · ((α + T)/(α + t_x))^(r + x)) = 1 / (1 + 0.5 · ((10 + T)/20)²)
  const model: ModelSnapshot = { version: 'bgnbd-test', bgnbd: { r: 1, alpha: 10, a: 1, b: 2 }, gammaGamma: null, cutPoints: null };
  const withModel = ctxWith({}, model);
  const { state } = fold([purchase('c', 0, 100), purchase('c', 10, 100)], withModel);

  it('maps P(alive) to a level by the thresholds 0.6, 0.4, 0.3, 0.2', () => {
    expect(levelsAt(state, [13, 14, 20, 24, 25, 33, 34, 46, 47], withModel)).toEqual([
      '13:active:', // (23/20)² = 1.3225 → P = 1 / 1.66125 = 0.602
      '14:cooling:p_alive', // (24/20)² = 1.44 → P = 1 / 1.72 = 0.581
      '20:cooling:p_alive', // 2.25 → 0.471
      '24:cooling:p_alive', // 2.89 → 0.409
      '25:at_risk:p_alive', // 3.0625 → 0.395
      '33:at_risk:p_alive', // (43/20)² = 4.6225 → 0.302
      '34:highly_at_risk:p_alive', // 4.84 → 0.292
      '46:highly_at_risk:p_alive', // 7.84 → 0.203
      '47:lost:p_alive', // 8.1225 → 0.198
    ]);
  });

  it('reports P(alive) in the profile', () => {
    // T = 30: ((40/20)² = 4) → P = 1 / 3
    expect(timerAt(state, 30, withModel).profile?.pAlive).toBeCloseTo(1 / 3, 12);
  });

  it('falls back to the inactivity rule for one-time buyers, whose BG/NBD P(alive) (always 1) is not shown', () => {
    const one = fold([purchase('o', 0, 100)], withModel).state;
    const at136 = timerAt(one, 136, withModel).profile;
    expect(at136?.pAlive).toBeNull();
    expect(at136?.pAliveReason).toBe('one_time_buyer');
    expect(at136?.churn).toEqual({ level: 'cooling', reasons: ['inactivity'] });
  });
});

describe('cancellation and reactivation', () => {
  it('a cancellation churns the customer and changes the account status', () => {
    const { state } = fold([purchase('c', 0, 100)]);
    const r = fold([cancellation('c', 5, { eventId: 'cx' })], ctx, state).last;
    expect(r.profile?.churn).toEqual({ level: 'churned', reasons: ['cancellation'] });
    expect(segmentEvents(r.emits).map((e) => [e.dimension, e.from, e.to])).toEqual([['account_status', 'active', 'cancelled']]);
    expect(churnEvents(r.emits).map((e) => [e.previous_level, e.level, e.direction, e.reasons])).toEqual([
      ['active', 'churned', 'rising', ['cancellation']],
    ]);
  });

  it('a cancelled prospect is churned too', () => {
    expect(fold([cancellation('p', 0)]).last.profile?.churn.level).toBe('churned');
  });

  it('a later purchase reactivates: account_status → reactivated and the churn level recovers', () => {
    const cancelled = fold([purchase('c', 0, 100), cancellation('c', 5)]).state;
    const r = fold([purchase('c', 9, 100)], ctx, cancelled).last;
    expect(r.profile?.segments.account_status).toBe('reactivated');
    expect(segmentEvents(r.emits).filter((e) => e.dimension === 'account_status').map((e) => [e.from, e.to])).toEqual([
      ['cancelled', 'reactivated'],
    ]);
    expect(churnEvents(r.emits).map((e) => [e.previous_level, e.level, e.direction, e.reasons])).toEqual([
      ['churned', 'active', 'recovering', []],
    ]);
  });

  it('a purchase dated before the cancellation (arriving late) does not reactivate', () => {
    const cancelled = fold([purchase('c', 0, 100), cancellation('c', 5)]).state;
    const r = fold([purchase('c', 3, 100)], ctx, cancelled).last;
    expect(r.profile?.segments.account_status).toBe('cancelled');
    expect(r.profile?.churn.level).toBe('churned');
  });
});

describe('raises: detractor answers and returns spikes', () => {
  it('a detractor (0–6) raises the level by one for 180 days, then it recovers', () => {
    const { state, last } = fold([purchase('c', 0, 100), feedback('c', 5, 6)]);
    expect(last.profile?.churn).toEqual({ level: 'cooling', reasons: ['detractor'] });
    // raise active for days 5 … 5 + 179 = 184, expired at 185; meanwhile the base level
    // (one-time buyer, 184 / 90 = 2.04 > 1.5) is cooling
    expect(levelsAt(state, [184, 185])).toEqual(['184:at_risk:inactivity+detractor', '185:cooling:inactivity']);
    // the recovery is announced without reasons, though the remaining level has one
    const at185 = timerAt(timerAt(state, 184).state, 185);
    expect(churnEvents(at185.emits).map((e) => [e.previous_level, e.level, e.direction, e.reasons])).toEqual([
      ['at_risk', 'cooling', 'recovering', []],
    ]);
  });

  it('a detractor prospect is raised too, and recovers when the answer expires', () => {
    const { state, last } = fold([feedback('p', 0, 0)]);
    expect(last.profile?.churn).toEqual({ level: 'cooling', reasons: ['detractor'] });
    expect(levelsAt(state, [179, 180])).toEqual(['179:cooling:detractor', '180:active:']);
  });

  it('a passive answer (7) raises nothing, and a newer passive answer ends the raise', () => {
    expect(fold([purchase('c', 0, 100), feedback('c', 5, 7)]).last.profile?.churn.level).toBe('active');
    const r = fold([purchase('c', 0, 100), feedback('c', 5, 2), feedback('c', 6, 8)]).last;
    expect(r.profile?.churn.level).toBe('active');
    expect(churnEvents(r.emits).map((e) => [e.level, e.direction])).toEqual([['active', 'recovering']]);
  });

  it('adds to the base level and never goes beyond lost', () => {
    const one = fold([purchase('c', 0, 100), feedback('c', 400, 0)]).state;
    // day 400: base 400 / 90 = 4.4 → highly_at_risk, raised → lost
    // day 545: base 545 / 90 = 6.1 → lost already; the (still active) raise adds nothing
    expect(levelsAt(one, [400, 545])).toEqual(['400:lost:inactivity+detractor', '545:lost:inactivity']);
  });

  it('3 returns within 30 days raise the level by one until the oldest leaves the window', () => {
    const { state, reductions } = fold([
      purchase('c', 0, 10_000, { orderId: 'A' }),
      returned('c', 10, 100, 'A'),
      returned('c', 20, 100, 'A'),
      returned('c', 39, 100, 'A'), // 39 − 10 = 29 < 30: three in the window
    ]);
    expect(reductions[2]?.profile?.churn.level).toBe('active'); // two returns only
    expect(reductions[3]?.profile?.churn).toEqual({ level: 'cooling', reasons: ['returns_spike'] });
    expect(levelsAt(state, [40])).toEqual(['40:active:']); // 40 − 10 = 30: out of the window
  });

  it('a detractor and a returns spike add up', () => {
    const { last } = fold([
      purchase('c', 0, 10_000, { orderId: 'A' }),
      feedback('c', 1, 3),
      returned('c', 2, 100, 'A'),
      returned('c', 3, 100, 'A'),
      returned('c', 4, 100, 'A'),
    ]);
    expect(last.profile?.churn).toEqual({ level: 'at_risk', reasons: ['detractor', 'returns_spike'] });
  });

  it('a cancellation overrides the raises', () => {
    const { last } = fold([purchase('c', 0, 100), feedback('c', 1, 0), cancellation('c', 2)]);
    expect(last.profile?.churn).toEqual({ level: 'churned', reasons: ['cancellation'] });
  });
});
