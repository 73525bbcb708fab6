/**
 * BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy
 * way", Marketing Science 24(2)): while alive a customer buys as a Poisson
 * process with rate λ ~ Gamma(r, α); after each repeat purchase she drops out
 * with probability p ~ Beta(a, b).
 *
 * A customer is summarised by x (repeat purchases), t_x (time of the last one
 * since the first purchase) and T (time since the first purchase). The
 * functions are unit-agnostic — α, t_x, T and horizons share one time unit and
 * α scales with it, r, a, b do not. The clvstream domain uses **days**.
 *
 * P(alive) and the expectations are on the per-event path: no allocation, a
 * handful of logs/exps for P(alive), an early-terminating series (or two) for
 * the expectations. They do not validate their inputs (see
 * `isValidBgNbdParams`); preconditions: r, α, a, b > 0, x a non-negative
 * integer, 0 ≤ t_x ≤ T, horizon t ≥ 0.
 */
import { logBeta, logGamma, logistic, softplus } from './special.js';
import { expectedPurchasesIfAlive } from './bgnbd-expectation.js';
import { expectedPurchasesIfAliveCurve } from './bgnbd-expectation-curve.js';

export interface BgNbdParams {
  readonly r: number;
  readonly alpha: number;
  readonly a: number;
  readonly b: number;
}

export function isValidBgNbdParams(p: BgNbdParams): boolean {
  return [p.r, p.alpha, p.a, p.b].every((v) => Number.isFinite(v) && v > 0);
}

/**
 * ln of the odds "dropped out after the last purchase" : "still alive",
 * ln[a/(b+x−1)] + (r+x)·ln[(α+T)/(α+t_x)], for x > 0. Shared by P(alive) and the
 * likelihood, whose second term is the first times these odds.
 */
export function logDropoutOdds(params: BgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = params;
  return Math.log(a / (b + x - 1)) + (r + x) * Math.log1p((T - tx) / (alpha + tx));
}

/**
 * ln L(r, α, a, b | x, t_x, T) (FHL 2005 eq. 6), in the log-sum-exp form
 *   ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b) − (r+x) ln(α+T)
 *   + [x > 0] ln(1 + odds),
 * which stays finite where the two-term sum of eq. 6 under- or overflows.
 */
export function bgnbdLogLikelihood(params: BgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = params;
  const alive =
    logGamma(r + x) -
    logGamma(r) +
    r * Math.log(alpha) +
    logBeta(a, b + x) -
    logBeta(a, b) -
    (r + x) * Math.log(alpha + T);
  return x > 0 ? alive + softplus(logDropoutOdds(params, x, tx, T)) : alive;
}

/** P(alive at T | x, t_x, T) (FHL 2005 eq. 12); exactly 1 when x = 0. */
export function probabilityAlive(params: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  return logistic(-logDropoutOdds(params, x, tx, T));
}

/**
 * E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] for this customer
 * (FHL 2005 eq. 10) = P(alive) · E[purchases in the window | alive].
 */
export function conditionalExpectedPurchases(params: BgNbdParams, x: number, tx: number, T: number, t: number): number {
  // Rounding in the cancelling terms can leave −1 ulp for a vanishing window: a count is never negative.
  const ifAlive = Math.max(0, expectedPurchasesIfAlive(params.r, params.a, params.b, x, params.alpha + T, t));
  return probabilityAlive(params, x, tx, T) * ifAlive;
}

/** E[X(t)]: expected purchases in (0, t] of a customer just acquired (FHL 2005 eq. 9). */
export function expectedPurchases(params: BgNbdParams, t: number): number {
  return Math.max(0, expectedPurchasesIfAlive(params.r, params.a, params.b, 0, params.alpha, t));
}

/**
 * Conditional expectations at several horizons for one customer, written into
 * `out` (length ≥ horizons.length, no allocation). Much cheaper than separate
 * calls: P(alive) once, one shared series pass (bgnbd-expectation-curve.ts).
 */
export function conditionalExpectedPurchasesAt(
  params: BgNbdParams,
  x: number,
  tx: number,
  T: number,
  horizons: ArrayLike<number>,
  out: Float64Array,
): void {
  expectedPurchasesIfAliveCurve(params.r, params.a, params.b, x, params.alpha + T, horizons, out);
  const pAlive = probabilityAlive(params, x, tx, T);
  for (let i = 0; i < horizons.length; i++) out[i] = pAlive * Math.max(0, out[i]!);
}
