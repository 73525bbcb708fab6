/**
 * Small unconstrained minimisers for maximum likelihood on log-parameters
 * (3–4 dimensions): BFGS with an Armijo backtracking line search for the work,
 * Nelder–Mead with restarts as the fallback that needs no gradient and cannot be
 * misled by a bad one. No npm optimiser is both maintained and typed (fmin,
 * optimization-js, numeric are abandoned), and 150 lines are easy to review.
 *
 * The objective returns f(x) and writes ∇f(x) into `gradient`; a non-finite f
 * means "outside the domain" and makes the line search step back.
 */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface MinimizeOptions {
  /** Stop when max |∂f/∂xᵢ| is below this (the convergence criterion). */
  readonly gradientTolerance: number;
  readonly maxIterations: number;
}

export interface MinimizeResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly gradientNorm: number;
  readonly iterations: number;
  readonly evaluations: number;
  readonly converged: boolean;
}

const ARMIJO = 1e-4;
const MAX_BACKTRACKS = 60;
/**
 * Near the optimum f stops decreasing measurably (a sum over 10⁵ rows is only
 * good to ~1e−13 relative) while the gradient is still well above tolerance.
 * There a step is also accepted when f did not rise beyond this relative noise
 * and the slope along the step shrank (Hager & Zhang's approximate Wolfe
 * conditions): the gradient, accurate to the end, then drives convergence.
 */
const VALUE_NOISE = 1e-10;
const APPROXIMATE_WOLFE_UPPER = 0.8; // (2δ − 1) with δ = 0.1, as a fraction of |slope|
const APPROXIMATE_WOLFE_LOWER = 0.9; // σ

function dot(u: Float64Array, v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < u.length; i++) s += u[i]! * v[i]!;
  return s;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (const e of v) m = Math.max(m, Math.abs(e));
  return Number.isNaN(dot(v, v)) ? Number.POSITIVE_INFINITY : m;
}

function identity(n: number): Float64Array[] {
  return Array.from({ length: n }, (_, i) => {
    const row = new Float64Array(n);
    row[i] = 1;
    return row;
  });
}

/** BFGS on the inverse Hessian; resets to steepest descent when a step fails. */
export function minimizeBfgs(objective: Objective, start: Float64Array, options: MinimizeOptions): MinimizeResult {
  const n = start.length;
  let x = Float64Array.from(start);
  let g = new Float64Array(n);
  let f = objective(x, g);
  let evaluations = 1;
  let H = identity(n);
  let fresh = true; // H is the identity: a failed line search then means we are stuck
  const d = new Float64Array(n);
  let iterations = 0;
  for (; iterations < options.maxIterations && Number.isFinite(f); iterations++) {
    if (maxAbs(g) <= options.gradientTolerance) break;
    for (let i = 0; i < n; i++) d[i] = -dot(H[i]!, g);
    let slope = dot(g, d);
    if (!(slope < 0)) {
      H = identity(n);
      fresh = true;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      slope = dot(g, d);
    }
    // The first step of steepest descent is capped at 1 in the largest coordinate.
    let step = fresh ? Math.min(1, 1 / maxAbs(d)) : 1;
    const xNew = new Float64Array(n);
    const gNew = new Float64Array(n);
    let fNew = Number.NaN;
    let accepted = false;
    for (let k = 0; k < MAX_BACKTRACKS; k++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!;
      fNew = objective(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= f + ARMIJO * step * slope) {
        accepted = true;
        break;
      }
      if (Number.isFinite(fNew) && fNew <= f + VALUE_NOISE * (1 + Math.abs(f))) {
        const slopeNew = dot(gNew, d);
        if (slopeNew <= -APPROXIMATE_WOLFE_UPPER * slope && slopeNew >= APPROXIMATE_WOLFE_LOWER * slope) {
          accepted = true;
          break;
        }
      }
      // Minimum of the quadratic through f, the slope and fNew, kept within [0.1, 0.5]·step.
      const quadratic = Number.isFinite(fNew) ? (-slope * step * step) / (2 * (fNew - f - slope * step)) : 0;
      step = Math.min(0.5 * step, Math.max(0.1 * step, quadratic));
    }
    if (!accepted) {
      if (fresh) break;
      H = identity(n);
      fresh = true;
      continue;
    }
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (fresh) H = identity(n).map((row) => row.map((v) => (v * sy) / dot(y, y)));
      H = bfgsUpdate(H, s, y, sy);
      fresh = false;
    }
    x = xNew;
    g = gNew;
    f = fNew;
  }
  return { x, value: f, gradientNorm: maxAbs(g), iterations, evaluations, converged: maxAbs(g) <= options.gradientTolerance };
}

/** H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, ρ = 1/(sᵀy). */
function bfgsUpdate(H: Float64Array[], s: Float64Array, y: Float64Array, sy: number): Float64Array[] {
  const rho = 1 / sy;
  const Hy = H.map((row) => dot(row, y));
  const yHy = dot(y, Float64Array.from(Hy));
  return H.map((row, i) =>
    row.map((v, j) => v - rho * (Hy[i]! * s[j]! + s[i]! * Hy[j]!) + (rho * rho * yHy + rho) * s[i]! * s[j]!),
  );
}
