/**
 * What the model fits share: the typed outcome, the options, and the optimiser
 * strategy (BFGS; if it does not reach the gradient tolerance, Nelder–Mead with
 * restarts from its best point, then BFGS again to polish).
 *
 * Fits minimise the negative *mean* log-likelihood over log-parameters, plus
 * λ·Σ(ln θᵢ)²: the mean keeps the gradient tolerance and λ meaningful whatever
 * the number of customers; log-parameters keep every θ positive without
 * constraints. The penalty shrinks each parameter towards 1 — for α that
 * depends on the time unit, so prefer a small λ (1e−3 or less) or none.
 */
import { minimizeBfgs, type MinimizeResult, type Objective } from './optimize.js';
import { minimizeNelderMead } from './nelder-mead.js';
import { logParameterCovariance, standardErrorsOf } from './uncertainty.js';

export interface FitOptions {
  /** Below this many repeat buyers (weighted), the fit declines: `insufficient-data`. Default 50. */
  readonly minRepeatBuyers?: number;
  /** λ of the penalty λ·Σ(ln θᵢ)² on the mean negative log-likelihood. Default 0. */
  readonly l2Penalty?: number;
  /** Convergence: max |∂/∂ln θ| of the penalised mean negative log-likelihood. Default 1e−9. */
  readonly gradientTolerance?: number;
  readonly maxIterations?: number;
}

export type FitResult<P> =
  | {
      readonly status: 'fitted';
      readonly params: P;
      /** Total (weighted, unpenalised) log-likelihood at params. */
      readonly logLikelihood: number;
      readonly converged: boolean;
      /** Optimiser iterations (BFGS iterations, plus Nelder–Mead evaluations if it was needed). */
      readonly iterations: number;
      readonly evaluations: number;
      /** Final max |gradient| of the penalised mean objective in log-parameters. */
      readonly gradientNorm: number;
      readonly customers: number;
      readonly repeatBuyers: number;
      /** Distinct rows after aggregation of identical observations. */
      readonly distinctRows: number;
      /**
       * Covariance of the log-parameters (uncertainty.ts), in the order the
       * fit optimises them; null when the observed information at the optimum
       * is not positive definite.
       */
      readonly logCovariance: number[][] | null;
      /** Standard errors of the parameters, in the same order; null with logCovariance. */
      readonly standardErrors: number[] | null;
    }
  | {
      readonly status: 'insufficient-data';
      readonly customers: number;
      readonly repeatBuyers: number;
      readonly required: number;
    }
  | { readonly status: 'failed'; readonly reason: string };

export const DEFAULT_MIN_REPEAT_BUYERS = 50;
const DEFAULT_GRADIENT_TOLERANCE = 1e-9;
const DEFAULT_MAX_ITERATIONS = 1000;
const STALLED_GRADIENT = 1e-6;
const NELDER_MEAD_EVALUATIONS_PER_PARAMETER = 500;

export interface OptimisationOutcome extends MinimizeResult {
  readonly usedFallback: boolean;
}

/** Adds λ·Σxᵢ² (x = log-parameters) to a mean negative log-likelihood objective. */
export function penalised(objective: Objective, lambda: number): Objective {
  if (lambda === 0) return objective;
  return (x, gradient) => {
    let f = objective(x, gradient);
    for (let i = 0; i < x.length; i++) {
      f += lambda * x[i]! * x[i]!;
      gradient[i] = gradient[i]! + 2 * lambda * x[i]!;
    }
    return f;
  };
}

/**
 * `valueOnly`, when given, is the objective without its gradient: the simplex
 * fallback needs no gradient, and an objective whose gradient costs several
 * evaluations (finite differences) would otherwise pay for it at every vertex.
 */
export function minimizeRobustly(
  objective: Objective,
  start: Float64Array,
  options: FitOptions,
  valueOnly?: (x: Float64Array) => number,
): OptimisationOutcome {
  const settings = {
    gradientTolerance: options.gradientTolerance ?? DEFAULT_GRADIENT_TOLERANCE,
    maxIterations: options.maxIterations ?? DEFAULT_MAX_ITERATIONS,
  };
  const first = minimizeBfgs(objective, start, settings);
  // Converged, or stalled with a gradient so small that only rounding noise
  // separates it from the tolerance: a simplex search cannot do better there.
  if (first.converged || first.gradientNorm <= STALLED_GRADIENT) return { ...first, usedFallback: false };
  const scratch = new Float64Array(start.length);
  const simplex = minimizeNelderMead(valueOnly ?? ((x) => objective(x, scratch)), Number.isFinite(first.value) ? first.x : start, {
    step: 0.5,
    valueTolerance: 1e-12,
    maxEvaluations: NELDER_MEAD_EVALUATIONS_PER_PARAMETER * start.length,
    maxRestarts: 5,
  });
  const polished = minimizeBfgs(objective, simplex.x, settings);
  const best = [first, polished].reduce((p, q) => (q.value < p.value || !Number.isFinite(p.value) ? q : p));
  return {
    ...best,
    iterations: first.iterations + simplex.evaluations + polished.iterations,
    evaluations: first.evaluations + simplex.evaluations + polished.evaluations,
    usedFallback: true,
  };
}

export function resolveMinRepeatBuyers(options: FitOptions): number {
  return options.minRepeatBuyers ?? DEFAULT_MIN_REPEAT_BUYERS;
}

/**
 * The shared end of both fits: minimise the penalised objective from `start`
 * (natural parameter values in `toParams` order, optimised on their logs),
 * check the result is finite and report it with its diagnostics.
 */
export function fitOnLogParameters<P extends object>(
  objective: Objective,
  start: readonly number[],
  toParams: (logParams: Float64Array) => P,
  logLikelihoodAt: (params: P) => number,
  counts: { readonly customers: number; readonly repeatBuyers: number; readonly distinctRows: number },
  options: FitOptions & { readonly l2Penalty?: number },
  valueOnly?: (logParams: Float64Array) => number,
): FitResult<P> {
  const theta0 = Float64Array.from(start, Math.log);
  const lambda = options.l2Penalty ?? 0;
  const penalisedValue =
    valueOnly === undefined ? undefined : (x: Float64Array): number => valueOnly(x) + lambda * x.reduce((sum, v) => sum + v * v, 0);
  const outcome = minimizeRobustly(penalised(objective, lambda), theta0, options, penalisedValue);
  const params = toParams(outcome.x);
  const logLikelihood = logLikelihoodAt(params);
  if (!Number.isFinite(logLikelihood) || !Object.values(params).every((v) => Number.isFinite(v))) {
    return { status: 'failed', reason: `optimiser ended at a non-finite point (log-likelihood ${logLikelihood})` };
  }
  // The uncertainty of the plain maximum-likelihood estimate: the penalty is a
  // device of the optimiser, not information in the data.
  const logCovariance = logParameterCovariance((phi) => logLikelihoodAt(toParams(phi)), outcome.x);
  return {
    status: 'fitted',
    params,
    logLikelihood,
    converged: outcome.converged,
    iterations: outcome.iterations,
    evaluations: outcome.evaluations,
    gradientNorm: outcome.gradientNorm,
    ...counts,
    logCovariance,
    standardErrors: logCovariance === null ? null : standardErrorsOf(Array.from(outcome.x, Math.exp), logCovariance),
  };
}
