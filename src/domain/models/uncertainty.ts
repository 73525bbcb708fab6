/**
 * How sure a fit is of its parameters, and what that uncertainty does to a
 * customer's predictions.
 *
 * Parameters. The fits maximise the log-likelihood ℓ over log-parameters
 * φ = ln θ. The observed information is the negative Hessian −∇²ℓ(φ̂) at the
 * optimum; its inverse is the asymptotic covariance of φ̂. The Hessian is taken
 * numerically, by second-order central differences of ℓ itself (step h = 10⁻³
 * in every ln θᵢ: about h² ≈ 10⁻⁶ relative truncation, while the rounding of
 * a compensated sum of ℓ, ~10⁻¹² absolute, stays far below h² times the
 * entries), and inverted by a Cholesky factorisation, which also proves it
 * positive definite — a Hessian that is not (a ridge, a boundary optimum) gives
 * no covariance instead of a meaningless one. The standard error of θᵢ is then
 * θᵢ·√Σᵢᵢ (the delta method; at the optimum, where the gradient vanishes, this
 * is exactly what the inverse Hessian in the natural parameters gives).
 *
 * Predictions. A customer's expected purchases or CLV f(θ) gets the delta
 * method: Var[f] ≈ gᵀ Σ g with g = ∂f/∂φ by central differences (step 10⁻⁵),
 * and — f being positive — the 90 % interval on the log scale,
 * f·exp(∓1.645·√Var[f]/f), so it contains f, is never negative and is skewed
 * upwards like the prediction's sampling distribution. It narrows as 1/√n with
 * the number of customers the model was fitted on. Deterministic (no random
 * draws), so replays stay exact.
 */

/** Covariance of a fit's log-parameters (the fit's parameter order). */
export interface ParameterUncertainty {
  readonly logCovariance: readonly (readonly number[])[];
}

/** The two-sided level of every prediction interval. */
export const INTERVAL_LEVEL = 0.9;
/** Standard normal quantile for INTERVAL_LEVEL: Φ⁻¹(0.95). */
const Z = 1.6448536269514722;
const HESSIAN_STEP = 1e-3;
const GRADIENT_STEP = 1e-5;

/** ∇²f at `at` by second-order central differences (step h in every coordinate). */
export function logHessian(f: (phi: Float64Array) => number, at: ArrayLike<number>, step = HESSIAN_STEP): number[][] {
  const n = at.length;
  const base = Float64Array.from(at);
  const probe = Float64Array.from(at);
  const value = (shifts: readonly [number, number][]): number => {
    probe.set(base);
    for (const [i, d] of shifts) probe[i] = probe[i]! + d;
    return f(probe);
  };
  const f0 = value([]);
  const H = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const h = step;
  for (let i = 0; i < n; i++) {
    H[i]![i] = (value([[i, h]]) - 2 * f0 + value([[i, -h]])) / (h * h);
    for (let j = 0; j < i; j++) {
      const e = (value([[i, h], [j, h]]) - value([[i, h], [j, -h]]) - value([[i, -h], [j, h]]) + value([[i, -h], [j, -h]])) / (4 * h * h);
      H[i]![j] = e;
      H[j]![i] = e;
    }
  }
  return H;
}

/** A⁻¹ of a symmetric positive-definite matrix by Cholesky; null when A is not positive definite (or not finite). */
export function invertPositiveDefinite(A: readonly (readonly number[])[]): number[][] | null {
  const n = A.length;
  const L = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    let d = A[j]![j]!;
    for (let k = 0; k < j; k++) d -= L[j]![k]! * L[j]![k]!;
    if (!(d > 0) || !Number.isFinite(d)) return null;
    L[j]![j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let s = A[i]![j]!;
      for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
      L[i]![j] = s / L[j]![j]!;
    }
  }
  // L⁻¹ by forward substitution, then A⁻¹ = L⁻ᵀ L⁻¹.
  const inv = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let c = 0; c < n; c++) {
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= L[i]![k]! * inv[k]![c]!;
      inv[i]![c] = s / L[i]![i]!;
    }
  }
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += inv[k]![i]! * inv[k]![j]!;
      out[i]![j] = s;
      out[j]![i] = s;
    }
  }
  return out.every((row) => row.every(Number.isFinite)) ? out : null;
}

/**
 * The covariance of the log-parameters at the maximum `at` of `logLikelihood`
 * (a total, unpenalised log-likelihood of the log-parameters): (−∇²ℓ)⁻¹, or
 * null when the observed information is not positive definite.
 */
export function logParameterCovariance(logLikelihood: (phi: Float64Array) => number, at: ArrayLike<number>): number[][] | null {
  const H = logHessian(logLikelihood, at);
  return invertPositiveDefinite(H.map((row) => row.map((v) => -v)));
}

/** Standard errors of the natural parameters θ from the covariance of ln θ: θᵢ·√Σᵢᵢ. */
export function standardErrorsOf(params: readonly number[], logCovariance: readonly (readonly number[])[]): number[] {
  return params.map((theta, i) => theta * Math.sqrt(logCovariance[i]![i]!));
}

export interface Interval {
  readonly low: number;
  readonly high: number;
}

/**
 * Var[fₖ(θ)] ≈ gₖᵀ Σ gₖ for each output k of `f`, with gₖ = ∂fₖ / ∂ ln θ by
 * central differences and Σ the covariance of ln θ.
 */
export function deltaVariances(
  f: (params: readonly number[]) => readonly number[],
  params: readonly number[],
  logCovariance: readonly (readonly number[])[],
): number[] {
  const n = params.length;
  const centre = f(params);
  const gradients = centre.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const shifted = (d: number) => f(params.map((v, j) => (j === i ? v * Math.exp(d) : v)));
    const up = shifted(GRADIENT_STEP);
    const down = shifted(-GRADIENT_STEP);
    centre.forEach((_, k) => {
      gradients[k]![i] = (up[k]! - down[k]!) / (2 * GRADIENT_STEP);
    });
  }
  return gradients.map((g) => {
    let v = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) v += g[i]! * logCovariance[i]![j]! * g[j]!;
    return Math.max(0, v);
  });
}

/**
 * The INTERVAL_LEVEL interval of a prediction with (delta-method) variance
 * `variance`: on the log scale for a positive value (Var[ln f] ≈ Var[f]/f²), so
 * it stays positive; symmetric for a value ≤ 0 (a CLV whose costs exceed its
 * margin).
 */
export function predictionInterval(value: number, variance: number): Interval {
  if (!Number.isFinite(variance) || !Number.isFinite(value) || variance <= 0) return { low: value, high: value };
  if (value > 0) {
    const spread = Z * Math.sqrt(variance) / value;
    return { low: value * Math.exp(-spread), high: value * Math.exp(spread) };
  }
  const half = Z * Math.sqrt(variance);
  return { low: value - half, high: value + half };
}
