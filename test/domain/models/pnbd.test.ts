import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  aggregateBgNbd,
  fitParetoNbd,
  hyp2f1,
  logGamma,
  pnbdConditionalExpectedPurchases,
  pnbdConditionalExpectedPurchasesAt,
  pnbdDataLogLikelihood,
  pnbdExpectedPurchases,
  pnbdLogLikelihood,
  pnbdProbabilityAlive,
  type ParetoNbdParams,
} from '../../../src/domain/models/index.js';
import { loadCdnow } from './cdnow.js';

/**
 * Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative
 * to the Pareto/NBD model", Marketing Science 24(2), table 1: the Pareto/NBD fitted
 * to the 2,357-customer CDNOW sample in weeks — r 0.55, α 10.58, s 0.61, β 11.67,
 * log-likelihood −9595.0 (against −9582.4 for the BG/NBD).
 */
const PUBLISHED_PNBD = { r: 0.55, alpha: 10.58, s: 0.61, beta: 11.67, logLikelihood: -9595.0 };
const cdnow = loadCdnow();
const relative = (actual: number, expected: number): number => Math.abs(actual - expected) / Math.abs(expected);
/** CDNOW-like parameters in days. */
const daily: ParetoNbdParams = { r: 0.55, alpha: 10.58 * 7, s: 0.61, beta: 11.67 * 7 };

/** Adaptive Simpson on [lo, hi], relative tolerance, for the reference integrals. */
function integrate(f: (y: number) => number, lo: number, hi: number, tolerance = 1e-13): number {
  const simpson = (a: number, b: number, fa: number, fm: number, fb: number): number => ((b - a) / 6) * (fa + 4 * fm + fb);
  const recurse = (a: number, b: number, fa: number, fm: number, fb: number, whole: number, eps: number, depth: number): number => {
    const m = (a + b) / 2;
    const lm = (a + m) / 2;
    const rm = (m + b) / 2;
    const flm = f(lm);
    const frm = f(rm);
    const left = simpson(a, m, fa, flm, fm);
    const right = simpson(m, b, fm, frm, fb);
    if (depth > 50 || Math.abs(left + right - whole) <= 15 * eps) return left + right + (left + right - whole) / 15;
    return recurse(a, m, fa, flm, fm, left, eps / 2, depth + 1) + recurse(m, b, fm, frm, fb, right, eps / 2, depth + 1);
  };
  const fa = f(lo);
  const fb = f(hi);
  const fm = f((lo + hi) / 2);
  const whole = simpson(lo, hi, fa, fm, fb);
  return recurse(lo, hi, fa, fm, fb, whole, tolerance * Math.abs(whole), 0);
}

/**
 * Reference P(alive) by quadrature of the model's definition: she is alive at T, or
 * dropped out at some y in (t_x, T]; the odds of the second against the first are
 * s ∫ ((α+T)/(α+y))^{r+x} ((β+T)/(β+y))^s dy/(β+y) (scaled by the integrand at t_x).
 */
function referenceProbabilityAlive(p: ParetoNbdParams, x: number, tx: number, T: number): number {
  const k = p.r + x;
  const logIntegrand = (y: number): number =>
    k * Math.log((p.alpha + T) / (p.alpha + y)) + p.s * Math.log((p.beta + T) / (p.beta + y)) - Math.log(p.beta + y);
  const peak = logIntegrand(tx);
  const logOdds = Math.log(p.s) + peak + Math.log(integrate((y) => Math.exp(logIntegrand(y) - peak), tx, T));
  return 1 / (1 + Math.exp(logOdds));
}

/** The textbook likelihood (Fader & Hardie's implementation note), direct 2F1, for moderate x only. */
function textbookLikelihood(p: ParetoNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = p;
  const n = r + s + x;
  const [big, other, b2] = alpha >= beta ? [alpha, beta, s + 1] : [beta, alpha, r + x];
  const term = (u: number): number => hyp2f1(n, b2, n + 1, (big - other) / (big + u)) / Math.pow(big + u, n);
  const a0 = term(tx) - term(T);
  const front = Math.exp(logGamma(r + x) - logGamma(r)) * Math.pow(alpha, r) * Math.pow(beta, s);
  return front * (1 / (Math.pow(alpha + T, r + x) * Math.pow(beta + T, s)) + (s / n) * a0);
}

