/**
 * The 1−z connection of 2F1 when m = c − a − b is an integer or close to one.
 *
 * In A&S 15.3.6 both terms carry Γ(±m), which has a pole at integer m; near it
 * the two terms are huge and cancel (at m = M + 1e−4 the plain formula loses
 * ~6 digits). Writing m = M + δ and pairing term M + k of the first series with
 * term k of the second, the poles become a common factor π/sin(πδ) and each pair
 * is (e^{δU_k} − e^{δV_k}) with U_k, V_k regular in δ. So we sum
 *
 *   F = Γ(c)Γ(m)/(Γ(c−a)Γ(c−b)) Σ_{n<M} (a)ₙ(b)ₙ/((1−m)ₙ n!) wⁿ
 *     + (−1)^M (πδ/sin πδ) Γ(c)/(Γ(a)Γ(b)M!) e^{−δ(Dq(a+M)+Dq(b+M))}
 *       Σ_k R_k w^{M+k} e^{δV_k} (e^{δ(U_k−V_k)} − 1)/δ,
 *
 *   R_k = Π_{j<k} (a+M+j)(b+M+j) / ((1+j)(1+M+j)),
 *   U_k = Dq(1+k, −δ),  V_k = ln w + Dq(a+M+k, δ) + Dq(b+M+k, δ) − Dq(1+M+k, δ),
 *   Dq(x, δ) = (ln Γ(x+δ) − ln Γ(x)) / δ   (→ ψ(x) at δ = 0),
 *
 * which at δ = 0 is exactly the logarithmic formula A&S 15.3.10–12, and is
 * uniformly accurate for |δ| ≤ ½. Dq is computed without subtracting two
 * log-gammas (that would lose everything for tiny δ): shift x above 12 with
 * log1p, then difference the Stirling series term by term with expm1/log1p.
 */
import { expm1OverEpsilon, gammaSign, logGamma } from './special.js';
import { SERIES_TOLERANCE } from './hypergeometric-series.js';

/** Sign of the last value returned by `logConnectionNearInteger`, and its e-folds lost to cancellation. */
export const degenerateState = { sign: 1, cancellation: 0 };

/** B₂ⱼ / (2j(2j−1)), the Stirling series coefficients. */
const STIRLING = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400];
const STIRLING_FROM = 12;
const MAX_PAIRS = 100_000;

/** log1p(δ/x)/δ, continuous at δ = 0. */
function log1pRatioOverDelta(delta: number, x: number): number {
  return delta === 0 ? 1 / x : Math.log1p(delta / x) / delta;
}

/**
 * Dq(x, δ) = (ln|Γ(x+δ)| − ln|Γ(x)|)/δ for |δ| < ½, x and x+δ on the same side of
 * every pole (callers guarantee x + j and x + j + δ keep their sign).
 */
export function logGammaRatioOverDelta(x: number, delta: number): number {
  let shifted = x;
  let acc = 0;
  // ln Γ(x+δ) − ln Γ(x) = [ln Γ(X+δ) − ln Γ(X)] − Σ_{j<N} ln((x+j+δ)/(x+j)), X = x + N.
  while (shifted < STIRLING_FROM) {
    acc -= log1pRatioOverDelta(delta, shifted);
    shifted += 1;
  }
  const l = Math.log1p(delta / shifted);
  // [(X+δ−½)ln(X+δ) − (X−½)ln X − δ]/δ = (X−½)·log1p(δ/X)/δ + ln(X+δ) − 1
  let result = (shifted - 0.5) * log1pRatioOverDelta(delta, shifted) + Math.log(shifted) + l - 1;
  let power = 1 / shifted; // X^{1−2j}
  const inverseSquare = power * power;
  for (let j = 0; j < STIRLING.length; j++) {
    const exponent = -(2 * j + 1); // 1 − 2(j+1)
    // ((X+δ)^{1−2j} − X^{1−2j})/δ = X^{1−2j} · expm1((1−2j)·log1p(δ/X))/δ
    const difference = delta === 0 ? exponent / shifted : Math.expm1(exponent * l) / delta;
    result += STIRLING[j]! * power * difference;
    power *= inverseSquare;
  }
  return acc + result;
}

