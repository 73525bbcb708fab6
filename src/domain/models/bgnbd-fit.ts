/**
 * Maximum-likelihood fit of the BG/NBD on aggregated customer summaries, with
 * the analytic gradient (digamma for the Γ and B terms), on log-parameters.
 *
 * Per row, with k = r+x and d = ln[a/(b+x−1)] + k ln[(α+T)/(α+t_x)] (x > 0):
 *   ℓ = ln Γ(k) − ln Γ(r) + r ln α + ln B(a,b+x) − ln B(a,b) − k ln(α+T) + softplus(d)
 *   ∂ℓ/∂r = ψ(k) − ψ(r) + ln α − ln(α+T) + σ(d)·ln[(α+T)/(α+t_x)]
 *   ∂ℓ/∂α = r/α − k/(α+T) + σ(d)·k·[1/(α+T) − 1/(α+t_x)]
 *   ∂ℓ/∂a = ψ(a+b) − ψ(a+b+x) + σ(d)/a
 *   ∂ℓ/∂b = ψ(b+x) − ψ(b) + ψ(a+b) − ψ(a+b+x) − σ(d)/(b+x−1)
 * (σ = logistic; the σ terms vanish for x = 0).
 */
import { digamma, logBeta, logGamma, logistic, softplus } from './special.js';
import type { BgNbdParams } from './bgnbd.js';
import { type AggregatedRows, type BgNbdObservation, RowAggregator, checkCount, checkWeight } from './observations.js';
import {
  type FitOptions,
  type FitResult,
  fitOnLogParameters,
  resolveMinRepeatBuyers,
} from './maximum-likelihood.js';

/** Aggregated BG/NBD data: columns (x, T, t_x). */
export interface BgNbdData extends AggregatedRows {
  readonly kind: 'bgnbd-data';
  readonly customers: number;
  readonly repeatBuyers: number;
  readonly weightedX: number;
  readonly weightedT: number;
}

export function aggregateBgNbd(observations: Iterable<BgNbdObservation>): BgNbdData {
  const aggregator = new RowAggregator();
  let customers = 0;
  let repeatBuyers = 0;
  let weightedX = 0;
  let weightedT = 0;
  let row = 0;
  for (const o of observations) {
    const w = checkWeight(o.weight, row);
    checkCount(o.x, row);
    if (!(Number.isFinite(o.T) && o.T >= 0 && o.t_x >= 0 && o.t_x <= o.T)) {
      throw new RangeError(`row ${row}: need 0 ≤ t_x ≤ T, got t_x=${o.t_x}, T=${o.T}`);
    }
    row++;
    if (w === 0) continue;
    // t_x plays no part when x = 0: normalise it so such rows merge.
    aggregator.add(o.x, o.T, o.x === 0 ? 0 : o.t_x, w);
    customers += w;
    if (o.x > 0) repeatBuyers += w;
    weightedX += w * o.x;
    weightedT += w * o.T;
  }
  return { ...aggregator.build(), kind: 'bgnbd-data', customers, repeatBuyers, weightedX, weightedT };
}

/**
 * Total weighted log-likelihood; when `gradient` is given, writes ∂/∂(r, α, a, b)
 * into it. Per-x and per-time terms are computed once per distinct value.
 */
