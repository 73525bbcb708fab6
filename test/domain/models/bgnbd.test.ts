import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  aggregateBgNbd,
  bgnbdDataLogLikelihood,
  bgnbdLogLikelihood,
  conditionalExpectedPurchases,
  conditionalExpectedPurchasesAt,
  expectedPurchases,
  fitBgNbd,
  hyp2f1,
  probabilityAlive,
  type BgNbdParams,
} from '../../../src/domain/models/index.js';
import { PUBLISHED, loadCdnow } from './cdnow.js';
import {
  referenceConditionalExpectation,
  referenceProbabilityAlive,
  referenceUnconditionalExpectation,
} from './reference/bgnbd-reference.js';

const relative = (actual: number, expected: number): number => Math.abs(actual - expected) / Math.abs(expected);
const cdnow = loadCdnow();
const published: BgNbdParams = PUBLISHED.bgnbd;
/** CDNOW parameters with α converted from weeks to days. */
const daily: BgNbdParams = { ...published, alpha: published.alpha * 7 };

function fitted(observations: Parameters<typeof fitBgNbd>[0]) {
  const fit = fitBgNbd(observations);
  if (fit.status !== 'fitted') throw new Error(`fit failed: ${JSON.stringify(fit)}`);
  return fit;
}

describe('BG/NBD on CDNOW (Fader, Hardie & Lee 2005)', () => {
  const fit = fitted(cdnow);

  it('reproduces the published parameters and log-likelihood to the printed precision', () => {
    expect(fit.converged).toBe(true);
    expect(fit.customers).toBe(2357);
    expect(fit.repeatBuyers).toBe(946);
    expect(fit.params.r).toBeCloseTo(0.243, 3);
    expect(fit.params.alpha).toBeCloseTo(4.414, 3);
    expect(fit.params.a).toBeCloseTo(0.793, 3);
    expect(fit.params.b).toBeCloseTo(2.426, 3);
    expect(fit.logLikelihood).toBeCloseTo(-9582.4, 1);
  });

  it('agrees with the per-customer log-likelihood summed', () => {
    const sum = cdnow.reduce((s, c) => s + bgnbdLogLikelihood(fit.params, c.x, c.t_x, c.T), 0);
    expect(relative(sum, fit.logLikelihood)).toBeLessThan(1e-12);
  });

  it('expects 1.226 purchases in 39 weeks for x = 2, t_x = 30.43, T = 38.86', () => {
    const { x, t_x, T, t, value } = PUBLISHED.expectedPurchases;
    expect(conditionalExpectedPurchases(published, x, t_x, T, t)).toBeCloseTo(value, 3);
    expect(conditionalExpectedPurchases(fit.params, x, t_x, T, t)).toBeCloseTo(value, 3);
    expect(relative(conditionalExpectedPurchases(published, x, t_x, T, t), referenceConditionalExpectation(published, x, t_x, T, t))).toBeLessThan(1e-13);
  });

  it('is unit-invariant: in days α is ×7, r, a, b unchanged, ln L shifted by the Jacobian −ln 7·Σx', () => {
    // Every repeat purchase time is a density in time, so rescaling time by 7
    // divides each customer's likelihood by 7^x: ln L_days = ln L_weeks − ln 7 · Σ x.
    const inDays = fitted(cdnow.map((c) => ({ x: c.x, t_x: c.t_x * 7, T: c.T * 7 })));
    const totalX = cdnow.reduce((s, c) => s + c.x, 0);
    expect(relative(inDays.params.alpha, 7 * fit.params.alpha)).toBeLessThan(1e-7);
    expect(relative(inDays.params.r, fit.params.r)).toBeLessThan(1e-7);
    expect(relative(inDays.params.a, fit.params.a)).toBeLessThan(1e-7);
    expect(relative(inDays.params.b, fit.params.b)).toBeLessThan(1e-7);
    expect(Math.abs(inDays.logLikelihood - (fit.logLikelihood - Math.log(7) * totalX))).toBeLessThan(1e-6);
    // Predictions do not depend on the unit either.
    const weeks = conditionalExpectedPurchases(fit.params, 2, 30.43, 38.86, 39);
    const days = conditionalExpectedPurchases(inDays.params, 2, 30.43 * 7, 38.86 * 7, 39 * 7);
    expect(relative(days, weeks)).toBeLessThan(1e-7);
  });

  it('has the analytic gradient of the aggregated log-likelihood', () => {
    const data = aggregateBgNbd(cdnow);
    const at: BgNbdParams = { r: 0.3, alpha: 5, a: 0.7, b: 2.2 };
    const gradient = new Float64Array(4);
    bgnbdDataLogLikelihood(at, data, gradient);
    (['r', 'alpha', 'a', 'b'] as const).forEach((key, i) => {
      const h = 1e-5 * at[key];
      const up = bgnbdDataLogLikelihood({ ...at, [key]: at[key] + h }, data);
      const down = bgnbdDataLogLikelihood({ ...at, [key]: at[key] - h }, data);
      expect(relative(gradient[i]!, (up - down) / (2 * h)), key).toBeLessThan(1e-6);
    });
  });
});

