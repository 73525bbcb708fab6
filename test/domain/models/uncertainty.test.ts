import { describe, expect, it } from 'vitest';
import {
  aggregateBgNbd,
  bgnbdDataLogLikelihood,
  deltaVariances,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  invertPositiveDefinite,
  logHessian,
  predictionInterval,
  modelConditionalExpectedPurchases,
  seededRandom,
  simulateBgNbdCustomer,
  withParameters,
  type PurchaseModel,
} from '../../../src/domain/models/index.js';
import { loadCdnow } from './cdnow.js';

const cdnow = loadCdnow();
const summaries = cdnow.map((c) => ({ x: c.x, t_x: c.t_x, T: c.T }));
const relative = (actual: number, expected: number): number => Math.abs(actual - expected) / Math.abs(expected);

/**
 * Standard errors published for the CDNOW sample in weeks:
 * - BG/NBD: the `lifetimes` documentation's `BetaGeoFitter.summary` on the
 *   2,357-customer sample: se(r) 0.012557, se(α) 0.378221, se(a) 0.185719, se(b) 0.705345;
 * - Pareto/NBD: the CLVTools correctness tests (R package, CDNOW without
 *   covariates): se(r) 0.0476264, se(α) 0.8427222, se(s) 0.1872594, se(β) 6.2105448.
 */
const LIFETIMES_BGNBD_SE = [0.012557, 0.378221, 0.185719, 0.705345];
const CLVTOOLS_PNBD_SE = [0.0476264, 0.8427222, 0.1872594, 6.2105448];

describe('standard errors of the fits (inverse observed information in the log-parameters)', () => {
  it('reproduces the BG/NBD standard errors lifetimes reports for CDNOW', () => {
    const fit = fitBgNbd(summaries);
    if (fit.status !== 'fitted' || fit.standardErrors === null) throw new Error('no BG/NBD standard errors');
    fit.standardErrors.forEach((se, i) => expect(relative(se, LIFETIMES_BGNBD_SE[i]!)).toBeLessThan(1e-3));
  });

  it('reproduces the Pareto/NBD standard errors CLVTools reports for CDNOW', () => {
    const fit = fitParetoNbd(summaries);
    if (fit.status !== 'fitted' || fit.standardErrors === null) throw new Error('no Pareto/NBD standard errors');
    fit.standardErrors.forEach((se, i) => expect(relative(se, CLVTOOLS_PNBD_SE[i]!)).toBeLessThan(2e-3));
  });

  it('gives finite, positive standard errors for the modified BG/NBD and the Gamma-Gamma too', () => {
    const mbg = fitMbgNbd(summaries);
    const gg = fitGammaGamma(cdnow.filter((c) => c.x > 0).map((c) => ({ x: c.x, zbar: c.zbar })));
    for (const fit of [mbg, gg]) {
      if (fit.status !== 'fitted' || fit.standardErrors === null) throw new Error('no standard errors');
      for (const se of fit.standardErrors) expect(Number.isFinite(se) && se > 0).toBe(true);
    }
  });

  it('the Hessian of the log-likelihood by second differences equals central differences of the analytic gradient', () => {
    const data = aggregateBgNbd(summaries);
    const fit = fitBgNbd(data);
    if (fit.status !== 'fitted') throw new Error('not fitted');
    const toParams = (phi: ArrayLike<number>) => ({ r: Math.exp(phi[0]!), alpha: Math.exp(phi[1]!), a: Math.exp(phi[2]!), b: Math.exp(phi[3]!) });
    const at = [fit.params.r, fit.params.alpha, fit.params.a, fit.params.b].map(Math.log);
    const fromValues = logHessian((phi) => bgnbdDataLogLikelihood(toParams(phi), data), at);
    // ∂ℓ/∂φᵢ = θᵢ·∂ℓ/∂θᵢ from the analytic gradient; its central differences are the Hessian's columns.
    const logGradient = (phi: number[]): number[] => {
      const g = new Float64Array(4);
      const p = toParams(phi);
      bgnbdDataLogLikelihood(p, data, g);
      return [g[0]! * p.r, g[1]! * p.alpha, g[2]! * p.a, g[3]! * p.b];
    };
    const h = 1e-5;
    for (let j = 0; j < 4; j++) {
      const up = logGradient(at.map((v, k) => (k === j ? v + h : v)));
      const down = logGradient(at.map((v, k) => (k === j ? v - h : v)));
      for (let i = 0; i < 4; i++) {
        const fromGradient = (up[i]! - down[i]!) / (2 * h);
        expect(Math.abs(fromValues[i]![j]! - fromGradient)).toBeLessThan(1e-4 * Math.max(1, Math.abs(fromGradient)));
      }
    }
  });

  it('inverts a positive-definite matrix and refuses one that is not', () => {
    const A = [
      [4, 2, 0.6],
      [2, 5, 1],
      [0.6, 1, 3],
    ];
    const inv = invertPositiveDefinite(A)!;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const product = A[i]!.reduce((s, v, k) => s + v * inv[k]![j]!, 0);
        expect(product).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
    expect(invertPositiveDefinite([[1, 2], [2, 1]])).toBeNull();
    expect(invertPositiveDefinite([[0]])).toBeNull();
  });
});

