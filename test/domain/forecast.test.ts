import { describe, expect, it } from 'vitest';
import { customerView } from '../../src/app/customer-view.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { customerForecast } from '../../src/domain/forecast.js';
import { UNFITTED_MODEL, type ModelSnapshot } from '../../src/domain/model-snapshot.js';
import {
  conditionalExpectedPurchases,
  mbgnbdConditionalExpectedPurchases,
  medianTimeToNextPurchaseIfAlive,
  pnbdConditionalExpectedPurchases,
  probabilityAlive,
  fitBgNbd,
  fitGammaGamma,
} from '../../src/domain/models/index.js';
import { loadCdnow } from './models/cdnow.js';
import { evaluate, predictedClvMinor } from '../../src/domain/profile.js';
import { emptyState } from '../../src/domain/state.js';
import { dayToDate } from '../../src/domain/time.js';
import { DAY0, cancellation, ctxWith, fold, purchase } from './fixtures.js';

// CDNOW's published fits in days (α × 7) and cents (v × 100).
const fitted: ModelSnapshot = {
  version: 'cdnow-days',
  bgnbd: { r: 0.243, alpha: 4.414 * 7, a: 0.793, b: 2.426 },
  gammaGamma: { p: 6.25, q: 3.74, v: 1544 },
  cutPoints: null,
};
const pareto: ModelSnapshot = { ...fitted, version: 'pnbd', purchaseModel: 'pnbd', bgnbd: null, pnbd: { r: 0.553, alpha: 10.58 * 7, s: 0.606, beta: 11.67 * 7 } };
const modified: ModelSnapshot = { ...fitted, version: 'mbg', purchaseModel: 'mbgnbd', bgnbd: { r: 0.525, alpha: 6.183 * 7, a: 0.891, b: 1.614 } };

/** Composite Simpson's rule over [a, b] with n (even) intervals. */
function simpson(f: (u: number) => number, a: number, b: number, n = 2_000): number {
  const h = (b - a) / n;
  let sum = f(a) + f(b);
  for (let i = 1; i < n; i++) sum += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (sum * h) / 3;
}

// Three purchase days: 20.00, 30.00, 10.00 (margin 30 % by default): x = 2, t_x = 60.
const history = [purchase('c', 0, 2000), purchase('c', 30, 3000), purchase('c', 60, 1000)];

