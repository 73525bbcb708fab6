/**
 * Elementary special functions for the customer-base models.
 *
 * Log-gamma, log-beta and digamma come from the stdlib.io packages (maintained,
 * Apache-2.0, accurate to a few ulps, pure JavaScript): there is nothing to gain
 * from a home-made Lanczos. `logBeta` in particular keeps its accuracy when one
 * argument is large (b + x with x in the thousands), where the naive
 * lnΓ(a) + lnΓ(b) − lnΓ(a + b) loses digits to cancellation.
 *
 * The small helpers below (softplus, logistic, sign of Γ) are the numerically
 * careful forms the likelihoods and the hypergeometric function need.
 */
import stdlibGammaln from '@stdlib/math-base-special-gammaln';
import stdlibBetaln from '@stdlib/math-base-special-betaln';
import stdlibDigamma from '@stdlib/math-base-special-digamma';

/** ln|Γ(x)|; +Infinity at the poles 0, −1, −2, … */
export const logGamma: (x: number) => number = stdlibGammaln;

/** ln B(a, b) for a, b > 0. */
export const logBeta: (a: number, b: number) => number = stdlibBetaln;

/** ψ(x) = d/dx ln Γ(x). */
export const digamma: (x: number) => number = stdlibDigamma;

/** Sign of Γ(x): +1 for x > 0, alternating on the negative axis; NaN at the poles. */
export function gammaSign(x: number): number {
  if (x > 0) return 1;
  if (Number.isInteger(x)) return Number.NaN;
  // Γ is negative on (−1, 0), positive on (−2, −1), …: the parity of floor(x).
  return Math.floor(x) % 2 === 0 ? 1 : -1;
}

/** True when x is 0, −1, −2, … (where 1/Γ(x) vanishes). */
export function isNonPositiveInteger(x: number): boolean {
  return x <= 0 && Number.isInteger(x);
}

/** ln(1 + e^d) without overflow for large d nor loss for very negative d. */
export function softplus(d: number): number {
  return d > 0 ? d + Math.log1p(Math.exp(-d)) : Math.log1p(Math.exp(d));
}

/** 1 / (1 + e^−d), the derivative of softplus, stable at both ends. */
export function logistic(d: number): number {
  if (d >= 0) return 1 / (1 + Math.exp(-d));
  const e = Math.exp(d);
  return e / (1 + e);
}

/**
 * (e^{εL} − 1) / ε, continuous at ε = 0 where it equals L. expm1 keeps full
 * relative accuracy for tiny εL, so no threshold on ε is needed.
 */
export function expm1OverEpsilon(epsilon: number, L: number): number {
  return epsilon === 0 ? L : Math.expm1(epsilon * L) / epsilon;
}
