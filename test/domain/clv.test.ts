import { describe, expect, it } from 'vitest';
import { btydSummary } from '../../src/domain/btyd.js';
import { costToServeMinor, customerMarginRate, historicClvMinor, simplePredictedClvMinor } from '../../src/domain/clv.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import { predictedClvMinor } from '../../src/domain/profile.js';
import { emptyState } from '../../src/domain/state.js';
import { ctxWith, DAY0, fold, purchase, returned, timerAt } from './fixtures.js';

const costs = ctxWith({ costPerOrderMinor: 200, costPerReturnMinor: 500, acquisitionCostMinor: 1000 });

describe('historic CLV', () => {
  const { state } = fold(
    [
      purchase('c', 0, 10_000, { orderId: 'A' }), // margin 3000
      purchase('c', 1, 2500, { orderId: 'B', marginMinor: 1000 }),
      returned('c', 2, 4000, 'A'), // refund margin 1200
      returned('c', 3, 1000, null), // refund margin 300
    ],
    costs,
  );

  it('cost to serve = orders × cost per order + returns × cost per return', () => {
    // 2 × 200 + 2 × 500 = 1400
    expect(costToServeMinor(state, costs.parameters)).toBe(1400);
  });

  it('= net margin − cost to serve + referral value − acquisition cost', () => {
    // net margin = 4000 − 1500 = 2500; 2500 − 1400 + 0 − 1000 = 100
    expect(historicClvMinor(state, costs.parameters)).toBe(100);
    const withReferrals = { ...state, referralValueMinor: 750 };
    expect(historicClvMinor(withReferrals, costs.parameters)).toBe(850);
  });

  it('charges the acquisition cost only once the customer has bought', () => {
    const prospect = { ...emptyState('p'), referralValueMinor: 300 };
    expect(historicClvMinor(prospect, costs.parameters)).toBe(300);
  });

  it('is what the profile reports', () => {
    expect(timerAt(state, 10, costs).profile?.historicClvMinor).toBe(100);
  });
});

describe('simple predicted CLV (no fitted model)', () => {
  // Σ length · retention^(t/365) · (1 + d)^(−t/365) over the default schedule: 3 years of 91-day periods.
  const ends = [91, 182, 273, 364, 455, 546, 637, 728, 819, 910, 1001, 1092, 1095];
  const exposure = ends.reduce((acc, end, k) => acc + (end - (ends[k - 1] ?? 0)) * Math.pow(0.6, end / 365) * Math.pow(1.1, -end / 365), 0);

  it('contribution per purchase day × purchase days per day × the discounted, surviving exposure', () => {
    const { state } = fold([
      purchase('c', 0, 10_000), // margin 3000
      purchase('c', 0, 5000), // margin 1500
      purchase('c', 100, 5000), // margin 1500
    ]);
    const summary = btydSummary(state, DAY0 + 200);
    // contribution per purchase day = 6000 / 2; purchase days per day = 2 / max(T + 1 = 201, 90)
    const expected = Math.round(3000 * (2 / 201) * exposure);
    expect(simplePredictedClvMinor(state, summary, defaultDomainParameters)).toBe(expected);
    const at200 = timerAt(state, 200);
    expect(at200.profile && predictedClvMinor(at200.state, at200.profile, UNFITTED_MODEL, defaultDomainParameters)).toBe(expected);
  });

  it('observes a new customer over at least minObservationDays', () => {
    const { state } = fold([purchase('c', 0, 10_000)]);
    expect(simplePredictedClvMinor(state, btydSummary(state, DAY0), defaultDomainParameters)).toBe(Math.round(3000 * (1 / 90) * exposure));
  });

  it('is 0 for a prospect', () => {
    expect(simplePredictedClvMinor(emptyState('p'), null, defaultDomainParameters)).toBe(0);
  });

  it('uses net margin (refunds taken back)', () => {
    const { state } = fold([purchase('c', 0, 10_000, { orderId: 'A' }), returned('c', 0, 5000, 'A')]);
    // net margin = 3000 − 1500 = 1500 a purchase day
    expect(simplePredictedClvMinor(state, btydSummary(state, DAY0), defaultDomainParameters)).toBe(Math.round(1500 * (1 / 90) * exposure));
  });
});

describe('customer margin rate', () => {
  it('is margin / gross, or the configured rate before any revenue', () => {
    const { state } = fold([purchase('c', 0, 2000, { marginMinor: 500 })]);
    expect(customerMarginRate(state, defaultDomainParameters)).toBe(0.25);
    expect(customerMarginRate(emptyState('p'), defaultDomainParameters)).toBe(0.3);
  });
});
