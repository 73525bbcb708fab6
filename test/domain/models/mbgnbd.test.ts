import { describe, expect, it } from 'vitest';
import {
  aggregateBgNbd,
  bgnbdLogLikelihood,
  conditionalExpectedPurchases,
  probabilityAlive,
} from '../../../src/domain/models/index.js';
import {
  mbgnbdConditionalExpectedPurchases,
  mbgnbdConditionalExpectedPurchasesAt,
  mbgnbdExpectedPurchases,
  mbgnbdLogLikelihood,
  mbgnbdProbabilityAlive,
} from '../../../src/domain/models/mbgnbd.js';
import { fitMbgNbd, mbgnbdDataLogLikelihood } from '../../../src/domain/models/mbgnbd-fit.js';
import { hyp2f1 } from '../../../src/domain/models/hypergeometric.js';
import { loadCdnow } from './cdnow.js';

// The MBG/NBD fit of the CDNOW weekly summary published by BTYDplus (and checked by lifetimes' tests).
const BTYDPLUS = { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 };

describe('modified BG/NBD', () => {
  it('fits CDNOW to the published parameters (weeks)', () => {
    const fit = fitMbgNbd(loadCdnow().map((c) => ({ x: c.x, t_x: c.t_x, T: c.T })));
    expect(fit.status).toBe('fitted');
    if (fit.status !== 'fitted') return;
    expect(fit.converged).toBe(true);
    expect(fit.params.r).toBeCloseTo(BTYDPLUS.r, 3);
    expect(fit.params.alpha).toBeCloseTo(BTYDPLUS.alpha, 2);
    expect(fit.params.a).toBeCloseTo(BTYDPLUS.a, 3);
    expect(fit.params.b).toBeCloseTo(BTYDPLUS.b, 3);
  });

  it('gives one-time buyers a P(alive) below 1 that falls with time (the BG/NBD says 1)', () => {
    expect(probabilityAlive(BTYDPLUS, 0, 0, 50)).toBe(1);
    const early = mbgnbdProbabilityAlive(BTYDPLUS, 0, 0, 1);
    const late = mbgnbdProbabilityAlive(BTYDPLUS, 0, 0, 78);
    expect(early).toBeLessThan(1);
    expect(late).toBeLessThan(early);
    // At T = 0 it is b/(a+b): the chance of surviving the first toss.
    expect(mbgnbdProbabilityAlive(BTYDPLUS, 0, 0, 0)).toBeCloseTo(BTYDPLUS.b / (BTYDPLUS.a + BTYDPLUS.b), 14);
  });

  it('P(alive) is the BG/NBD formula with b + x in place of b + x − 1', () => {
    const { r, alpha, a, b } = BTYDPLUS;
    const [x, tx, T] = [3, 20, 40];
    const direct = 1 / (1 + (a / (b + x)) * Math.pow((alpha + T) / (alpha + tx), r + x));
    expect(mbgnbdProbabilityAlive(BTYDPLUS, x, tx, T)).toBeCloseTo(direct, 14);
    expect(mbgnbdProbabilityAlive(BTYDPLUS, x, tx, T)).toBeCloseTo(probabilityAlive({ r, alpha, a, b: b + 1 }, x, tx, T), 14);
  });

  it('matches the published conditional expectation (x = 2, t_x = 30.43, T = 38.86, 39 weeks: 1.226)', () => {
    expect(mbgnbdConditionalExpectedPurchases(BTYDPLUS, 2, 30.43, 38.86, 39)).toBeCloseTo(1.226, 1);
  });

  it('expected purchases of a new customer track the published curve (within 5 %)', () => {
    const times = [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0];
    const published = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576];
    times.forEach((t, i) => expect(Math.abs(mbgnbdExpectedPurchases(BTYDPLUS, t) / published[i]! - 1)).toBeLessThan(0.05));
  });

  it('the curve form agrees with separate conditional expectations', () => {
    const horizons = [7, 30, 91, 365];
    const out = new Float64Array(4);
    mbgnbdConditionalExpectedPurchasesAt(BTYDPLUS, 4, 30, 60, horizons, out);
    horizons.forEach((t, i) => expect(out[i]).toBeCloseTo(mbgnbdConditionalExpectedPurchases(BTYDPLUS, 4, 30, 60, t), 10));
  });

  it('likelihood: the aggregated form equals the sum of per-customer terms, and its gradient is the derivative', () => {
    const rows = [
      { x: 0, t_x: 0, T: 30 },
      { x: 1, t_x: 10, T: 30 },
      { x: 4, t_x: 25, T: 40 },
      { x: 4, t_x: 25, T: 40 },
    ];
    const data = aggregateBgNbd(rows);
    const sum = rows.reduce((acc, o) => acc + mbgnbdLogLikelihood(BTYDPLUS, o.x, o.t_x, o.T), 0);
    const gradient = new Float64Array(4);
    expect(mbgnbdDataLogLikelihood(BTYDPLUS, data, gradient)).toBeCloseTo(sum, 10);
    const keys = ['r', 'alpha', 'a', 'b'] as const;
    keys.forEach((k, i) => {
      const h = 1e-6;
      const up = mbgnbdDataLogLikelihood({ ...BTYDPLUS, [k]: BTYDPLUS[k] + h }, data);
      const down = mbgnbdDataLogLikelihood({ ...BTYDPLUS, [k]: BTYDPLUS[k] - h }, data);
      expect(gradient[i]).toBeCloseTo((up - down) / (2 * h), 5);
    });
  });

  it('differs from the BG/NBD only through the first-purchase dropout', () => {
    // A repeat buyer's likelihood is not the BG/NBD's; the models are distinct.
    expect(mbgnbdLogLikelihood(BTYDPLUS, 2, 10, 30)).not.toBeCloseTo(bgnbdLogLikelihood(BTYDPLUS, 2, 10, 30), 3);
    expect(mbgnbdConditionalExpectedPurchases(BTYDPLUS, 0, 0, 30, 30)).toBeLessThan(conditionalExpectedPurchases(BTYDPLUS, 0, 0, 30, 30));
  });
});