describe('Pareto/NBD on CDNOW (Fader, Hardie & Lee 2005, table 1)', () => {
  let fit: ReturnType<typeof fitParetoNbd>;
  beforeAll(() => {
    fit = fitParetoNbd(cdnow.map((c) => ({ x: c.x, t_x: c.t_x, T: c.T })));
  });

  it('reproduces the published parameters r 0.55, α 10.58, s 0.61, β 11.67 and ln L −9595.0', () => {
    expect(fit.status).toBe('fitted');
    if (fit.status !== 'fitted') return;
    expect(fit.converged).toBe(true);
    expect(fit.customers).toBe(2357);
    expect(fit.params.r).toBeCloseTo(PUBLISHED_PNBD.r, 2);
    expect(fit.params.alpha).toBeCloseTo(PUBLISHED_PNBD.alpha, 2);
    expect(fit.params.s).toBeCloseTo(PUBLISHED_PNBD.s, 2);
    expect(fit.params.beta).toBeCloseTo(PUBLISHED_PNBD.beta, 2);
    expect(fit.logLikelihood).toBeCloseTo(PUBLISHED_PNBD.logLikelihood, 1);
  });

  it('the aggregated log-likelihood is the per-customer one summed', () => {
    const fitted = fit;
    if (fitted.status !== 'fitted') throw new Error('not fitted');
    const sum = cdnow.reduce((acc, c) => acc + pnbdLogLikelihood(fitted.params, c.x, c.t_x, c.T), 0);
    const data = aggregateBgNbd(cdnow.map((c) => ({ x: c.x, t_x: c.t_x, T: c.T })));
    expect(relative(sum, pnbdDataLogLikelihood(fitted.params, data))).toBeLessThan(1e-12);
  });

  it('ends within its iteration cap, unconverged, where the data push s and β to infinity', () => {
    // Everyone buys at a steady rate and nobody lapses: the likelihood rises towards
    // exponential lifetimes with a vanishing rate, without a finite maximum.
    const steady = Array.from({ length: 200 }, (_, i) => ({ x: 10 + (i % 7), t_x: 50, T: 50 }));
    const ridge = fitParetoNbd(steady, { maxIterations: 20 });
    expect(ridge.status).toBe('fitted');
    if (ridge.status === 'fitted') expect(ridge.converged).toBe(false);
  });

  it('declines with too few repeat buyers', () => {
    expect(fitParetoNbd([{ x: 0, t_x: 0, T: 10 }]).status).toBe('insufficient-data');
  });
});

