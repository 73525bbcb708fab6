/**
 * When will a customer who is still alive buy next? In the BG/NBD, the
 * modified BG/NBD and the Pareto/NBD alike, a living customer buys as a
 * Poisson process with rate λ, and given x repeat purchases in (0, T] and that
 * the customer is alive at T, λ ~ Gamma(r + x, α + T) (the dropout part of the
 * likelihood does not involve λ once she is alive). The waiting time W from T
 * to the next purchase is then exponential given λ and, mixed over λ, Lomax:
 *
 *   P(W > w | alive) = ((α + T) / (α + T + w))^(r + x)
 *
 * whose median is (α + T)·(2^(1/(r+x)) − 1). For the BG/NBD this is exact only
 * up to the next purchase, which is all the question asks (the dropout comes
 * after a purchase); for the Pareto/NBD it is the waiting time of a customer
 * who stays alive until then.
 *
 * The same mixture with a fixed rate (the simple rule without a model) is a
 * plain exponential: median ln 2 / rate.
 *
 * Unit-agnostic, like the models: α, T and the result share one time unit.
 */

/** P(W > w | alive at T): the chance that a living customer has not bought again within w. */
export function noPurchaseWithinIfAlive(r: number, alpha: number, x: number, T: number, w: number): number {
  return Math.exp(-(r + x) * Math.log1p(w / (alpha + T)));
}

/** The median of W given alive at T: half of the living customers like this one buy again within it. */
export function medianTimeToNextPurchaseIfAlive(r: number, alpha: number, x: number, T: number): number {
  return (alpha + T) * Math.expm1(Math.LN2 / (r + x));
}

/** Median waiting time of a Poisson process with a known rate (purchases per time unit); Infinity at rate 0. */
export function medianTimeToNextPurchaseAtRate(rate: number): number {
  return rate > 0 ? Math.LN2 / rate : Infinity;
}

/**
 * Expected purchases in (0, t] of a Poisson process with rate `rate` whose
 * customer survives to time u with probability `retention`^(u/year):
 * rate·∫₀ᵗ retention^(u/year) du = rate·year·(retention^(t/year) − 1)/ln(retention),
 * rate·t when nobody leaves, 0 when everyone has.
 */
export function expectedPurchasesWithRetention(rate: number, t: number, retention: number, year: number): number {
  if (rate === 0 || t === 0) return 0;
  if (retention >= 1) return rate * t;
  if (retention <= 0) return 0;
  const k = Math.log(retention) / year;
  return (rate * Math.expm1(k * t)) / k;
}
