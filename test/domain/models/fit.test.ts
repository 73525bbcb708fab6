import { describe, expect, it } from 'vitest';
import {
  aggregateBgNbd,
  fitBgNbd,
  fitGammaGamma,
  seededRandom,
  simulateBgNbdCustomer,
  simulateMeanSpend,
  type BgNbdParams,
} from '../../../src/domain/models/index.js';
import { minimizeBfgs } from '../../../src/domain/models/optimize.js';
import { minimizeNelderMead } from '../../../src/domain/models/nelder-mead.js';
import { loadCdnow } from './cdnow.js';

const relative = (actual: number, expected: number): number => Math.abs(actual - expected) / Math.abs(expected);
const cdnow = loadCdnow();

/** Rosenbrock's banana valley, minimum 0 at (1, 1): a classic trap for optimisers. */
function rosenbrock(x: Float64Array, gradient: Float64Array): number {
  const [u, v] = [x[0]!, x[1]!];
  gradient[0] = -2 * (1 - u) - 400 * u * (v - u * u);
  gradient[1] = 200 * (v - u * u);
  return (1 - u) ** 2 + 100 * (v - u * u) ** 2;
}

describe('optimisers', () => {
  it('BFGS finds the Rosenbrock minimum from the usual start', () => {
    const result = minimizeBfgs(rosenbrock, Float64Array.from([-1.2, 1]), { gradientTolerance: 1e-10, maxIterations: 500 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 8);
    expect(result.x[1]).toBeCloseTo(1, 8);
  });

  it('Nelder–Mead with restarts finds it without a gradient', () => {
    const scratch = new Float64Array(2);
    const result = minimizeNelderMead((x) => rosenbrock(x, scratch), Float64Array.from([-1.2, 1]), {
      step: 0.5,
      valueTolerance: 1e-16,
      maxEvaluations: 5000,
      maxRestarts: 3,
    });
    expect(result.x[0]).toBeCloseTo(1, 4);
    expect(result.x[1]).toBeCloseTo(1, 4);
  });

  it('BFGS steps back from a domain boundary (non-finite values)', () => {
    // f = x − ln x on x > 0, minimum at 1; NaN for x ≤ 0.
    const f = (x: Float64Array, g: Float64Array): number => {
      g[0] = 1 - 1 / x[0]!;
      return x[0]! > 0 ? x[0]! - Math.log(x[0]!) : Number.NaN;
    };
    const result = minimizeBfgs(f, Float64Array.from([0.01]), { gradientTolerance: 1e-12, maxIterations: 200 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 10);
  });
});

describe('fitting', () => {
  it('gives the same fit for duplicated rows and for weighted distinct rows', () => {
    const duplicated = fitBgNbd([...cdnow, ...cdnow]);
    const weighted = fitBgNbd(cdnow.map((c) => ({ ...c, weight: 2 })));
    const single = fitBgNbd(cdnow);
    if (duplicated.status !== 'fitted' || weighted.status !== 'fitted' || single.status !== 'fitted') throw new Error('fit failed');
    expect(weighted.distinctRows).toBe(duplicated.distinctRows);
    expect(duplicated.customers).toBe(2 * 2357);
    for (const key of ['r', 'alpha', 'a', 'b'] as const) {
      expect(relative(weighted.params[key], duplicated.params[key])).toBeLessThan(1e-9);
      expect(relative(weighted.params[key], single.params[key])).toBeLessThan(1e-6);
    }
    expect(relative(weighted.logLikelihood, 2 * single.logLikelihood)).toBeLessThan(1e-9);
  });

  it('aggregates identical summaries and ignores t_x when x = 0', () => {
    const data = aggregateBgNbd([
      { x: 0, t_x: 0, T: 10 },
      { x: 0, t_x: 3, T: 10 },
      { x: 2, t_x: 5, T: 10, weight: 2.5 },
      { x: 2, t_x: 5, T: 10 },
      { x: 2, t_x: 5, T: 10, weight: 0 },
    ]);
    expect(data.rows).toBe(2);
    expect(Array.from(data.weight)).toEqual([2, 3.5]);
    expect(data.customers).toBe(5.5);
    expect(data.repeatBuyers).toBe(3.5);
  });

  it('declines with a typed result below the minimum number of repeat buyers', () => {
    const few = cdnow.filter((c) => c.x === 0).concat(cdnow.filter((c) => c.x > 0).slice(0, 10));
    const bgnbd = fitBgNbd(few, { minRepeatBuyers: 11 });
    expect(bgnbd).toEqual({ status: 'insufficient-data', customers: few.length, repeatBuyers: 10, required: 11 });
    expect(fitBgNbd(few, { minRepeatBuyers: 10 }).status).toBe('fitted');
    expect(fitBgNbd(cdnow.filter((c) => c.x === 0), { minRepeatBuyers: 0 }).status).toBe('insufficient-data');
    const spend = fitGammaGamma(few, { minRepeatBuyers: 50 });
    expect(spend).toEqual({ status: 'insufficient-data', customers: 10, repeatBuyers: 10, required: 50 });
    expect(fitBgNbd([]).status).toBe('insufficient-data');
  });

  it('rejects malformed rows with the row number', () => {
    expect(() => fitBgNbd([{ x: 1, t_x: 1, T: 2 }, { x: 1.5, t_x: 1, T: 2 }])).toThrow(/row 1/);
    expect(() => fitBgNbd([{ x: 1, t_x: 3, T: 2 }])).toThrow(/t_x/);
    expect(() => fitBgNbd([{ x: 1, t_x: 1, T: 2, weight: -1 }])).toThrow(/weight/);
    expect(() => fitGammaGamma([{ x: 1, zbar: Number.NaN }])).toThrow(/zbar/);
  });

  it('shrinks the log-parameters towards 0 with an L2 penalty', () => {
    const free = fitBgNbd(cdnow);
    const penalised = fitBgNbd(cdnow, { l2Penalty: 0.05 });
    if (free.status !== 'fitted' || penalised.status !== 'fitted') throw new Error('fit failed');
    const size = (p: BgNbdParams): number => [p.r, p.alpha, p.a, p.b].reduce((s, v) => s + Math.log(v) ** 2, 0);
    expect(size(penalised.params)).toBeLessThan(size(free.params));
    expect(penalised.logLikelihood).toBeLessThan(free.logLikelihood);
    expect(penalised.converged).toBe(true);
  });

  it('recovers the parameters of a simulated population (50 000 customers, days)', () => {
    const truth: BgNbdParams = { r: 0.5, alpha: 20, a: 0.9, b: 3 };
    const random = seededRandom(7);
    const customers = Array.from({ length: 50_000 }, () => simulateBgNbdCustomer(truth, 1 + Math.floor(random() * 365), random));
    const fit = fitBgNbd(customers);
    if (fit.status !== 'fitted') throw new Error('fit failed');
    expect(fit.converged).toBe(true);
    for (const key of ['r', 'alpha', 'a', 'b'] as const) expect(relative(fit.params[key], truth[key]), key).toBeLessThan(0.1);

    const spendTruth = { p: 4, q: 5, v: 50 };
    const spends = customers.filter((c) => c.x > 0).map((c) => ({ x: c.x, zbar: simulateMeanSpend(spendTruth, c.x, random) }));
    const spendFit = fitGammaGamma(spends);
    if (spendFit.status !== 'fitted') throw new Error('fit failed');
    for (const key of ['p', 'q', 'v'] as const) expect(relative(spendFit.params[key], spendTruth[key]), key).toBeLessThan(0.15);
  });
});
