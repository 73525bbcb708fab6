/**
 * The JSON that `clvstream fit` prints and `clvstream score --params` reads:
 *
 *   { "purchase_model": "bgnbd" | "mbgnbd",   (the one to use; both are fitted)
 *     "bgnbd": { r, alpha, a, b, log_likelihood } | null,
 *     "mbgnbd": { r, alpha, a, b, log_likelihood } | null,
 *     "pnbd": { r, alpha, s, beta, log_likelihood } | null,   (Pareto/NBD, for comparison)
 *     "comparison": { bgnbd: {log_likelihood, holdout}, mbgnbd: {...}, pnbd: {log_likelihood, holdout: null} },
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
import type { HoldoutError } from '../domain/analytics/holdout.js';
import type { ModelOutcome, PopulationFit } from '../domain/analytics/population-fit.js';
import type { ModelSnapshot } from '../domain/model-snapshot.js';
import {
  PURCHASE_MODEL_KINDS,
  type BgNbdParams,
  type GammaGammaParams,
  type ParetoNbdParams,
  type PurchaseModelKind,
} from '../domain/models/index.js';

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

type PurchaseParamsJson = { r: number; alpha: number; a: number; b: number; log_likelihood: number } | null;

export interface HoldoutErrorJson {
  customers: number;
  actual: number;
  predicted: number;
  relative_error: number | null;
  mean_absolute_error: number;
}

export function holdoutErrorJson(e: HoldoutError): HoldoutErrorJson {
  return { customers: e.customers, actual: e.actual, predicted: e.predicted, relative_error: e.relativeError, mean_absolute_error: e.meanAbsoluteError };
}

export interface FitJson {
  purchase_model: PurchaseModelKind;
  bgnbd: PurchaseParamsJson;
  mbgnbd: PurchaseParamsJson;
  pnbd: { r: number; alpha: number; s: number; beta: number; log_likelihood: number } | null;
  /**
   * The purchase models side by side: log-likelihood (higher is better) and, where
   * there was a holdout, its error (not yet computed for the Pareto/NBD: null).
   */
  comparison: Record<PurchaseModelKind | 'pnbd', { log_likelihood: number | null; holdout: HoldoutErrorJson | null }>;
  gamma_gamma: { p: number; q: number; v: number; log_likelihood: number } | null;
  diagnostics: Record<string, unknown>;
}

const purchaseJson = (o: ModelOutcome<BgNbdParams>): PurchaseParamsJson => (o.status === 'fitted' ? { ...o.params, log_likelihood: o.logLikelihood } : null);

export function fitJson(
  fit: PopulationFit,
  extra: Record<string, unknown> = {},
  holdout: Partial<Record<PurchaseModelKind, HoldoutError>> = {},
): FitJson {
  const bg = fit.bgnbd;
  const mbg = fit.mbgnbd;
  const pnbd = fit.pnbd;
  const gg = fit.gammaGamma;
  const fitted = [bg, mbg, pnbd, gg].filter((o) => o.status === 'fitted');
  const compare = (o: ModelOutcome<BgNbdParams> | ModelOutcome<ParetoNbdParams>, kind: PurchaseModelKind | 'pnbd') => {
    const h = kind === 'pnbd' ? undefined : holdout[kind];
    return { log_likelihood: o.status === 'fitted' ? o.logLikelihood : null, holdout: h === undefined ? null : holdoutErrorJson(h) };
  };
  return {
    purchase_model: fit.purchaseModel,
    bgnbd: purchaseJson(bg),
    mbgnbd: purchaseJson(mbg),
    pnbd: pnbd.status === 'fitted' ? { ...pnbd.params, log_likelihood: pnbd.logLikelihood } : null,
    comparison: { bgnbd: compare(bg, 'bgnbd'), mbgnbd: compare(mbg, 'mbgnbd'), pnbd: compare(pnbd, 'pnbd') },
    gamma_gamma: gg.status === 'fitted' ? { ...gg.params, log_likelihood: gg.logLikelihood } : null,
    diagnostics: {
      customers: fit.customers,
      repeat_buyers: fit.repeatBuyers,
      iterations: {
        bgnbd: bg.status === 'fitted' ? bg.iterations : null,
        mbgnbd: mbg.status === 'fitted' ? mbg.iterations : null,
        pnbd: pnbd.status === 'fitted' ? pnbd.iterations : null,
        gamma_gamma: gg.status === 'fitted' ? gg.iterations : null,
      },
      converged: fitted.length > 0 && fitted.every((o) => o.status === 'fitted' && o.converged),
      min_repeat_buyers: fit.minRepeatBuyers,
      l2_penalty: fit.l2Penalty,
      ...extra,
      bgnbd: modelDiagnostics(bg),
      mbgnbd: modelDiagnostics(mbg),
      pnbd: modelDiagnostics(pnbd),
      gamma_gamma: modelDiagnostics(gg),
      warnings: fit.warnings,
    },
  };
}

