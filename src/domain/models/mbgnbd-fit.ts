/**
 * Maximum-likelihood fit of the modified BG/NBD (mbgnbd.ts) on aggregated
 * customer summaries, with the analytic gradient, on log-parameters — the same
 * aggregation, optimiser and outcome as the BG/NBD fit (bgnbd-fit.ts).
 *
 * Per row, with k = r+x and d = ln[a/(b+x)] + k ln[(α+T)/(α+t_x)] (every x):
 *   ℓ = ln Γ(k) − ln Γ(r) + r ln α + ln B(a,b+x+1) − ln B(a,b) − k ln(α+T) + softplus(d)
 *   ∂ℓ/∂r = ψ(k) − ψ(r) + ln α − ln(α+T) + σ(d)·ln[(α+T)/(α+t_x)]
 *   ∂ℓ/∂α = r/α − k/(α+T) + σ(d)·k·[1/(α+T) − 1/(α+t_x)]
 *   ∂ℓ/∂a = ψ(a+b) − ψ(a+b+x+1) + σ(d)/a
 *   ∂ℓ/∂b = ψ(b+x+1) − ψ(b) + ψ(a+b) − ψ(a+b+x+1) − σ(d)/(b+x)
 */
import { digamma, logBeta, logGamma, logistic, softplus } from './special.js';
import type { BgNbdParams } from './bgnbd.js';
import { fitBgNbdFamily, type BgNbdData, type BgNbdFitOptions } from './bgnbd-fit.js';
import type { BgNbdObservation } from './observations.js';
import type { FitResult } from './maximum-likelihood.js';

/** Total weighted MBG/NBD log-likelihood; with `gradient`, ∂/∂(r, α, a, b) written into it. */
export function mbgnbdDataLogLikelihood(params: BgNbdParams, data: BgNbdData, gradient?: Float64Array): number {
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
    const psiABX1 = digamma(a + b + x + 1);
    perX[6 * i] = logGamma(r + x) - lgR + logBeta(a, b + x + 1) - lnBetaAB;
    perX[6 * i + 1] = digamma(r + x) - psiR;
    perX[6 * i + 2] = psiAB - psiABX1;
    perX[6 * i + 3] = digamma(b + x + 1) - psiB + psiAB - psiABX1;
    perX[6 * i + 4] = Math.log(a / (b + x));
    perX[6 * i + 5] = 1 / (b + x);
  }
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
    const T = data.values2[data.index2[row]!]!;
    const tx = data.values3[data.index3[row]!]!;
    const lT = Math.log(alpha + T);
    const logRatio = Math.log1p((T - tx) / (alpha + tx));
    const d = perX[6 * xi + 4]! + k * logRatio;
    const term = perX[6 * xi]! + r * lnAlpha - k * lT + softplus(d);
    // Neumaier-compensated, as in the BG/NBD fit.
    const weighted = w * term;
    const next = ll + weighted;
    compensation += Math.abs(ll) >= Math.abs(weighted) ? ll - next + weighted : weighted - next + ll;
    ll = next;
    if (gradient === undefined) continue;
    const sigma = logistic(d);
    const invT = 1 / (alpha + T);
    const invTx = 1 / (alpha + tx);
    gr += w * (perX[6 * xi + 1]! + lnAlpha - lT + sigma * logRatio);
    ga += w * (r / alpha - k * invT + sigma * k * (invT - invTx));
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

export function fitMbgNbd(input: Iterable<BgNbdObservation> | BgNbdData, options: BgNbdFitOptions = {}): FitResult<BgNbdParams> {
  return fitBgNbdFamily(input, options, mbgnbdDataLogLikelihood);
}
