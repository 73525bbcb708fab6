/**
 * Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using
 * iso-value curves"; the note "The Gamma-Gamma model of monetary value"):
 * a customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, v) across
 * customers (v is γ in the paper). Spend is assumed independent of the purchase
 * process, and only repeat purchases enter zbar (x > 0).
 *
 * Money is unit-agnostic like time in the BG/NBD: v scales with the currency
 * unit, p and q do not.
 */
import { logGamma } from './special.js';

export interface GammaGammaParams {
  readonly p: number;
  readonly q: number;
  /** γ of the paper: the rate parameter's scale; in money units. */
  readonly v: number;
}

export function isValidGammaGammaParams(params: GammaGammaParams): boolean {
  return [params.p, params.q, params.v].every((t) => Number.isFinite(t) && t > 0);
}

/**
 * ln f(zbar | x) for a repeat buyer: the mean of x Gamma(p, ν) values is
 * Gamma(px, xν); integrating ν over Gamma(q, v),
 *   ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + px ln x + (px−1) ln zbar − (px+q) ln(v + x·zbar).
 * Requires x ≥ 1 and zbar > 0.
 */
export function gammaGammaLogLikelihood(params: GammaGammaParams, x: number, zbar: number): number {
  const { p, q, v } = params;
  const px = p * x;
  return (
    logGamma(px + q) -
    logGamma(px) -
    logGamma(q) +
    q * Math.log(v) +
    px * Math.log(x) +
    (px - 1) * Math.log(zbar) -
    (px + q) * Math.log(v + x * zbar)
  );
}

/**
 * E[Z | x, zbar]: expected value of this customer's future transactions, the
 * credibility-weighted mix of the population mean v·p/(q−1) and her own zbar:
 *   (q−1)/(px+q−1) · v·p/(q−1) + px/(px+q−1) · zbar = p (v + x·zbar) / (px + q − 1).
 * For x = 0 it is the population mean (finite only when q > 1).
 */
export function conditionalExpectedSpend(params: GammaGammaParams, x: number, zbar: number): number {
  const { p, q, v } = params;
  const denominator = p * x + q - 1;
  if (!(denominator > 0)) return Number.POSITIVE_INFINITY;
  return (p * (v + (x > 0 ? x * zbar : 0))) / denominator;
}

/** Population mean transaction value v·p/(q−1) (Infinity when q ≤ 1). */
export function expectedSpend(params: GammaGammaParams): number {
  return conditionalExpectedSpend(params, 0, 0);
}