describe('Pareto/NBD likelihood and P(alive)', () => {
  it('matches the textbook 2F1 form for α > β, α < β and α = β', () => {
    for (const p of [PUBLISHED_PNBD, { ...PUBLISHED_PNBD, alpha: 11.67, beta: 10.58 }, { ...PUBLISHED_PNBD, beta: 10.58 }]) {
      for (const [x, tx, T] of [
        [0, 0, 38.86],
        [2, 30.43, 38.86],
        [7, 10, 39],
        [20, 38, 39],
      ] as const) {
        const expected = Math.log(textbookLikelihood(p, x, tx, T));
        expect(relative(pnbdLogLikelihood(p, x, tx, T), expected), `${JSON.stringify(p)} x=${x}`).toBeLessThan(1e-11);
      }
    }
  });

  it('matches quadrature of the definition, x up to 10 000 and ten years in days', () => {
    for (const p of [daily, { ...daily, alpha: daily.beta, beta: daily.alpha }, { r: 2, alpha: 5, s: 0.3, beta: 900 }, { r: 0.2, alpha: 900, s: 3, beta: 4 }]) {
      for (const [x, tx, T] of [
        [0, 0, 30],
        [0, 0, 3650],
        [1, 10, 300],
        [5, 200, 3650],
        [100, 3000, 3650],
        [10_000, 3640, 3650],
        [10_000, 3649.99, 3650],
      ] as const) {
        const reference = referenceProbabilityAlive(p, x, tx, T);
        const actual = pnbdProbabilityAlive(p, x, tx, T);
        expect(Math.abs(actual - reference), `${JSON.stringify(p)} x=${x} tx=${tx} T=${T}`).toBeLessThan(1e-11 * Math.max(reference, 1e-3));
      }
    }
  });

  it('is exactly 1 right after a purchase and below 1 for a one-time buyer', () => {
    expect(pnbdProbabilityAlive(daily, 3, 100, 100)).toBe(1);
    expect(pnbdProbabilityAlive(daily, 0, 0, 0)).toBe(1);
    expect(pnbdProbabilityAlive(daily, 0, 0, 365)).toBeLessThan(1);
  });

  it('lies in [0, 1], falls as T grows and rises with t_x, finite everywhere (x ≤ 10 000, T ≤ 10 years)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 0, max: 3650, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 500, noNaN: true }),
        (x, T, share, extra) => {
          const tx = x === 0 ? 0 : share * T;
          const p = pnbdProbabilityAlive(daily, x, tx, T);
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
          expect(Number.isFinite(pnbdLogLikelihood(daily, x, tx, T))).toBe(true);
          expect(pnbdProbabilityAlive(daily, x, tx, T + extra)).toBeLessThanOrEqual(p * (1 + 1e-12));
          if (x > 0) expect(pnbdProbabilityAlive(daily, x, Math.min(T, tx + extra), T)).toBeGreaterThanOrEqual(p * (1 - 1e-12));
        },
      ),
    );
  });
});

describe('Pareto/NBD expected purchases', () => {
  it('E[X(t)] is rβ/α·[1 − (β/(β+t))^(s−1)]/(s−1), continuous through s = 1', () => {
    const { r, alpha, s, beta } = PUBLISHED_PNBD;
    const t = 39;
    expect(relative(pnbdExpectedPurchases(PUBLISHED_PNBD, t), ((r * beta) / (alpha * (s - 1))) * (1 - Math.pow(beta / (beta + t), s - 1)))).toBeLessThan(1e-13);
    const atOne = pnbdExpectedPurchases({ ...PUBLISHED_PNBD, s: 1 }, t);
    expect(relative(atOne, ((r * beta) / alpha) * Math.log1p(t / beta))).toBeLessThan(1e-14);
    expect(relative(pnbdExpectedPurchases({ ...PUBLISHED_PNBD, s: 1 + 1e-9 }, t), atOne)).toBeLessThan(1e-8);
  });

  it('the conditional expectation is P(alive) times (r+x)(β+T)/(α+T)·[1 − ((β+T)/(β+T+t))^(s−1)]/(s−1)', () => {
    const { r, alpha, s, beta } = PUBLISHED_PNBD;
    const [x, tx, T, t] = [2, 30.43, 38.86, 39];
    const ifAlive = (((r + x) * (beta + T)) / ((alpha + T) * (s - 1))) * (1 - Math.pow((beta + T) / (beta + T + t), s - 1));
    const expected = pnbdProbabilityAlive(PUBLISHED_PNBD, x, tx, T) * ifAlive;
    expect(relative(pnbdConditionalExpectedPurchases(PUBLISHED_PNBD, x, tx, T, t), expected)).toBeLessThan(1e-13);
  });

  it('several horizons at once equal separate calls; finite and increasing for x ≤ 10 000 and ten years', () => {
    const horizons = [0, 30, 90, 365, 3650];
    const out = new Float64Array(horizons.length);
    for (const [x, tx, T] of [
      [0, 0, 10],
      [3, 100, 400],
      [10_000, 3649, 3650],
    ] as const) {
      pnbdConditionalExpectedPurchasesAt(daily, x, tx, T, horizons, out);
      horizons.forEach((t, i) => expect(out[i]).toBe(pnbdConditionalExpectedPurchases(daily, x, tx, T, t)));
      expect(out[0]).toBe(0);
      for (let i = 1; i < horizons.length; i++) {
        expect(Number.isFinite(out[i])).toBe(true);
        expect(out[i]).toBeGreaterThan(out[i - 1]!);
      }
    }
  });
});
