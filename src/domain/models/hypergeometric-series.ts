/**
 * The Gauss hypergeometric series Σ (a)ₙ(b)ₙ / ((c)ₙ n!) zⁿ with a rigorous stopping
 * rule, and a cheap estimate of how many terms it will take.
 *
 * Stopping on "the last term is small" alone is unsafe: a term can be tiny by
 * accident (a + n ≈ 0) and the following ones grow again, or the ratio can stay
 * close to 1 so the neglected tail is far bigger than the last term. So once all
 * Pochhammer factors are positive we bound every future term ratio and stop only
 * when the whole geometric tail is below the tolerance.
 *
 * Sums that would overflow are rescaled on the way; the log of the scale factor
 * is left in `seriesState.logScale` (no allocation per call: this is on the
 * per-event path).
 */

/** Relative accuracy the series aim for (a little above the double epsilon). */
export const SERIES_TOLERANCE = 1e-16;
const LN_TOLERANCE = -Math.log(SERIES_TOLERANCE);
const RESCALE_ABOVE = 1e280;
const RESCALE_FACTOR = 1e-280;
const LN_RESCALE = Math.log(1e280);

/** Side results of the last `hypergeometricSeries` call. */
export const seriesState = { terms: 0, logScale: 0 };

/**
 * Whether a series may stop after adding term T_{m0}: |T_{m0}| is below the
 * tolerance and so is the whole tail bounded geometrically by
 * ρ ≥ sup_{m ≥ m0} |T_{m+1}/T_m|, where
 *   T_{m+1}/T_m = z (m+a)(m+b) / ((m+c)(m+1)) = z (1 + (p m + q) / ((m+c)(m+1))),
 * p = a+b−c−1, q = ab−c. The bound needs every factor positive from m0 on:
 * m0 > positiveFrom = max(1, 1 − min(a, b, c)).
 */
export function seriesTailConverged(
  term: number,
  sum: number,
  m0: number,
  absZ: number,
  p: number,
  q: number,
  c: number,
  positiveFrom: number,
): boolean {
  const absTerm = Math.abs(term);
  const absSum = Math.abs(sum);
  if (absTerm > SERIES_TOLERANCE * absSum || m0 <= positiveFrom) return false;
  const denominator = (m0 + c) * (m0 + 1);
  // m / ((m+c)(m+1)) is decreasing beyond m0 when c < 0; below 1/(m0+c) when c ≥ 0.
  const linear = c >= 0 ? 1 / (m0 + c) : m0 / denominator;
  const rho = absZ * (1 + Math.max(p, 0) * linear + Math.max(q, 0) / denominator);
  return rho < 1 && absTerm * rho <= SERIES_TOLERANCE * absSum * (1 - rho);
}

/**
 * Σ_{n ≥ n0} Tₙ where T_{n0} = firstTerm and T_{n+1} = Tₙ · z (a+n)(b+n) / ((c+n)(n+1)).
 * With n0 = 0, firstTerm = 1 this is 2F1(a, b; c; z); with n0 = 1,
 * firstTerm = b z / c it is (2F1 − 1) / a, computed without dividing by a.
 * The result is scaled by e^{−seriesState.logScale}. NaN when not converged
 * within maxTerms.
 */
export function hypergeometricSeries(
  a: number,
  b: number,
  c: number,
  z: number,
  n0: number,
  firstTerm: number,
  maxTerms: number,
): number {
  seriesState.logScale = 0;
  seriesState.terms = 0;
  let term = firstTerm;
  let sum = firstTerm;
  if (term === 0 || z === 0) return sum;
  const p = a + b - c - 1;
  const q = a * b - c;
  const absZ = Math.abs(z);
  const positiveFrom = Math.max(1, 1 - Math.min(a, b, c));
  const last = n0 + maxTerms;
  for (let n = n0; n < last; n++) {
    term *= (z * (a + n) * (b + n)) / ((c + n) * (n + 1));
    sum += term;
    if (term === 0) {
      seriesState.terms = n - n0 + 1;
      return sum; // a or b is a non-positive integer: the series is a polynomial
    }
    if (seriesTailConverged(term, sum, n + 1, absZ, p, q, c, positiveFrom)) {
      seriesState.terms = n - n0 + 1;
      return sum;
    }
    if (Math.abs(sum) > RESCALE_ABOVE) {
      sum *= RESCALE_FACTOR;
      term *= RESCALE_FACTOR;
      seriesState.logScale += LN_RESCALE;
    }
  }
  seriesState.terms = maxTerms;
  return Number.NaN;
}

/** 2F1(a, b; c; z) by its defining series (scaled, see `seriesState.logScale`). */
export function gaussSeries(a: number, b: number, c: number, z: number, maxTerms: number): number {
  return hypergeometricSeries(a, b, c, z, 0, 1, maxTerms);
}

/**
 * Rough number of terms the series needs for 0 ≤ |z| < 1: the climb to the
 * largest term (large a·b·z against c) plus the decay, which is geometric at
 * rate |z| and, when p = a+b−c−1 < 0, also polynomial like n^p. Only used to
 * choose between the series and the 1−z transformation, never to stop a sum.
 */
export function estimateSeriesTerms(a: number, b: number, c: number, z: number): number {
  const absZ = Math.abs(z);
  if (absZ === 0) return 1;
  const minusLnZ = -Math.log(absZ);
  const p = a + b - c - 1;
  // Where z(n+a)(n+b) = (n+c)(n+1): the terms grow before, shrink after.
  const quadA = 1 - absZ;
  const quadB = c + 1 - absZ * (a + b);
  const quadC = c - absZ * a * b;
  const discriminant = quadB * quadB - 4 * quadA * quadC;
  const peak = discriminant > 0 ? Math.max(0, (-quadB + Math.sqrt(discriminant)) / (2 * quadA)) : 0;
  const geometric = (LN_TOLERANCE + Math.max(p, 0) * Math.log1p(LN_TOLERANCE / minusLnZ)) / minusLnZ;
  const polynomial = p < 0 ? Math.exp(LN_TOLERANCE / -p) : Number.POSITIVE_INFINITY;
  return peak + Math.min(geometric, polynomial);
}
