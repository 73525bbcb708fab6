/**
 * Maximum-likelihood fit of the Pareto/NBD (pnbd.ts) on aggregated customer
 * summaries — the BG/NBD's aggregation (bgnbd-fit.ts) and optimiser strategy
 * (maximum-likelihood.ts), on log-parameters.
 *
 * The gradient is by central differences in the log-parameters: the odds term
 * depends on r and s through the parameters of a Gauss function, whose
 * parameter derivatives have no cheap closed form. With a step of 1e−5 the
 * truncation error (~h²) and the rounding (~1e−16/h of a mean log-likelihood of
 * a few units) are both near 1e−10, so the default gradient tolerance is 1e−7
 * instead of the analytic fits' 1e−9 — the parameters still come out to six or
 * more significant digits.
 */
import { logGamma } from './special.js';
import { aggregateBgNbd, type BgNbdData } from './bgnbd-fit.js';
import type { BgNbdObservation } from './observations.js';
import { type FitOptions, type FitResult, fitOnLogParameters, resolveMinRepeatBuyers } from './maximum-likelihood.js';
import { type ParetoNbdParams, pnbdLogDropoutOdds } from './pnbd.js';
import { softplus } from './special.js';

const STEP = 1e-5;
const DEFAULT_GRADIENT_TOLERANCE = 1e-7;
/**
 * Each iteration costs nine likelihood passes. Where the data prefer the
 * boundary s, β → ∞ (lifetimes exponential with a common rate) BFGS creeps
 * along the ridge without converging: a lower cap keeps that case to seconds,
 * and the fit then says converged: false.
 */
const DEFAULT_MAX_ITERATIONS = 200;

/** Total weighted Pareto/NBD log-likelihood of aggregated data (Neumaier-compensated). */
export function pnbdDataLogLikelihood(params: ParetoNbdParams, data: BgNbdData): number {
  const { r, alpha, s, beta } = params;
  const xs = data.values1;
  const perX = new Float64Array(xs.length);
  const lgR = logGamma(r);
  for (let i = 0; i < xs.length; i++) perX[i] = logGamma(r + xs[i]!) - lgR;
  const constant = r * Math.log(alpha) + s * Math.log(beta);
  let ll = 0;
  let compensation = 0;
  for (let row = 0; row < data.rows; row++) {
    const w = data.weight[row]!;
    const xi = data.index1[row]!;
    const x = xs[xi]!;
    const T = data.values2[data.index2[row]!]!;
    const tx = data.values3[data.index3[row]!]!;
    const term =
      perX[xi]! + constant - (r + x) * Math.log(alpha + T) - s * Math.log(beta + T) + softplus(pnbdLogDropoutOdds(params, x, tx, T));
    const weighted = w * term;
    const next = ll + weighted;
    compensation += Math.abs(ll) >= Math.abs(weighted) ? ll - next + weighted : weighted - next + ll;
    ll = next;
  }
  return ll + compensation;
}

export interface ParetoNbdFitOptions extends FitOptions {
  /** Starting point; default r = 1, s = 1, α = β = Σ T / Σ x. */
  readonly initial?: ParetoNbdParams;
}

export function fitParetoNbd(input: Iterable<BgNbdObservation> | BgNbdData, options: ParetoNbdFitOptions = {}): FitResult<ParetoNbdParams> {
  const data = (input as Partial<BgNbdData>).kind === 'bgnbd-data' ? (input as BgNbdData) : aggregateBgNbd(input as Iterable<BgNbdObservation>);
  const required = resolveMinRepeatBuyers(options);
  if (data.repeatBuyers < required || data.repeatBuyers === 0) {
    return { status: 'insufficient-data', customers: data.customers, repeatBuyers: data.repeatBuyers, required };
  }
  const toParams = (theta: Float64Array): ParetoNbdParams => ({
    r: Math.exp(theta[0]!),
    alpha: Math.exp(theta[1]!),
    s: Math.exp(theta[2]!),
    beta: Math.exp(theta[3]!),
  });
  const scale = -1 / data.customers;
  const probe = new Float64Array(4);
  const value = (theta: Float64Array): number => scale * pnbdDataLogLikelihood(toParams(theta), data);
  const meanNegative = (theta: Float64Array, gradient: Float64Array): number => {
    const f = value(theta);
    if (!Number.isFinite(f)) return f;
    for (let i = 0; i < 4; i++) {
      probe.set(theta);
      probe[i] = theta[i]! + STEP;
      const up = value(probe);
      probe[i] = theta[i]! - STEP;
      const down = value(probe);
      gradient[i] = (up - down) / (2 * STEP);
    }
    return f;
  };
  const start = data.weightedX > 0 ? data.weightedT / data.weightedX : Math.max(data.weightedT / data.customers, 1);
  const { r, alpha, s, beta } = options.initial ?? { r: 1, alpha: start, s: 1, beta: start };
  return fitOnLogParameters(
    meanNegative,
    [r, alpha, s, beta],
    toParams,
    (params) => pnbdDataLogLikelihood(params, data),
    { customers: data.customers, repeatBuyers: data.repeatBuyers, distinctRows: data.rows },
    {
      ...options,
      gradientTolerance: options.gradientTolerance ?? DEFAULT_GRADIENT_TOLERANCE,
      maxIterations: options.maxIterations ?? DEFAULT_MAX_ITERATIONS,
    },
    value,
  );
}
