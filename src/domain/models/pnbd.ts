/**
 * Pareto/NBD model (Schmittlein, Morrison & Colombo 1987, "Counting your
 * customers: who are they and what will they do next?", Management Science
 * 33(1)): while alive a customer buys as a Poisson process with rate
 * λ ~ Gamma(r, α); her lifetime is exponential with rate μ ~ Gamma(s, β), so she
 * may drop out at any time, not only right after a purchase (the BG/NBD's coin).
 *
 * Same summary (x, t_x, T) and the same unit rules as the BG/NBD (bgnbd.ts): α,
 * β and the times share one unit, r and s are unitless; the clvstream domain
 * uses days. Preconditions as there: parameters > 0, x a non-negative integer,
 * 0 ≤ t_x ≤ T, horizon ≥ 0.
 *
 * The likelihood and P(alive) rest on the dropout odds
 *
 *   O = s ∫_{t_x}^{T} ((α+T)/(α+y))^{k} ((β+T)/(β+y))^{s} dy/(β+y),   k = r + x,
 *
 * the chance she dropped out in (t_x, T] against the chance she is alive. The
 * textbook form is a difference of two Gauss functions 2F1(r+s+x, ·; r+s+x+1; ·)
 * divided by (α+·)^{r+s+x}, which overflows for large x and cancels to nothing
 * when t_x is close to T. With the tail integral written (Euler's transformation)
 *
 *   ∫_u^∞ (p+y)^{−A} (q+y)^{−B} dy = (p+u)^{−A} (q+u)^{1−B} G(z_u) / (A+B−1),
 *   G = 2F1(1, A; A+B; z_u),  z_u = (p−q)/(p+u) ∈ [0, 1),  p ≥ q,
 *
 * the odds become O = s/(k+s) · [e^R g(t_x) − g(T)] with
 * R = k ln((α+T)/(α+t_x)) + s ln((β+T)/(β+t_x)) and g = G, or (1−z)·G when α < β
 * (then the roles of (α, k) and (β, s+1) swap). G has positive terms and
 * grows at most like the (k+s)/s of its value at z = 1 (α ≥ β), and the
 * difference is taken in log space as g(T)·expm1(d): no overflow, and the
 * rounding near t_x = T is absolute, about 1e−16 of P(alive).
 */
import { expm1OverEpsilon, logGamma, logistic, softplus } from './special.js';
import { logHyp2f1Unit } from './hypergeometric.js';

export interface ParetoNbdParams {
  readonly r: number;
  readonly alpha: number;
  readonly s: number;
  readonly beta: number;
}

export function isValidParetoNbdParams(p: ParetoNbdParams): boolean {
  return [p.r, p.alpha, p.s, p.beta].every((v) => Number.isFinite(v) && v > 0);
}

/** ln g(u) of the module comment: ln of the scaled tail integral at u. */
function logScaledTail(alpha: number, beta: number, k: number, s: number, u: number): number {
  if (alpha >= beta) {
    const p = alpha + u;
    // 1 − z = (β+u)/(α+u), passed exactly.
    return logHyp2f1Unit(1, k, k + s + 1, (alpha - beta) / p, (beta + u) / p);
  }
  const p = beta + u;
  const w = (alpha + u) / p;
  return Math.log(w) + logHyp2f1Unit(1, s + 1, k + s + 1, (beta - alpha) / p, w);
}

/** ln(e^d − 1) for d > 0, accurate at both ends. */
function logExpm1(d: number): number {
  return d > 30 ? d + Math.log1p(-Math.exp(-d)) : Math.log(Math.expm1(d));
}

/** ln O, the log odds "dropped out in (t_x, T]" : "alive at T"; −∞ when t_x = T. */
export function pnbdLogDropoutOdds(params: ParetoNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = params;
  if (!(T > tx)) return Number.NEGATIVE_INFINITY;
  const k = r + x;
  const R = k * Math.log1p((T - tx) / (alpha + tx)) + s * Math.log1p((T - tx) / (beta + tx));
  const atT = logScaledTail(alpha, beta, k, s, T);
  const d = R + logScaledTail(alpha, beta, k, s, tx) - atT;
  // d > 0 in exact arithmetic; ≤ 0 only by rounding when t_x is a hair below T.
  if (!(d > 0)) return Number.NEGATIVE_INFINITY;
  return Math.log(s / (k + s)) + atT + logExpm1(d);
}

/**
 * ln L(r, α, s, β | x, t_x, T) of one customer (SMC 1987; Fader & Hardie's note
 * on implementing the Pareto/NBD), as "alive" part + ln(1 + O):
 *   ln Γ(r+x) − ln Γ(r) + r ln α + s ln β − (r+x) ln(α+T) − s ln(β+T) + softplus(ln O).
 */
export function pnbdLogLikelihood(params: ParetoNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = params;
  const alive =
    logGamma(r + x) - logGamma(r) + r * Math.log(alpha) + s * Math.log(beta) - (r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
  return alive + softplus(pnbdLogDropoutOdds(params, x, tx, T));
}

/** P(alive at T | x, t_x, T) = 1 / (1 + O). Below 1 for one-time buyers too, 1 when t_x = T. */
export function pnbdProbabilityAlive(params: ParetoNbdParams, x: number, tx: number, T: number): number {
  return logistic(-pnbdLogDropoutOdds(params, x, tx, T));
}

/**
 * E[purchases in (T, T+t] | alive at T, x] = (r+x)(β+T)/(α+T) · [1 − ((β+T)/(β+T+t))^{s−1}]/(s−1),
 * continuous through s = 1 (where the bracket is ln(1 + t/(β+T))).
 */
export function pnbdExpectedPurchasesIfAlive(params: ParetoNbdParams, x: number, T: number, t: number): number {
  if (!(t > 0)) return 0;
  const { r, alpha, s, beta } = params;
  return (((r + x) * (beta + T)) / (alpha + T)) * expm1OverEpsilon(1 - s, Math.log1p(t / (beta + T)));
}

/** E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] (SMC 1987) = P(alive) · the expectation if alive. */
export function pnbdConditionalExpectedPurchases(params: ParetoNbdParams, x: number, tx: number, T: number, t: number): number {
  return pnbdProbabilityAlive(params, x, tx, T) * pnbdExpectedPurchasesIfAlive(params, x, T, t);
}

/** E[X(t)]: expected purchases in (0, t] of a customer just acquired = rβ/α · [1 − (β/(β+t))^{s−1}]/(s−1). */
export function pnbdExpectedPurchases(params: ParetoNbdParams, t: number): number {
  return pnbdExpectedPurchasesIfAlive(params, 0, 0, t);
}

/** Conditional expectations at several horizons, written into `out` (P(alive) once). */
export function pnbdConditionalExpectedPurchasesAt(
  params: ParetoNbdParams,
  x: number,
  tx: number,
  T: number,
  horizons: ArrayLike<number>,
  out: Float64Array,
): void {
  const pAlive = pnbdProbabilityAlive(params, x, tx, T);
  for (let i = 0; i < horizons.length; i++) out[i] = pAlive * pnbdExpectedPurchasesIfAlive(params, x, T, horizons[i]!);
}