const positive = z.number().positive().finite();

const purchaseParams = (name: string) => z.object({ r: positive, alpha: positive, a: positive, b: positive }, { message: `${name} parameters r, alpha, a, b (positive numbers)` });

const paramsSchema = z.object({
  purchase_model: z.enum(['bgnbd', 'mbgnbd']).default('bgnbd'),
  bgnbd: purchaseParams('BG/NBD').nullable().optional(),
  mbgnbd: purchaseParams('modified BG/NBD').nullable().optional(),
  gamma_gamma: z.object({ p: positive, q: positive, v: positive }).nullable().optional(),
});

export interface ModelParams {
  /** Which model `bgnbd` holds the parameters of (the file's `purchase_model`). */
  readonly purchaseModel: PurchaseModelKind;
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
  const { purchase_model, gamma_gamma } = parsed.data;
  const chosen = purchase_model === 'mbgnbd' ? parsed.data.mbgnbd : parsed.data.bgnbd;
  if (chosen === null || chosen === undefined) {
    throw new Error(`${fileName}: not the output of \`clvstream fit\` with a fitted ${purchase_model === 'mbgnbd' ? 'modified BG/NBD' : 'BG/NBD'}: ${purchase_model}: no parameters`);
  }
  return {
    purchaseModel: purchase_model,
    bgnbd: { r: chosen.r, alpha: chosen.alpha, a: chosen.a, b: chosen.b },
    gammaGamma: gamma_gamma ? { p: gamma_gamma.p, q: gamma_gamma.q, v: gamma_gamma.v } : null,
  };
}

const cutPointsSchema = z
  .array(z.number().finite().nonnegative())
  .length(4)
  .refine((a) => a.every((v, i) => i === 0 || v >= a[i - 1]!), { message: 'four non-decreasing numbers' });

const modelFileSchema = z.object({
  version: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, { message: '1–64 of A–Z a–z 0–9 . _ : -' }),
  time_unit: z.literal('days', { message: 'must be "days": a model for the streaming model is fitted on days (fit --events or fit --state), not on a summary file in its own units' }),
  money_unit: z.string(),
  purchase_model: z.enum(PURCHASE_MODEL_KINDS as [PurchaseModelKind, ...PurchaseModelKind[]]).default('bgnbd'),
  bgnbd: z.object({ r: positive, alpha: positive, a: positive, b: positive }).nullable().optional(),
  mbgnbd: z.object({ r: positive, alpha: positive, a: positive, b: positive }).nullable().optional(),
  gamma_gamma: z.object({ p: positive, q: positive, v: positive }).nullable().optional(),
  cut_points: z.object({ recency: cutPointsSchema, frequency: cutPointsSchema, monetary: cutPointsSchema }).nullable().optional(),
});

/**
 * A model file (the JSON `fit --events` or `fit --state` prints) as the
 * ModelSnapshot the service would use for that version: the chosen purchase
 * model's parameters, the Gamma-Gamma when q > 1 (as `fit --state` publishes),
 * the cut points. Its money unit must be minor units of `currency`.
 */
export function parseModelFile(text: string, fileName: string, currency: string): ModelSnapshot {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${fileName}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = modelFileSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${fileName}: not a model file of \`clvstream fit --events\` or \`fit --state\`: ${issues}`);
  }
  const m = parsed.data;
  if (m.money_unit !== `${currency} minor units`) {
    throw new Error(`${fileName}: money unit "${m.money_unit}", but BASE_CURRENCY is ${currency}: expected "${currency} minor units"`);
  }
  const params = m.purchase_model === 'mbgnbd' ? m.mbgnbd : m.bgnbd;
  if (params === null || params === undefined) throw new Error(`${fileName}: purchase_model is ${m.purchase_model} but its parameters are missing (not fitted)`);
  const gg = m.gamma_gamma ?? null;
  return {
    version: m.version,
    purchaseModel: m.purchase_model,
    bgnbd: { r: params.r, alpha: params.alpha, a: params.a, b: params.b },
    gammaGamma: gg !== null && gg.q > 1 ? { p: gg.p, q: gg.q, v: gg.v } : null,
    cutPoints: m.cut_points ?? null,
  };
}