describe('modified BG/NBD: exact and robust where the literal formula is not', () => {
  // The literal formula of the conditional expectation (as lifetimes writes it),
  // fine for moderate arguments: the careful kernel must agree with it there.
  function literal(p: typeof BTYDPLUS, x: number, tx: number, T: number, t: number): number {
    const { r, alpha, a, b } = p;
    const z = t / (alpha + T + t);
    const second = 1 - hyp2f1(r + x, b + x + 1, a + b + x, z) * Math.pow((alpha + T) / (alpha + T + t), r + x);
    return (((a + b + x) / (a - 1)) * second) / (1 + (a / (b + x)) * Math.pow((alpha + T) / (alpha + tx), r + x));
  }

  it.each([
    [0, 0, 10, 5],
    [1, 5, 20, 10],
    [3, 30, 40, 39],
    [10, 50, 52, 52],
  ])('agrees with the literal formula for moderate arguments (x=%i, t_x=%i, T=%i, t=%i)', (x, tx, T, t) => {
    expect(mbgnbdConditionalExpectedPurchases(BTYDPLUS, x, tx, T, t)).toBeCloseTo(literal(BTYDPLUS, x, tx, T, t), 10);
  });

  it('stays finite, non-negative and increasing in t where the literal formula fails (large x, a ≈ 1, long horizons)', () => {
    const cases = [
      { params: BTYDPLUS, x: 10_000, tx: 3000, T: 3000 },
      { params: { ...BTYDPLUS, a: 1 + 1e-9 }, x: 2, tx: 30, T: 60 },
      { params: BTYDPLUS, x: 0, tx: 0, T: 1e5 },
    ];
    for (const { params, x, tx, T } of cases) {
      let previous = 0;
      for (const t of [1e-6, 1, 30, 365, 3650, 36_500]) {
        const e = mbgnbdConditionalExpectedPurchases(params, x, tx, T, t);
        expect(Number.isFinite(e)).toBe(true);
        expect(e).toBeGreaterThanOrEqual(previous);
        previous = e;
      }
    }
    expect(Number.isFinite(literal(BTYDPLUS, 10_000, 3000, 3000, 365))).toBe(false);
  });
});