describe("a customer's forecast with a fitted BG/NBD and Gamma-Gamma", () => {
  const { state } = fold(history, ctxWith({}, fitted));
  const day = DAY0 + 90;
  const p = evaluate(state, day, fitted, defaultDomainParameters);
  const f = customerForecast(state, p, fitted, defaultDomainParameters);
  const { r, alpha, a, b } = fitted.bgnbd!;

  it('expects the BG/NBD conditional purchases over 30, 90 and 365 days', () => {
    expect(f.basis).toBe('bgnbd');
    [30, 90, 365].forEach((t, i) => expect(f.expectedPurchases[i]).toBeCloseTo(conditionalExpectedPurchases(fitted.bgnbd!, 2, 60, 90, t), 12));
    expect(f.expectedPurchases[0]).toBeLessThan(f.expectedPurchases[1]);
    expect(f.expectedPurchases[1]).toBeLessThan(f.expectedPurchases[2]);
  });

  it('waits the posterior median (α + T)(2^(1/(r+x)) − 1) for the next purchase if alive', () => {
    expect(f.nextPurchaseMedianDays).toBeCloseTo((alpha + 90) * (Math.pow(2, 1 / (r + 2)) - 1), 10);
  });

  it('averages t_x / x days between purchases and expects the Gamma-Gamma spend', () => {
    expect(f.meanDaysBetweenPurchases).toBe(30);
    // Gamma-Gamma: weighted mean of the population mean v·p/(q−1) and zbar = 2000, weight p·x/(p·x + q − 1).
    const { p: gp, q, v } = fitted.gammaGamma!;
    const weight = (gp * 2) / (gp * 2 + q - 1);
    expect(f.expectedSpendPerPurchaseMinor).toBeCloseTo((1 - weight) * ((v * gp) / (q - 1)) + weight * 2000, 8);
  });

  it('predicts one year of CLV as the discounted quarterly increments of the expectation × spend × margin', () => {
    // Periods of 91 days to 365: ends 91, 182, 273, 364, 365, each discounted at 10 % a year at its end.
    const ends = [91, 182, 273, 364, 365];
    let previous = 0;
    let purchases = 0;
    for (const end of ends) {
      const cumulative = conditionalExpectedPurchases(fitted.bgnbd!, 2, 60, 90, end);
      purchases += (cumulative - previous) * Math.pow(1.1, -end / 365);
      previous = cumulative;
    }
    expect(f.predictedClvYearMinor).toBe(Math.round(purchases * f.expectedSpendPerPurchaseMinor! * 0.3));
    expect(f.predictedClvHorizonMinor).toBe(predictedClvMinor(state, p, fitted, defaultDomainParameters));
    expect(f.predictedClvYearMinor).toBeLessThan(f.predictedClvHorizonMinor);
    // An independent check of the BG/NBD piece: P(alive) from its closed form.
    const odds = (a / (b + 1)) * Math.pow((alpha + 90) / (alpha + 60), r + 2);
    expect(probabilityAlive(fitted.bgnbd!, 2, 60, 90)).toBeCloseTo(1 / (1 + odds), 14);
  });

  it('shows the figures in the customer view with the model and its version', () => {
    const view = customerView(state, p, fitted, defaultDomainParameters);
    expect(view).toMatchObject({
      prediction_model: 'bgnbd',
      model_version: 'cdnow-days',
      expected_purchases_30d: Math.round(f.expectedPurchases[0] * 1e4) / 1e4,
      expected_purchases_365d: Math.round(f.expectedPurchases[2] * 1e4) / 1e4,
      next_purchase_median_days: Math.round(f.nextPurchaseMedianDays! * 10) / 10,
      next_purchase_expected: dayToDate(day + Math.round(f.nextPurchaseMedianDays!)),
      mean_days_between_purchases: 30,
      expected_spend_per_purchase: (Math.round(f.expectedSpendPerPurchaseMinor!) / 100).toFixed(2),
      clv_predicted_year: (f.predictedClvYearMinor / 100).toFixed(2),
      clv_predicted: (f.predictedClvHorizonMinor / 100).toFixed(2),
      clv_horizon_days: 1095,
    });
    expect(view.p_alive).toBe(p.pAlive);
  });
});

describe("a customer's forecast with the modified BG/NBD", () => {
  it("uses the modified model's expectations, including for a one-time buyer", () => {
    const { state } = fold([purchase('m', 0, 2500)], ctxWith({}, modified));
    const p = evaluate(state, DAY0 + 120, modified, defaultDomainParameters);
    const f = customerForecast(state, p, modified, defaultDomainParameters);
    expect(f.basis).toBe('mbgnbd');
    expect(f.expectedPurchases[1]).toBeCloseTo(mbgnbdConditionalExpectedPurchases(modified.bgnbd!, 0, 0, 120, 90), 12);
    expect(f.nextPurchaseMedianDays).toBeCloseTo(medianTimeToNextPurchaseIfAlive(0.525, 6.183 * 7, 0, 120), 12);
    expect(f.meanDaysBetweenPurchases).toBeNull();
  });
});

describe("a customer's forecast with the Pareto/NBD published", () => {
  it("uses the Pareto/NBD's expectations and CLV, not the BG/NBD's", () => {
    const { state } = fold(history, ctxWith({}, pareto));
    const p = evaluate(state, DAY0 + 90, pareto, defaultDomainParameters);
    const f = customerForecast(state, p, pareto, defaultDomainParameters);
    expect(f.basis).toBe('pnbd');
    [30, 90, 365].forEach((t, i) => expect(f.expectedPurchases[i]).toBeCloseTo(pnbdConditionalExpectedPurchases(pareto.pnbd!, 2, 60, 90, t), 12));
    expect(f.predictedClvHorizonMinor).toBeGreaterThan(0);
    expect(customerView(state, p, pareto, defaultDomainParameters).prediction_model).toBe('pnbd');
  });
});