describe('P(alive)', () => {
  it('is exactly 1 without repeat purchases (dropout only happens after a repeat purchase)', () => {
    expect(probabilityAlive(daily, 0, 0, 0)).toBe(1);
    expect(probabilityAlive(daily, 0, 0, 3650)).toBe(1);
  });

  it('is (b+x−1)/(a+b+x−1) right after a purchase', () => {
    const { a, b } = daily;
    expect(relative(probabilityAlive(daily, 3, 100, 100), (b + 2) / (a + b + 2))).toBeLessThan(1e-15);
  });

  it('lies in [0, 1], falls as T grows and rises with t_x', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 0, max: 3650, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 500, noNaN: true }),
        (x, T, share, extra) => {
          const tx = share * T;
          const p = probabilityAlive(daily, x, tx, T);
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
          expect(probabilityAlive(daily, x, tx, T + extra)).toBeLessThanOrEqual(p);
          expect(probabilityAlive(daily, x, Math.min(T, tx + extra), T)).toBeGreaterThanOrEqual(p);
        },
      ),
    );
  });

  it('matches the high-precision reference, x up to 10 000', () => {
    for (const [x, tx, T] of [
      [1, 10, 300],
      [5, 200, 3650],
      [100, 3000, 3650],
      [10_000, 3649, 3650],
      [10_000, 3650, 3650],
    ] as const) {
      expect(relative(probabilityAlive(daily, x, tx, T), referenceProbabilityAlive(daily, x, tx, T)), `x=${x}`).toBeLessThan(1e-12);
    }
  });
});

