/**
 * The one CLV definition (docs/domain.md, "Customer lifetime value"), shared by
 * the simple rule and the model: regression tests for the defects of issue 26.
 */
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/index.js';
import { domainParametersFrom } from '../../src/config/runtime-parameters.js';
import { btydSummary } from '../../src/domain/btyd.js';
import { defaultDomainParameters, type DomainParameters } from '../../src/domain/parameters.js';
import type { ModelSnapshot } from '../../src/domain/model-snapshot.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import { evaluate, predictedClvMinor } from '../../src/domain/profile.js';
import { snapshotOf } from '../../src/domain/emissions.js';
import type { CustomerState } from '../../src/domain/state.js';
import { DAY0, cancellation, ctxWith, fold, purchase, returned } from './fixtures.js';

const fitted: ModelSnapshot = {
  version: 'cdnow-days',
  purchaseModel: 'bgnbd',
  bgnbd: { r: 0.243, alpha: 4.414 * 7, a: 0.793, b: 2.426 },
  gammaGamma: { p: 6.25, q: 3.74, v: 1544 },
  cutPoints: null,
};

const both: [string, ModelSnapshot][] = [
  ['simple rule', UNFITTED_MODEL],
  ['model', fitted],
];

function predictedAt(state: CustomerState, day: number, model: ModelSnapshot, parameters: DomainParameters = defaultDomainParameters): number {
  const p = evaluate(state, DAY0 + day, model, parameters);
  return predictedClvMinor(state, p, model, parameters);
}

const history = [purchase('c', 0, 4000, { orderId: 'A' }), purchase('c', 30, 4000, { orderId: 'B' }), purchase('c', 60, 4000, { orderId: 'C' })];

describe.each(both)('predicted CLV, %s', (_name, model) => {
  const c = ctxWith({}, model);

  it('is 0 for a cancelled customer, and comes back when they buy again', () => {
    const cancelled = fold([...history, cancellation('c', 70)], c).state;
    expect(predictedAt(cancelled, 80, model)).toBe(0);
    const back = fold([purchase('c', 90, 4000)], c, cancelled).state;
    expect(predictedAt(back, 95, model)).toBeGreaterThan(0);
  });

  it('is net of expected refunds: a customer who returned every order is worth less than one who kept them', () => {
    const kept = fold(history, c).state;
    const returnedAll = fold([returned('c', 61, 4000, 'A'), returned('c', 61, 4000, 'B'), returned('c', 61, 4000, 'C')], c, kept).state;
    const keptClv = predictedAt(kept, 90, model);
    expect(keptClv).toBeGreaterThan(0);
    expect(predictedAt(returnedAll, 90, model)).toBeLessThanOrEqual(0);
  });

  it('is net of the cost to serve', () => {
    const state = fold(history, c).state;
    const base = predictedAt(state, 90, model);
    const costly = predictedAt(state, 90, model, { ...defaultDomainParameters, costPerOrderMinor: 500 });
    expect(costly).toBeLessThan(base);
  });

  it('adds expected referral revenue', () => {
    const state = fold(history, c).state;
    const referrer = { ...state, referralValueMinor: 3000 };
    expect(predictedAt(referrer, 90, model)).toBeGreaterThan(predictedAt(state, 90, model));
  });

  it('is a net present value: a shorter horizon and a higher discount rate lower it', () => {
    const state = fold(history, c).state;
    const base = predictedAt(state, 90, model);
    expect(predictedAt(state, 90, model, { ...defaultDomainParameters, clvHorizonDays: 365 })).toBeLessThan(base);
    expect(predictedAt(state, 90, model, { ...defaultDomainParameters, annualDiscountRate: 0.5 })).toBeLessThan(base);
  });

  it('is shown with historic CLV and their total in the snapshot', () => {
    const { state } = fold(history, c);
    const p = evaluate(state, DAY0 + 90, model, defaultDomainParameters);
    const snap = snapshotOf(state, p, model, defaultDomainParameters);
    expect(snap.clv_total_minor).toBe(snap.clv_historic_minor + snap.clv_predicted_minor);
  });
});

describe('simple predicted CLV as a net present value', () => {
  it('CDNOW-like one-time buyer: horizon and discount rate change the figure as documented', () => {
    const { state } = fold([purchase('c', 0, 10_000)]);
    const summary = btydSummary(state, DAY0)!;
    expect(summary.x).toBe(0);
    // λ = 1 purchase day / max(T + 1, 90) = 1/90 a day; v = 10000 × 0.3 = 3000.
    // Periods of 91 days over 365 days: ends 91, 182, 273, 364 and the horizon's 365; each period's
    // purchases λ·len are kept with survival 0.6^(end/365) and discounted (1.5)^(−end/365).
    const ends = [91, 182, 273, 364, 365];
    let expected = 0;
    let start = 0;
    for (const end of ends) {
      expected += (end - start) / 90 * 3000 * Math.pow(0.6, end / 365) * Math.pow(1.5, -end / 365);
      start = end;
    }
    const config = { ...defaultDomainParameters, clvHorizonDays: 365, annualDiscountRate: 0.5 };
    expect(predictedAt(state, 0, UNFITTED_MODEL, config)).toBe(Math.round(expected));
  });
});

describe('every setting the definition names changes the figure', () => {
  const withReturn = [...history, returned('c', 61, 1000, 'A')];
  it.each([
    ['CLV_HORIZON_DAYS', '365'],
    ['CLV_ANNUAL_DISCOUNT_RATE', '0.5'],
    ['CLV_PERIOD_DAYS', '30'],
    ['RETENTION_RATE', '0.9'],
    ['COST_PER_ORDER', '2.00'],
    ['COST_PER_RETURN', '2.00'],
    ['MARGIN_RATE', '0.5'],
  ])('%s', (name, value) => {
    const base = domainParametersFrom(loadSettings({ env: {} }));
    const changed = domainParametersFrom(loadSettings({ env: { [name]: value } }));
    const stateWith = (parameters: DomainParameters) => fold(withReturn, { model: UNFITTED_MODEL, parameters: parameters }).state;
    expect(predictedAt(stateWith(changed), 90, UNFITTED_MODEL, changed)).not.toBe(predictedAt(stateWith(base), 90, UNFITTED_MODEL, base));
  });
});