describe('prediction intervals in the customer view (covariances of the CDNOW fits)', () => {
  // Covariances of ln θ do not depend on the time or money unit (ln α and ln v only shift).
  const cdnow = loadCdnow();
  const bgFit = fitBgNbd(cdnow.map((c) => ({ x: c.x, t_x: c.t_x, T: c.T })));
  const ggFit = fitGammaGamma(cdnow.filter((c) => c.x > 0).map((c) => ({ x: c.x, zbar: c.zbar })));
  if (bgFit.status !== 'fitted' || ggFit.status !== 'fitted') throw new Error('CDNOW fits failed');
  const withUncertainty = (scale: number): ModelSnapshot => ({
    ...fitted,
    uncertainty: { purchase: bgFit.logCovariance!.map((row) => row.map((v) => v * scale)), gammaGamma: ggFit.logCovariance!.map((row) => row.map((v) => v * scale)) },
  });
  const { state } = fold(history, ctxWith({}, fitted));
  const day = DAY0 + 90;

  it('gives 90 % bounds around every expected purchase count and CLV', () => {
    const model = withUncertainty(1);
    const view = customerView(state, evaluate(state, day, model, defaultDomainParameters), model, defaultDomainParameters);
    expect(view.prediction_interval_level).toBe(0.9);
    for (const h of ['30d', '90d', '365d'] as const) {
      const point = view[`expected_purchases_${h}`];
      expect(view[`expected_purchases_${h}_low`]!).toBeGreaterThan(0);
      expect(view[`expected_purchases_${h}_low`]!).toBeLessThan(point);
      expect(view[`expected_purchases_${h}_high`]!).toBeGreaterThan(point);
    }
    for (const name of ['clv_predicted_year', 'clv_predicted'] as const) {
      expect(Number(view[`${name}_low`])).toBeLessThan(Number(view[name]));
      expect(Number(view[`${name}_high`])).toBeGreaterThan(Number(view[name]));
    }
  });

  it('widens about twofold with a quarter of the customers (four times the covariance)', () => {
    const width = (scale: number) => {
      const model = withUncertainty(scale);
      const v = customerView(state, evaluate(state, day, model, defaultDomainParameters), model, defaultDomainParameters);
      return Math.log(v.expected_purchases_365d_high! / v.expected_purchases_365d_low!);
    };
    expect(width(4) / width(1)).toBeCloseTo(2, 1);
  });

  it('is null without a covariance (a version published before them) or before a fit', () => {
    for (const model of [fitted, UNFITTED_MODEL]) {
      const view = customerView(state, evaluate(state, day, model, defaultDomainParameters), model, defaultDomainParameters);
      expect(view).toMatchObject({ prediction_interval_level: null, expected_purchases_365d_low: null, clv_predicted_high: null });
    }
  });
});

describe("a customer's forecast before the first fit (the simple rule)", () => {
  it('expects the observed rate kept with the yearly retention, and its exponential median wait', () => {
    const { state } = fold(history);
    const p = evaluate(state, DAY0 + 90, UNFITTED_MODEL, defaultDomainParameters);
    const f = customerForecast(state, p, UNFITTED_MODEL, defaultDomainParameters);
    // 3 purchase days over max(T + 1, 90) = 91 days; survival 0.6 a year.
    const rate = 3 / 91;
    expect(f.basis).toBe('simple');
    [30, 90, 365].forEach((t, i) => expect(f.expectedPurchases[i]).toBeCloseTo(simpson((u) => rate * Math.pow(0.6, u / 365), 0, t), 10));
    expect(f.nextPurchaseMedianDays).toBeCloseTo(Math.LN2 / rate, 12);
    expect(f.expectedSpendPerPurchaseMinor).toBe(2000);
    expect(f.predictedClvHorizonMinor).toBe(predictedClvMinor(state, p, UNFITTED_MODEL, defaultDomainParameters));
    expect(p.pAlive).toBeNull();
  });

  it('expects nothing of a cancelled account and nothing of a prospect', () => {
    const { state } = fold([...history, cancellation('c', 70)]);
    const f = customerForecast(state, evaluate(state, DAY0 + 90, UNFITTED_MODEL, defaultDomainParameters), UNFITTED_MODEL, defaultDomainParameters);
    expect(f).toMatchObject({ expectedPurchases: [0, 0, 0], nextPurchaseMedianDays: null, predictedClvYearMinor: 0, predictedClvHorizonMinor: 0 });
    const prospect = emptyState('nobody');
    const none = customerForecast(prospect, evaluate(prospect, DAY0, UNFITTED_MODEL, defaultDomainParameters), UNFITTED_MODEL, defaultDomainParameters);
    expect(none).toMatchObject({ expectedPurchases: [0, 0, 0], nextPurchaseMedianDays: null, meanDaysBetweenPurchases: null, expectedSpendPerPurchaseMinor: null });
  });
});