/**
 * ln|2F1(a, b; c; 1−w)| for 0 < w ≤ ½ when m = c−a−b = M + δ with integer M ≥ 0
 * and |δ| ≤ ½. Sign in degenerateState.sign. NaN if a (or b) + M + k crosses a
 * pole within δ (then the caller uses another route).
 */
export function logConnectionNearInteger(a: number, b: number, c: number, w: number): number {
  const m = c - a - b;
  const M = Math.round(m);
  const delta = m - M;
  if (M < 0 || nearPole(a + M, delta) || nearPole(b + M, delta)) return Number.NaN;
  const lnW = Math.log(w);

  // Finite part (empty when M = 0): regular because (1−m)ₙ has no zero factor for n < M.
  let finite = 0;
  if (M > 0) {
    let term = 1;
    for (let n = 0; n < M; n++) {
      finite += term;
      term *= ((a + n) * (b + n) * w) / ((1 - m + n) * (n + 1));
    }
    const sign = gammaSign(c) * gammaSign(m) * gammaSign(c - a) * gammaSign(c - b);
    finite *= sign * Math.exp(logGamma(c) + logGamma(m) - logGamma(c - a) - logGamma(c - b));
  }

  // Paired part.
  const piDelta = Math.PI * delta;
  const sinc = delta === 0 ? 1 : piDelta / Math.sin(piDelta);
  let dqA = logGammaRatioOverDelta(a + M, delta);
  let dqB = logGammaRatioOverDelta(b + M, delta);
  let dqOneM = logGammaRatioOverDelta(1 + M, delta);
  let dqOne = logGammaRatioOverDelta(1, -delta);
  const prefactor =
    (M % 2 === 0 ? 1 : -1) *
    sinc *
    gammaSign(c) *
    gammaSign(a) *
    gammaSign(b) *
    Math.exp(logGamma(c) - logGamma(a) - logGamma(b) - logGamma(M + 1) - delta * (dqA + dqB) + M * lnW);
  let ratio = 1; // R_k w^k
  let paired = 0;
  let pairedMagnitude = 0;
  let converged = false;
  for (let k = 0; k < MAX_PAIRS && !converged; k++) {
    const v = lnW + dqA + dqB - dqOneM;
    const pair = ratio * Math.exp(delta * v) * expm1OverEpsilon(delta, dqOne - v);
    paired += pair;
    pairedMagnitude += Math.abs(pair);
    const step = ((a + M + k) * (b + M + k) * w) / ((1 + k) * (1 + M + k));
    if (k > Math.max(-a, -b) - M && Math.abs(step) < 1) {
      // Pair magnitudes follow the R_k wᵏ ratio up to a slowly varying log factor.
      const rho = Math.min(1, Math.abs(step) * (1 + 1 / (k + 1)));
      converged = rho < 1 && Math.abs(pair) * rho <= SERIES_TOLERANCE * Math.abs(paired) * (1 - rho);
      if (converged) break;
    }
    ratio *= step;
    converged = ratio === 0;
    dqA += log1pRatioOverDelta(delta, a + M + k);
    dqB += log1pRatioOverDelta(delta, b + M + k);
    dqOneM += log1pRatioOverDelta(delta, 1 + M + k);
    dqOne += log1pRatioOverDelta(-delta, 1 + k);
  }
  if (!converged) return Number.NaN;
  const total = finite + prefactor * paired;
  // e-folds lost to cancellation between and within the two parts.
  const magnitude = Math.max(Math.abs(finite), Math.abs(prefactor) * pairedMagnitude);
  degenerateState.cancellation = Math.log(magnitude / Math.abs(total));
  degenerateState.sign = Math.sign(total);
  return Math.log(Math.abs(total));
}

/** True when some x + j (j ≥ 0) and x + j + δ straddle or touch zero. */
function nearPole(x: number, delta: number): boolean {
  if (x > Math.abs(delta)) return false;
  const distance = Math.abs(x - Math.round(x));
  return distance <= Math.abs(delta) || Number.isInteger(x);
}
