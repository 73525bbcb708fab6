/**
 * The JSON that `clvstream fit` prints and `clvstream score --params` reads:
 *
 *   { "bgnbd": { r, alpha, a, b, log_likelihood } | null,
 *     "gamma_gamma": { p, q, v, log_likelihood } | null,
 *     "diagnostics": { customers, repeat_buyers, iterations: {bgnbd, gamma_gamma},
 *                      converged, min_repeat_buyers, l2_penalty, bgnbd: {...},
 *                      gamma_gamma: {...}, warnings, ... } }
 *
 * `converged` is true when every fitted model reached the gradient tolerance;
 * the per-model objects carry status (fitted, insufficient-data, failed,
 * no-monetary-value), the reason when not fitted, and the optimiser figures.
 */
import { z } from 'zod';
import type { ModelOutcome, PopulationFit } from '../domain/analytics/population-fit.js';
import type { BgNbdParams, GammaGammaParams } from '../domain/models/index.js';

function modelDiagnostics<P>(o: ModelOutcome<P>): Record<string, unknown> {
  if (o.status !== 'fitted') return { status: o.status, reason: o.reason };
  return {
    status: o.status,
    customers: o.customers,
    converged: o.converged,
    iterations: o.iterations,
    evaluations: o.evaluations,
    gradient_norm: o.gradientNorm,
    distinct_rows: o.distinctRows,
  };
}

export interface FitJson {
  bgnbd: { r: number; alpha: number; a: number; b: number; log_likelihood: number } | null;
  gamma_gamma: { p: number; q: number; v: number; log_likelihood: number } | null;
  diagnostics: Record<string, unknown>;
}

export function fitJson(fit: PopulationFit, extra: Record<string, unknown> = {}): FitJson {
  const bg = fit.bgnbd;
  const gg = fit.gammaGamma;
  const fitted = [bg, gg].filter((o) => o.status === 'fitted');
  return {
    bgnbd: bg.status === 'fitted' ? { ...bg.params, log_likelihood: bg.logLikelihood } : null,
    gamma_gamma: gg.status === 'fitted' ? { ...gg.params, log_likelihood: gg.logLikelihood } : null,
    diagnostics: {
      customers: fit.customers,
      repeat_buyers: fit.repeatBuyers,
      iterations: {
        bgnbd: bg.status === 'fitted' ? bg.iterations : null,
        gamma_gamma: gg.status === 'fitted' ? gg.iterations : null,
      },
      converged: fitted.length > 0 && fitted.every((o) => o.status === 'fitted' && o.converged),
      min_repeat_buyers: fit.minRepeatBuyers,
      l2_penalty: fit.l2Penalty,
      ...extra,
      bgnbd: modelDiagnostics(bg),
      gamma_gamma: modelDiagnostics(gg),
      warnings: fit.warnings,
    },
  };
}

const positive = z.number().positive().finite();

const paramsSchema = z.object({
  bgnbd: z.object({ r: positive, alpha: positive, a: positive, b: positive }, { message: 'BG/NBD parameters r, alpha, a, b (positive numbers)' }),
  gamma_gamma: z.object({ p: positive, q: positive, v: positive }).nullable().optional(),
});

export interface ModelParams {
  readonly bgnbd: BgNbdParams;
  readonly gammaGamma: GammaGammaParams | null;
}

/** Reads the JSON printed by `fit` (extra fields are ignored); throws an Error naming the problem. */
export function parseParams(text: string, fileName: string): ModelParams {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${fileName}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = paramsSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${fileName}: not the output of \`clvstream fit\` with a fitted BG/NBD: ${issues}`);
  }
  const { bgnbd, gamma_gamma } = parsed.data;
  return {
    bgnbd: { r: bgnbd.r, alpha: bgnbd.alpha, a: bgnbd.a, b: bgnbd.b },
    gammaGamma: gamma_gamma ? { p: gamma_gamma.p, q: gamma_gamma.q, v: gamma_gamma.v } : null,
  };
}
