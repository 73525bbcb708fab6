/**
 * Nelder–Mead simplex minimiser with restarts: the gradient-free fallback of
 * the maximum-likelihood fits. A simplex can collapse onto a subspace and stall
 * away from the optimum, so after it converges we rebuild a full-size simplex
 * around the best point and run again, until a restart no longer improves.
 */
export interface NelderMeadOptions {
  /** Initial simplex edge along each coordinate. */
  readonly step: number;
  /** Converged when the spread of f over the simplex is below this. */
  readonly valueTolerance: number;
  readonly maxEvaluations: number;
  readonly maxRestarts: number;
}

export interface NelderMeadResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly evaluations: number;
  readonly converged: boolean;
}

type Scalar = (x: Float64Array) => number;

/** +Infinity instead of NaN so comparisons order the vertices sensibly. */
function safe(f: Scalar, x: Float64Array): number {
  const v = f(x);
  return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
}

function run(f: Scalar, start: Float64Array, options: NelderMeadOptions, budget: number): NelderMeadResult {
  const n = start.length;
  const points: Float64Array[] = [Float64Array.from(start)];
  for (let i = 0; i < n; i++) {
    const p = Float64Array.from(start);
    p[i] = p[i]! + options.step;
    points.push(p);
  }
  const values = points.map((p) => safe(f, p));
  let evaluations = n + 1;
  const order = (): void => {
    const idx = values.map((_, i) => i).sort((i, j) => values[i]! - values[j]!);
    const p = idx.map((i) => points[i]!);
    const v = idx.map((i) => values[i]!);
    points.splice(0, n + 1, ...p);
    values.splice(0, n + 1, ...v);
  };
  const along = (from: Float64Array, to: Float64Array, t: number): Float64Array =>
    from.map((fi, i) => fi + t * (to[i]! - fi));
  let converged = false;
  while (evaluations < budget) {
    order();
    if (Math.abs(values[n]! - values[0]!) <= options.valueTolerance * (1 + Math.abs(values[0]!))) {
      converged = true;
      break;
    }
    const centroid = new Float64Array(n);
    for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) centroid[i] = centroid[i]! + points[k]![i]! / n;
    const worst = points[n]!;
    const reflected = along(worst, centroid, 2);
    const fr = safe(f, reflected);
    evaluations++;
    if (fr < values[0]!) {
      const expanded = along(worst, centroid, 3);
      const fe = safe(f, expanded);
      evaluations++;
      [points[n], values[n]] = fe < fr ? [expanded, fe] : [reflected, fr];
    } else if (fr < values[n - 1]!) {
      [points[n], values[n]] = [reflected, fr];
    } else {
      const outside = fr < values[n]!;
      const contracted = along(worst, centroid, outside ? 1.5 : 0.5);
      const fc = safe(f, contracted);
      evaluations++;
      if (fc < Math.min(fr, values[n]!)) {
        [points[n], values[n]] = [contracted, fc];
      } else {
        for (let k = 1; k <= n; k++) {
          points[k] = along(points[0]!, points[k]!, 0.5);
          values[k] = safe(f, points[k]!);
        }
        evaluations += n;
      }
    }
  }
  order();
  return { x: points[0]!, value: values[0]!, evaluations, converged };
}

export function minimizeNelderMead(f: Scalar, start: Float64Array, options: NelderMeadOptions): NelderMeadResult {
  let best = run(f, start, options, options.maxEvaluations);
  let evaluations = best.evaluations;
  for (let restart = 0; restart < options.maxRestarts && evaluations < options.maxEvaluations; restart++) {
    const again = run(f, best.x, options, options.maxEvaluations - evaluations);
    evaluations += again.evaluations;
    const improved = again.value < best.value - options.valueTolerance * (1 + Math.abs(best.value));
    if (again.value <= best.value) best = again;
    if (!improved) break;
  }
  return { ...best, evaluations };
}
