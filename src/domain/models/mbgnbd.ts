/**
 * Modified BG/NBD (Batislam, Denizel & Filiztekin 2007, "Empirical validation
 * and comparison of models for customer base analysis", IJRM 24(3)): the BG/NBD
 * with one change — a customer may also drop out right after the *first*
 * purchase, so the dropout coin is tossed after every purchase, not only after
 * repeat ones. Consequences that matter to clvstream:
 * - P(alive) of a one-time buyer falls with time (the BG/NBD leaves it at 1);
 * - every expression is the BG/NBD's with b + x in place of b + x − 1, and the
 *   dropout odds apply for x = 0 too.
 *
 * Parameters r, α (time unit), a, b as in the BG/NBD; same units and
 * preconditions (bgnbd.ts). The per-event functions allocate nothing.
 *
 * The conditional expectation reuses the BG/NBD kernel: E[purchases in (T, T+t]
 * | alive, x] of the MBG/NBD equals the BG/NBD's with b replaced by b + 1 (the
 * hypergeometric 2F1(r+x, b+x+1; a+b+x; z) and the factor (a+b+x)/(a−1)), so
 * the careful series/transformation code of bgnbd-expectation.ts serves both.
 */
import { logBeta, logGamma, logistic, softplus } from './special.js';
import type { BgNbdParams } from './bgnbd.js';
import { expectedPurchasesIfAlive } from './bgnbd-expectation.js';
import { expectedPurchasesIfAliveCurve } from './bgnbd-expectation-curve.js';

/** ln[a/(b+x)] + (r+x)·ln[(α+T)/(α+t_x)]: odds "dropped out after the last purchase" : "alive", any x ≥ 0. */
export function mbgnbdLogDropoutOdds(params: BgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = params;
  return Math.log(a / (b + x)) + (r + x) * Math.log1p((T - tx) / (alpha + tx));
}

/**
 * ln L(r, α, a, b | x, t_x, T) of one customer:
 *   ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x+1) − ln B(a, b) − (r+x) ln(α+T)
 *   + ln(1 + odds)            (for every x, unlike the BG/NBD)
 */
export function mbgnbdLogLikelihood(params: BgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = params;
  const alive =
    logGamma(r + x) - logGamma(r) + r * Math.log(alpha) + logBeta(a, b + x + 1) - logBeta(a, b) - (r + x) * Math.log(alpha + T);
  return alive + softplus(mbgnbdLogDropoutOdds(params, x, tx, T));
}

/** P(alive at T | x, t_x, T) = 1 / (1 + a/(b+x)·((α+T)/(α+t_x))^(r+x)); below 1 for one-time buyers too. */
export function mbgnbdProbabilityAlive(params: BgNbdParams, x: number, tx: number, T: number): number {
  return logistic(-mbgnbdLogDropoutOdds(params, x, tx, T));
}

/** E[Y(t) | x, t_x, T]: expected purchases in (T, T + t]. */
export function mbgnbdConditionalExpectedPurchases(params: BgNbdParams, x: number, tx: number, T: number, t: number): number {
  const ifAlive = Math.max(0, expectedPurchasesIfAlive(params.r, params.a, params.b + 1, x, params.alpha + T, t));
  return mbgnbdProbabilityAlive(params, x, tx, T) * ifAlive;
}

/**
 * E[X(t)]: expected repeat purchases in (0, t] of a customer just acquired =
 * b/(a+b) (alive after the first purchase) × the kernel at x = 0, T = 0.
 */
export function mbgnbdExpectedPurchases(params: BgNbdParams, t: number): number {
  const { r, alpha, a, b } = params;
  return (b / (a + b)) * Math.max(0, expectedPurchasesIfAlive(r, a, b + 1, 0, alpha, t));
}

/** Conditional expectations at several horizons, written into `out` (as `conditionalExpectedPurchasesAt`). */
export function mbgnbdConditionalExpectedPurchasesAt(
  params: BgNbdParams,
  x: number,
  tx: number,
  T: number,
  horizons: ArrayLike<number>,
  out: Float64Array,
): void {
  expectedPurchasesIfAliveCurve(params.r, params.a, params.b + 1, x, params.alpha + T, horizons, out);
  const pAlive = mbgnbdProbabilityAlive(params, x, tx, T);
  for (let i = 0; i < horizons.length; i++) out[i] = pAlive * Math.max(0, out[i]!);
}