export function bgnbdDataLogLikelihood(params: BgNbdParams, data: BgNbdData, gradient?: Float64Array): number {
  const { r, alpha, a, b } = params;
  const xs = data.values1;
  const perX = new Float64Array(xs.length * 6);
  const lnBetaAB = logBeta(a, b);
  const psiR = digamma(r);
  const psiAB = digamma(a + b);
  const psiB = digamma(b);
  const lgR = logGamma(r);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const psiABX = digamma(a + b + x);
    perX[6 * i] = logGamma(r + x) - lgR + logBeta(a, b + x) - lnBetaAB;
    perX[6 * i + 1] = digamma(r + x) - psiR;
    perX[6 * i + 2] = psiAB - psiABX;
    perX[6 * i + 3] = digamma(b + x) - psiB + psiAB - psiABX;
    perX[6 * i + 4] = x > 0 ? Math.log(a / (b + x - 1)) : 0;
    perX[6 * i + 5] = x > 0 ? 1 / (b + x - 1) : 0;
  }
  const lnAlphaT = logsOfShifted(data.values2, alpha);
  const lnAlphaTx = logsOfShifted(data.values3, alpha);
  const lnAlpha = Math.log(alpha);
  let ll = 0;
  let compensation = 0;
  let gr = 0;
  let ga = 0;
  let gA = 0;
  let gB = 0;
  for (let row = 0; row < data.rows; row++) {
    const w = data.weight[row]!;
    const xi = data.index1[row]!;
    const x = xs[xi]!;
    const k = r + x;
    const lT = lnAlphaT[data.index2[row]!]!;
    let term = perX[6 * xi]! + r * lnAlpha - k * lT;
    let sigma = 0;
    let logRatio = 0;
    if (x > 0) {
      logRatio = lT - lnAlphaTx[data.index3[row]!]!;
      const d = perX[6 * xi + 4]! + k * logRatio;
      term += softplus(d);
      sigma = logistic(d);
    }
    // Neumaier-compensated: 10⁵–10⁶ rows would otherwise leave ~1e−12 relative
    // noise in f, enough to stall the optimiser's last steps.
    const weighted = w * term;
    const next = ll + weighted;
    compensation += Math.abs(ll) >= Math.abs(weighted) ? ll - next + weighted : weighted - next + ll;
    ll = next;
    if (gradient === undefined) continue;
    const invT = 1 / (alpha + data.values2[data.index2[row]!]!);
    const invTx = 1 / (alpha + data.values3[data.index3[row]!]!);
    gr += w * (perX[6 * xi + 1]! + lnAlpha - lT + sigma * logRatio);
    ga += w * (r / alpha - k * invT + (x > 0 ? sigma * k * (invT - invTx) : 0));
    gA += w * (perX[6 * xi + 2]! + sigma / a);
    gB += w * (perX[6 * xi + 3]! - sigma * perX[6 * xi + 5]!);
  }
  if (gradient !== undefined) {
    gradient[0] = gr;
    gradient[1] = ga;
    gradient[2] = gA;
    gradient[3] = gB;
  }
  return ll + compensation;
}

function logsOfShifted(values: Float64Array, shift: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.log(shift + values[i]!);
  return out;
}

export interface BgNbdFitOptions extends FitOptions {
  /** Starting point; default r = 1, a = 1, b = 1 and α = Σ T / Σ x (so r/α matches the purchase rate). */
  readonly initial?: BgNbdParams;
}

export function fitBgNbd(input: Iterable<BgNbdObservation> | BgNbdData, options: BgNbdFitOptions = {}): FitResult<BgNbdParams> {
  return fitBgNbdFamily(input, options, bgnbdDataLogLikelihood);
}

/**
 * Maximum likelihood for a model of the BG/NBD's family (same four parameters,
 * same data): the BG/NBD itself and the modified BG/NBD differ only in the
 * log-likelihood (with its gradient in the natural parameters) handed in.
 */
export function fitBgNbdFamily(
  input: Iterable<BgNbdObservation> | BgNbdData,
  options: BgNbdFitOptions,
  dataLogLikelihood: (params: BgNbdParams, data: BgNbdData, gradient?: Float64Array) => number,
): FitResult<BgNbdParams> {
  const data = isBgNbdData(input) ? input : aggregateBgNbd(input);
  const required = resolveMinRepeatBuyers(options);
  // Even with required = 0, no repeat buyer at all leaves nothing to estimate.
  if (data.repeatBuyers < required || data.repeatBuyers === 0) {
    return { status: 'insufficient-data', customers: data.customers, repeatBuyers: data.repeatBuyers, required };
  }
  const natural = new Float64Array(4);
  const toParams = (theta: Float64Array): BgNbdParams => ({
    r: Math.exp(theta[0]!),
    alpha: Math.exp(theta[1]!),
    a: Math.exp(theta[2]!),
    b: Math.exp(theta[3]!),
  });
  const meanNegative = (theta: Float64Array, gradient: Float64Array): number => {
    const params = toParams(theta);
    const ll = dataLogLikelihood(params, data, natural);
    const scale = -1 / data.customers;
    gradient[0] = scale * natural[0]! * params.r;
    gradient[1] = scale * natural[1]! * params.alpha;
    gradient[2] = scale * natural[2]! * params.a;
    gradient[3] = scale * natural[3]! * params.b;
    return scale * ll;
  };
  // α scales with the time unit, so does its default start: the fit is then
  // the same optimisation path whatever the unit.
  const alpha0 = data.weightedX > 0 ? data.weightedT / data.weightedX : Math.max(data.weightedT / data.customers, 1);
  const { r, alpha, a, b } = options.initial ?? { r: 1, alpha: alpha0, a: 1, b: 1 };
  return fitOnLogParameters(
    meanNegative,
    [r, alpha, a, b],
    toParams,
    (params) => dataLogLikelihood(params, data),
    { customers: data.customers, repeatBuyers: data.repeatBuyers, distinctRows: data.rows },
    options,
  );
}

function isBgNbdData(input: Iterable<BgNbdObservation> | BgNbdData): input is BgNbdData {
  return (input as Partial<BgNbdData>).kind === 'bgnbd-data';
}
