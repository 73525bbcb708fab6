import { describe, expect, it } from 'vitest';
import { btydSummary } from '../../src/domain/btyd.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import type { ModelSnapshot } from '../../src/domain/model-snapshot.js';
import { discountSchedule, discountedExpectedPurchases, predictedClv, probabilityAlive } from '../../src/domain/models/index.js';
import { evaluate, predictedClvMinor } from '../../src/domain/profile.js';
import { simplePredictedClvMinor } from '../../src/domain/clv.js';
import { DAY0, ctxWith, fold, purchase } from './fixtures.js';

// CDNOW's published fit in days (alpha × 7) and cents (v × 100).
const fitted: ModelSnapshot = {
  version: 'cdnow-days',
  bgnbd: { r: 0.243, alpha: 4.414 * 7, a: 0.793, b: 2.426 },
  gammaGamma: { p: 6.25, q: 3.74, v: 1544 },
  cutPoints: null,
};

describe('scoring with a fitted model', () => {
  const history = [purchase('c', 0, 2000), purchase('c', 30, 3000), purchase('c', 60, 1000)];

  it('uses BG/NBD P(alive) for the snapshot and the churn level of a repeat buyer', () => {
    const { state } = fold(history, ctxWith({}, fitted));
    const p = evaluate(state, DAY0 + 200, fitted, defaultDomainParameters);
    // x = 2 repeat days, t_x = 60, T = 200
    expect(p.pAlive).toBeCloseTo(probabilityAlive(fitted.bgnbd!, 2, 60, 200), 12);
    expect(p.churn.reasons).toContain('p_alive');
  });

  it('predicts CLV with BG/NBD × Gamma-Gamma × the customer margin rate over the configured schedule', () => {
    const { state } = fold(history, ctxWith({}, fitted));
    const p = evaluate(state, DAY0 + 90, fitted, defaultDomainParameters);
    const schedule = discountSchedule({ horizonDays: 1095, periodDays: defaultDomainParameters.clvPeriodDays, annualDiscountRate: 0.1 });
    const summary = btydSummary(state, DAY0 + 90)!;
    // margin rate = 1800 / 6000 = 0.3; zbar = (3000 + 1000) / 2 = 2000 cents
    const expected = Math.round(predictedClv(fitted.bgnbd!, fitted.gammaGamma!, summary, 0.3, schedule));
    expect(predictedClvMinor(state, p, fitted, defaultDomainParameters)).toBe(expected);
    expect(expected).toBeGreaterThan(0);
  });

  it('without a Gamma-Gamma, takes the purchases from the model and the spend observed per purchase day', () => {
    const half: ModelSnapshot = { ...fitted, gammaGamma: null };
    const { state } = fold(history, ctxWith({}, half));
    const p = evaluate(state, DAY0 + 90, half, defaultDomainParameters);
    const schedule = discountSchedule({ horizonDays: 1095, periodDays: defaultDomainParameters.clvPeriodDays, annualDiscountRate: 0.1 });
    const purchases = discountedExpectedPurchases(half.bgnbd!, 2, 60, 90, schedule);
    // 6000 over 3 purchase days at margin 0.3
    expect(predictedClvMinor(state, p, half, defaultDomainParameters)).toBe(Math.round(purchases * 2000 * 0.3));
    expect(predictedClvMinor(state, p, half, defaultDomainParameters)).not.toBe(simplePredictedClvMinor(state, p.summary, defaultDomainParameters));
  });
});