describe('expected purchases', () => {
  it('E[X(t)] (eq. 9) matches the reference and the conditional form at x = 0, T = 0', () => {
    for (const t of [0.5, 30, 365, 3650]) {
      const value = expectedPurchases(daily, t);
      expect(relative(value, referenceUnconditionalExpectation(daily, t)), `t=${t}`).toBeLessThan(1e-12);
      expect(conditionalExpectedPurchases(daily, 0, 0, 0, t)).toBe(value);
    }
    expect(expectedPurchases(daily, 0)).toBe(0);
  });

  it('conditional expectation (eq. 10) matches the reference over customers and horizons', () => {
    for (const [x, tx, T] of [
      [0, 0, 10],
      [1, 5, 700],
      [2, 213, 272],
      [7, 300, 730],
      [40, 700, 730],
    ] as const) {
      for (const t of [1, 30, 365, 3650]) {
        const value = conditionalExpectedPurchases(daily, x, tx, T, t);
        expect(relative(value, referenceConditionalExpectation(daily, x, tx, T, t)), `x=${x} T=${T} t=${t}`).toBeLessThan(1e-12);
      }
    }
  });

  it('x = 10 000 over 10 years: finite, and equal to the 3000-digit-magnitude reference', () => {
    for (const [tx, t] of [
      [3650, 30],
      [3650, 3650],
      [3640, 365],
    ] as const) {
      const value = conditionalExpectedPurchases(daily, 10_000, tx, 3650, t);
      expect(Number.isFinite(value)).toBe(true);
      expect(relative(value, referenceConditionalExpectation(daily, 10_000, tx, 3650, t)), `t_x=${tx} t=${t}`).toBeLessThan(1e-11);
    }
  });

  it('extreme grid (x to 10 000, T and t to 3650 days): finite, ≥ 0, P(alive) in [0, 1]', () => {
    for (const x of [0, 1, 2, 50, 1000, 10_000]) {
      for (const T of [0, 1, 30, 365, 3650]) {
        for (const tx of x === 0 ? [0] : [0, T / 2, T]) {
          const p = probabilityAlive(daily, x, tx, T);
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
          for (const t of [1e-6, 1, 30, 365, 3650]) {
            const value = conditionalExpectedPurchases(daily, x, tx, T, t);
            expect(Number.isFinite(value) && value >= 0, `x=${x} T=${T} tx=${tx} t=${t}: ${value}`).toBe(true);
          }
        }
      }
    }
  });

  it('is continuous through a = 1 (the 0/0 of eq. 10) and through a + b + x − 1 = 0', () => {
    for (const t of [30, 3650]) {
      const at = (a: number, b = daily.b) => conditionalExpectedPurchases({ ...daily, a, b }, 1, 20, 400, t);
      const one = at(1);
      expect(Number.isFinite(one)).toBe(true);
      expect(relative(one, (at(1 + 1e-6) + at(1 - 1e-6)) / 2)).toBeLessThan(1e-9);
      expect(relative(at(1 + 3e-5), referenceConditionalExpectation({ ...daily, a: 1 + 3e-5 }, 1, 20, 400, t))).toBeLessThan(1e-10);
      const x0 = (a: number) => expectedPurchases({ ...daily, a, b: 1 - a }, t); // C = a + b − 1 = 0
      expect(relative(x0(0.4), (x0(0.4 + 1e-7) + x0(0.4 - 1e-7)) / 2)).toBeLessThan(1e-9);
    }
  });

  it('saturates at P(alive)·(a+b+x−1)/(a−1) when a > 1', () => {
    const params: BgNbdParams = { r: 0.5, alpha: 20, a: 3, b: 4 };
    const limit = probabilityAlive(params, 2, 50, 100) * ((3 + 4 + 2 - 1) / (3 - 1));
    expect(relative(conditionalExpectedPurchases(params, 2, 50, 100, 1e12), limit)).toBeLessThan(1e-6);
  });

  it('is 0 at t = 0 and non-decreasing in t for any parameters (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          r: fc.double({ min: 0.01, max: 10, noNaN: true }),
          alpha: fc.double({ min: 0.1, max: 1000, noNaN: true }),
          a: fc.double({ min: 0.01, max: 20, noNaN: true }),
          b: fc.double({ min: 0.01, max: 100, noNaN: true }),
        }),
        fc.integer({ min: 0, max: 2000 }),
        fc.double({ min: 0, max: 3650, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 3650, noNaN: true }),
        fc.double({ min: 0, max: 3650, noNaN: true }),
        (params, x, T, share, t1, t2) => {
          const tx = x === 0 ? 0 : share * T;
          const [lo, hi] = t1 <= t2 ? [t1, t2] : [t2, t1];
          const eLo = conditionalExpectedPurchases(params, x, tx, T, lo);
          const eHi = conditionalExpectedPurchases(params, x, tx, T, hi);
          expect(conditionalExpectedPurchases(params, x, tx, T, 0)).toBe(0);
          expect(Number.isFinite(eLo) && eLo >= 0).toBe(true);
          // Relative slack for rounding, plus an absolute one for subnormal windows (t ~ 1e-322).
          expect(eHi).toBeGreaterThanOrEqual(eLo * (1 - 1e-12) - 1e-300);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('evaluates several horizons at once exactly like one at a time', () => {
    const horizons = Float64Array.from({ length: 12 }, (_, k) => 30 * (k + 1));
    const out = new Float64Array(12);
    for (const [x, tx, T] of [
      [0, 0, 0],
      [0, 0, 400],
      [3, 100, 200],
      [300, 700, 730],
    ] as const) {
      conditionalExpectedPurchasesAt(daily, x, tx, T, horizons, out);
      horizons.forEach((t, k) => {
        expect(relative(out[k]!, conditionalExpectedPurchases(daily, x, tx, T, t)), `x=${x} T=${T} t=${t}`).toBeLessThan(1e-13);
      });
    }
  });
});

describe('regression: a + b < 1 with x = 0 (C = a + b − 1 ≤ 0)', () => {
  // 2F1(r, b; C; z) is negative there; its sign was dropped and E came out negative.
  it('expected purchases of a new customer are positive and grow with t', () => {
    for (const [a, b] of [[0.3, 0.5], [0.2, 0.3], [0.4, 0.6]] as const) {
      const params = { r: 0.243, alpha: 30.9, a, b };
      const values = [30, 365, 3650, 36_500].map((t) => expectedPurchases(params, t));
      for (let i = 0; i < values.length; i++) {
        expect(values[i]).toBeGreaterThan(i === 0 ? 0 : values[i - 1]!);
      }
    }
  });

  it('at C = 0 equals the limit −(1/(a−1))·(1−z)^r · r·b·z · 2F1(r+1, b+1; 2; z)', () => {
    const params = { r: 0.243, alpha: 30.9, a: 0.4, b: 0.6 };
    const t = 3650;
    const z = t / (params.alpha + t);
    const limit = (-1 / (params.a - 1)) * Math.pow(1 - z, params.r) * params.r * params.b * z * hyp2f1(params.r + 1, params.b + 1, 2, z);
    expect(expectedPurchases(params, t)).toBeCloseTo(limit, 9);
  });
});