describe('prediction intervals (delta method on the log scale)', () => {
  const intervalOf = (fit: ReturnType<typeof fitBgNbd>, x: number, tx: number, T: number, t: number) => {
    if (fit.status !== 'fitted' || fit.logCovariance === null) throw new Error('not fitted');
    const model: PurchaseModel = { kind: 'bgnbd', params: fit.params };
    const predict = (v: readonly number[]) => [modelConditionalExpectedPurchases(withParameters(model, v), x, tx, T, t)];
    const params = [fit.params.r, fit.params.alpha, fit.params.a, fit.params.b];
    const value = predict(params)[0]!;
    return { value, ...predictionInterval(value, deltaVariances(predict, params, fit.logCovariance)[0]!) };
  };

  it('contains the point estimate, is positive, and widens with fewer customers', () => {
    const full = intervalOf(fitBgNbd(summaries), 2, 30.43, 38.86, 39);
    expect(full.low).toBeGreaterThan(0);
    expect(full.low).toBeLessThan(full.value);
    expect(full.high).toBeGreaterThan(full.value);
    // Every fourth customer of CDNOW: a quarter of the data, about twice the width.
    const quarter = intervalOf(fitBgNbd(summaries.filter((_, i) => i % 4 === 0), { minRepeatBuyers: 0 }), 2, 30.43, 38.86, 39);
    const width = (i: { low: number; high: number; value: number }) => Math.log(i.high / i.low);
    expect(width(quarter) / width(full)).toBeGreaterThan(1.4);
  });

  it('covers the true expectation about 90 % of the time on simulated populations', () => {
    // 40 populations of 2,000 customers from known parameters; each fit's
    // interval for one customer's 52-week expectation should hold the truth
    // in roughly 90 % of them (at least 29 of 40 leaves room for chance: P < 1 %).
    const truth = { r: 0.5, alpha: 8, a: 0.6, b: 2.5 };
    const customer = { x: 3, tx: 30, T: 52 };
    const trueValue = modelConditionalExpectedPurchases({ kind: 'bgnbd', params: truth }, customer.x, customer.tx, customer.T, 52);
    let covered = 0;
    for (let k = 0; k < 40; k++) {
      const random = seededRandom(1000 + k);
      const population = Array.from({ length: 2000 }, () => {
        const c = simulateBgNbdCustomer(truth, 52, random);
        return { x: c.x, t_x: c.t_x, T: c.T };
      });
      const i = intervalOf(fitBgNbd(population, { minRepeatBuyers: 0 }), customer.x, customer.tx, customer.T, 52);
      if (i.low <= trueValue && trueValue <= i.high) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(29);
    expect(covered).toBeLessThan(40);
  });

  it('is a point without variance, and symmetric for a negative value', () => {
    expect(predictionInterval(0, 0)).toEqual({ low: 0, high: 0 });
    const negative = predictionInterval(-10, 4);
    expect(negative.low).toBeCloseTo(-10 - 1.6448536 * 2, 6);
    expect(negative.high).toBeCloseTo(-10 + 1.6448536 * 2, 6);
  });
});
