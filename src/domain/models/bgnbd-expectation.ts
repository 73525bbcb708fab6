/**
 * E[purchases in (T, T+t] | alive at T, x] for the BG/NBD, the kernel of both the
 * conditional expectation (eq. 10 of Fader, Hardie & Lee 2005) and the
 * unconditional one (eq. 9: x = 0, T = 0).
 *
 * With k = r+x, C = a+b+x−1, ε = a−1, β = a+b−1−r, β₀ = α+T, z = t/(β₀+t):
 *
 *   E = (C/ε) · (1 − G),  G = (1−z)^k · 2F1(k, b+x; C; z)          (eq. 10)
 *     = (C/ε) · (1 − (1−z)^ε · 2F1(ε, β; C; z))                     (Euler)
 *
 * Evaluating eq. 10 literally overflows for large x (2F1 ≈ 10^3000 at x = 10⁴)
 * and loses everything to cancellation for small t (G ≈ 1) or a ≈ 1 (0/0).
 * Writing 2F1(ε, β; C; z) = 1 + ε·S(z) with S = Σ_{n≥1} (ε+1)_{n−1}(β)ₙ/((C)ₙ n!) zⁿ,
 *
 *   E = C · ( −(e^{εL} − 1)/ε − e^{εL} S ),  L = ln(1−z) = −log1p(t/β₀),
 *
 * has neither problem: no division by ε, no 1 − G. That is the route whenever S
 * converges within a few hundred terms — small z, or large x where the terms
 * fall like n^{a−2−r−x}. Otherwise (z near 1 and few purchases) G comes from the
 * careful 2F1 (1−z transformations) and E = −C·expm1(ln G)/ε; only when a is
 * within 1e−4 of 1 (or C of 0) does that lose digits, and there E, analytic in
 * a, is interpolated from a ± 2e−4, a ± 4e−4 (error ~1e−11 relative).
 *
 * Time unit: whatever t, β₀ share (the domain uses days). No allocation.
 */
import { expm1OverEpsilon } from './special.js';
import { estimateSeriesTerms, hypergeometricSeries, seriesState } from './hypergeometric-series.js';
import { hyp2f1State, logHyp2f1Unit } from './hypergeometric.js';

const DIRECT_SERIES_PREFERRED_TERMS = 300;
const DIRECT_SERIES_MAX_TERMS = 3000;
const SMALL_EPSILON = 1e-4;
const INTERPOLATION_NODES = [-2, -1, 1, 2] as const;
const INTERPOLATION_WEIGHTS = [-1 / 6, 2 / 3, 2 / 3, -1 / 6] as const;

/**
 * Expected purchases in a window of length t right after T, for a customer known
 * to be alive at T with x repeat purchases; beta0 = α + T.
 */
export function expectedPurchasesIfAlive(r: number, a: number, b: number, x: number, beta0: number, t: number): number {
  if (!(t > 0)) return 0;
  const u = t / beta0;
  const z = u / (1 + u);
  const w = 1 / (1 + u);
  const L = -Math.log1p(u);
  const viaSeries = bySeries(r, a, b, x, z, L);
  if (!Number.isNaN(viaSeries)) return viaSeries;
  // ε = a−1 and C = a+b+x−1 both move with a: away from 0 the transformation is
  // accurate, close to 0 (0/0 in eq. 10) E is interpolated in a.
  if (Math.abs(a - 1) >= SMALL_EPSILON && Math.abs(a + b + x - 1) >= SMALL_EPSILON) {
    return byTransformation(r, a, b, x, z, w, L);
  }
  let sum = 0;
  for (let j = 0; j < 4; j++) {
    const node = a + INTERPOLATION_NODES[j]! * 2 * SMALL_EPSILON;
    sum += INTERPOLATION_WEIGHTS[j]! * byTransformation(r, node, b, x, z, w, L);
  }
  return sum;
}

/** The S-series route; NaN when it would be (or turns out) too long. */
function bySeries(r: number, a: number, b: number, x: number, z: number, L: number): number {
  const C = a + b + x - 1;
  const epsilon = a - 1;
  const beta = a + b - 1 - r;
  if (estimateSeriesTerms(epsilon, beta, C, z) > DIRECT_SERIES_PREFERRED_TERMS) return Number.NaN;
  // C·S summed directly (first term β z): C = a+b−1 can be 0 or negative when x = 0.
  const CS = hypergeometricSeries(epsilon, beta, C, z, 1, beta * z, DIRECT_SERIES_MAX_TERMS);
  if (Number.isNaN(CS) || seriesState.logScale !== 0) return Number.NaN;
  return -C * expm1OverEpsilon(epsilon, L) - Math.exp(epsilon * L) * CS;
}

/**
 * E = C (1 − G)/ε with ln|G| = k L + ln|2F1(k, b+x; C; z)|. For C < 0 (x = 0 and
 * a + b < 1) the 2F1 — hence G — can be negative: then 1 − G = 1 + |G|.
 */
function byTransformation(r: number, a: number, b: number, x: number, z: number, w: number, L: number): number {
  const k = r + x;
  const C = a + b + x - 1;
  const logG = k * L + logHyp2f1Unit(k, b + x, C, z, w);
  const oneMinusG = hyp2f1State.sign < 0 ? 1 + Math.exp(logG) : -Math.expm1(logG);
  return (C * oneMinusG) / (a - 1);
}
