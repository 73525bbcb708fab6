/**
 * Maximum-likelihood fit of the Gamma-Gamma spend model on repeat buyers, with
 * the analytic gradient, on log-parameters. Per row (x ≥ 1, zbar > 0):
 *   ∂ℓ/∂p = x·[ψ(px+q) − ψ(px) + ln x + ln zbar − ln(v + x·zbar)]
 *   ∂ℓ/∂q = ψ(px+q) − ψ(q) + ln v − ln(v + x·zbar)
 *   ∂ℓ/∂v = q/v − (px+q)/(v + x·zbar)
 */
import { digamma, logGamma } from './special.js';
import type { GammaGammaParams } from './gamma-gamma.js';
import { type AggregatedRows, RowAggregator, type SpendObservation, checkCount, checkWeight } from './observations.js';
import {
  type FitOptions,
  type FitResult,
  fitOnLogParameters,
  resolveMinRepeatBuyers,
} from './maximum-likelihood.js';

/** Aggregated spend data: columns (x, zbar), repeat buyers only. */
export interface SpendData extends AggregatedRows {
  readonly kind: 'spend-data';
  readonly customers: number;
  readonly weightedSpend: number;
}

/**
 * Keeps the repeat buyers: rows with x = 0 (no repeat purchase) or zbar = 0
 * (nothing a Gamma distribution can produce) are not spend observations and
 * are skipped; negative or non-finite values are errors.
 */
export function aggregateSpend(observations: Iterable<SpendObservation>): SpendData {
  const aggregator = new RowAggregator();
  let customers = 0;
  let weightedSpend = 0;
  let row = 0;
  for (const o of observations) {
    const w = checkWeight(o.weight, row);
    checkCount(o.x, row);
    if (!(Number.isFinite(o.zbar) && o.zbar >= 0)) throw new RangeError(`row ${row}: zbar must be finite and ≥ 0, got ${o.zbar}`);
    row++;
    if (w === 0 || o.x === 0 || o.zbar === 0) continue;
    aggregator.add(o.x, o.zbar, 0, w);
    customers += w;
    weightedSpend += w * o.zbar;
  }
  return { ...aggregator.build(), kind: 'spend-data', customers, weightedSpend };
}

/** Total weighted log-likelihood; ∂/∂(p, q, v) into `gradient` when given. */
export function gammaGammaDataLogLikelihood(params: GammaGammaParams, data: SpendData, gradient?: Float64Array): number {
  const { p, q, v } = params;
  const xs = data.values1;
  const perX = new Float64Array(xs.length * 4);
  const lgQ = logGamma(q);
  for (let i = 0; i < xs.length; i++) {
    const px = p * xs[i]!;
    perX[4 * i] = logGamma(px + q) - logGamma(px) - lgQ + px * Math.log(xs[i]!);
    perX[4 * i + 1] = digamma(px + q);
    perX[4 * i + 2] = digamma(px);
    perX[4 * i + 3] = Math.log(xs[i]!);
  }
  const lnV = Math.log(v);
  const psiQ = digamma(q);
  let ll = 0;
  let compensation = 0;
  let gp = 0;
  let gq = 0;
  let gv = 0;
  for (let row = 0; row < data.rows; row++) {
    const w = data.weight[row]!;
    const xi = data.index1[row]!;
    const x = xs[xi]!;
    const zbar = data.values2[data.index2[row]!]!;
    const px = p * x;
    const shifted = v + x * zbar;
    const lnShifted = Math.log(shifted);
    const lnZ = Math.log(zbar);
    // Neumaier-compensated (see bgnbd-fit.ts).
    const weighted = w * (perX[4 * xi]! + q * lnV + (px - 1) * lnZ - (px + q) * lnShifted);
    const next = ll + weighted;
    compensation += Math.abs(ll) >= Math.abs(weighted) ? ll - next + weighted : weighted - next + ll;
    ll = next;
    if (gradient === undefined) continue;
    const psiPxQ = perX[4 * xi + 1]!;
    gp += w * x * (psiPxQ - perX[4 * xi + 2]! + perX[4 * xi + 3]! + lnZ - lnShifted);
    gq += w * (psiPxQ - psiQ + lnV - lnShifted);
    gv += w * (q / v - (px + q) / shifted);
  }
  if (gradient !== undefined) {
    gradient[0] = gp;
    gradient[1] = gq;
    gradient[2] = gv;
  }
  return ll + compensation;
}

export interface GammaGammaFitOptions extends FitOptions {
  /** Starting point; default p = 1, q = 2, v = mean zbar (population mean = mean zbar). */
  readonly initial?: GammaGammaParams;
}

export function fitGammaGamma(
  input: Iterable<SpendObservation> | SpendData,
  options: GammaGammaFitOptions = {},
): FitResult<GammaGammaParams> {
  const data = isSpendData(input) ? input : aggregateSpend(input);
  const required = resolveMinRepeatBuyers(options);
  if (data.customers < required || data.customers === 0) {
    return { status: 'insufficient-data', customers: data.customers, repeatBuyers: data.customers, required };
  }
  const natural = new Float64Array(3);
  const toParams = (theta: Float64Array): GammaGammaParams => ({
    p: Math.exp(theta[0]!),
    q: Math.exp(theta[1]!),
    v: Math.exp(theta[2]!),
  });
  const meanNegative = (theta: Float64Array, gradient: Float64Array): number => {
    const params = toParams(theta);
    const ll = gammaGammaDataLogLikelihood(params, data, natural);
    const scale = -1 / data.customers;
    gradient[0] = scale * natural[0]! * params.p;
    gradient[1] = scale * natural[1]! * params.q;
    gradient[2] = scale * natural[2]! * params.v;
    return scale * ll;
  };
  const { p, q, v } = options.initial ?? { p: 1, q: 2, v: data.weightedSpend / data.customers };
  return fitOnLogParameters(
    meanNegative,
    [p, q, v],
    toParams,
    (params) => gammaGammaDataLogLikelihood(params, data),
    // Every spend row is a repeat buyer.
    { customers: data.customers, repeatBuyers: data.customers, distinctRows: data.rows },
    options,
  );
}

function isSpendData(input: Iterable<SpendObservation> | SpendData): input is SpendData {
  return (input as Partial<SpendData>).kind === 'spend-data';
}
