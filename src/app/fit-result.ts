/**
 * The JSON that `clvstream fit` prints and `clvstream score --params` reads:
 *
 *   { "purchase_model": "bgnbd" | "mbgnbd" | "pnbd",   (the one to use; all are fitted)
 *     "bgnbd": { r, alpha, a, b, log_likelihood, standard_errors, covariance_log } | null,
 *     "mbgnbd": { r, alpha, a, b, log_likelihood, standard_errors, covariance_log } | null,
 *     "pnbd": { r, alpha, s, beta, log_likelihood, standard_errors, covariance_log } | null,
 *     "comparison": { bgnbd: {log_likelihood, holdout}, mbgnbd: {...}, pnbd: {...} },
 *     "gamma_gamma": { p, q, v, log_likelihood, standard_errors, covariance_log } | null,
 *     "diagnostics": { customers, repeat_buyers, iterations: {bgnbd, gamma_gamma},
 *                      converged, min_repeat_buyers, l2_penalty, bgnbd: {...},
 *                      gamma_gamma: {...}, warnings, ... } }
 *
 * `standard_errors` has one entry per parameter (null when the information
 * matrix at the optimum is not positive definite); `covariance_log` is the
 * covariance of the log-parameters in the order listed, from which `score` and
 * the customer view derive their prediction intervals (models/uncertainty.ts).
 * `converged` is true when every fitted model reached the gradient tolerance;
 * the per-model objects carry status (fitted, insufficient-data, failed,
 * no-monetary-value), the reason when not fitted, and the optimiser figures.
 */
import { z } from 'zod';
import type { HoldoutError } from '../domain/analytics/holdout.js';
import type { ModelOutcome, PopulationFit } from '../domain/analytics/population-fit.js';
import { snapshotParts, type ModelSnapshot } from '../domain/model-snapshot.js';
import type { FittedUncertainty } from '../domain/analytics/summary-forecast.js';
import {
  PURCHASE_MODEL_KINDS,
  PURCHASE_MODEL_NAMES,
  type BgNbdParams,
  type GammaGammaParams,
  type ParetoNbdParams,
  type PurchaseModel,
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

interface UncertaintyJson<N extends string> {
  standard_errors: Record<N, number> | null;
  covariance_log: number[][] | null;
}
type PurchaseParamsJson = ({ r: number; alpha: number; a: number; b: number; log_likelihood: number } & UncertaintyJson<'r' | 'alpha' | 'a' | 'b'>) | null;
type ParetoParamsJson = ({ r: number; alpha: number; s: number; beta: number; log_likelihood: number } & UncertaintyJson<'r' | 'alpha' | 's' | 'beta'>) | null;
type SpendParamsJson = ({ p: number; q: number; v: number; log_likelihood: number } & UncertaintyJson<'p' | 'q' | 'v'>) | null;

export interface HoldoutErrorJson {
  customers: number;
  actual: number;
  predicted: number;
  relative_error: number | null;
  mean_absolute_error: number;
  root_mean_squared_error: number;
}

export function holdoutErrorJson(e: HoldoutError): HoldoutErrorJson {
  return {
    customers: e.customers,
    actual: e.actual,
    predicted: e.predicted,
    relative_error: e.relativeError,
    mean_absolute_error: e.meanAbsoluteError,
    root_mean_squared_error: e.rootMeanSquaredError,
  };
}

function uncertaintyJson<N extends string>(o: { standardErrors: number[] | null; logCovariance: number[][] | null }, names: readonly N[]): UncertaintyJson<N> {
  const se = o.standardErrors;
  return {
    standard_errors: se === null ? null : (Object.fromEntries(names.map((n, i) => [n, se[i]!])) as Record<N, number>),
    covariance_log: o.logCovariance,
  };
}

function paramsJson<P extends object, N extends string>(o: ModelOutcome<P>, names: readonly N[]): (P & { log_likelihood: number } & UncertaintyJson<N>) | null {
  return o.status === 'fitted' ? { ...o.params, log_likelihood: o.logLikelihood, ...uncertaintyJson(o, names) } : null;
}

export interface FitJson {
  purchase_model: PurchaseModelKind;
  bgnbd: PurchaseParamsJson;
  mbgnbd: PurchaseParamsJson;
  pnbd: ParetoParamsJson;
  /**
   * The purchase models side by side: log-likelihood (higher is better) and, where
   * there was a holdout, its error.
   */
  comparison: Record<PurchaseModelKind, { log_likelihood: number | null; holdout: HoldoutErrorJson | null }>;
  gamma_gamma: SpendParamsJson;
  diagnostics: Record<string, unknown>;
}

const BG_NAMES = ['r', 'alpha', 'a', 'b'] as const;
const PNBD_NAMES = ['r', 'alpha', 's', 'beta'] as const;
const GG_NAMES = ['p', 'q', 'v'] as const;

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
  const compare = (o: ModelOutcome<BgNbdParams> | ModelOutcome<ParetoNbdParams>, kind: PurchaseModelKind) => {
    const h = holdout[kind];
    return { log_likelihood: o.status === 'fitted' ? o.logLikelihood : null, holdout: h === undefined ? null : holdoutErrorJson(h) };
  };
  return {
    purchase_model: fit.purchaseModel,
    bgnbd: paramsJson(bg, BG_NAMES),
    mbgnbd: paramsJson(mbg, BG_NAMES),
    pnbd: paramsJson(pnbd, PNBD_NAMES),
    comparison: { bgnbd: compare(bg, 'bgnbd'), mbgnbd: compare(mbg, 'mbgnbd'), pnbd: compare(pnbd, 'pnbd') },
    gamma_gamma: paramsJson(gg, GG_NAMES),
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
/** An n×n covariance of log-parameters, as `fit` prints it. */
const covarianceLog = (n: number) => z.array(z.array(z.number().finite()).length(n)).length(n).nullable().optional();

const purchaseParams = (name: string) =>
  z.object({ r: positive, alpha: positive, a: positive, b: positive, covariance_log: covarianceLog(4) }, { message: `${name} parameters r, alpha, a, b (positive numbers)` });
const paretoParams = z.object({ r: positive, alpha: positive, s: positive, beta: positive, covariance_log: covarianceLog(4) }, { message: 'Pareto/NBD parameters r, alpha, s, beta (positive numbers)' });
const spendParams = z.object({ p: positive, q: positive, v: positive, covariance_log: covarianceLog(3) });
const purchaseModelKind = z.enum(PURCHASE_MODEL_KINDS as [PurchaseModelKind, ...PurchaseModelKind[]]).default('bgnbd');

const paramsSchema = z.object({
  purchase_model: purchaseModelKind,
  bgnbd: purchaseParams('BG/NBD').nullable().optional(),
  mbgnbd: purchaseParams('modified BG/NBD').nullable().optional(),
  pnbd: paretoParams.nullable().optional(),
  gamma_gamma: spendParams.nullable().optional(),
});

export interface ModelParams {
  /** The purchase model the file chooses (its `purchase_model`) with its parameters. */
  readonly purchase: PurchaseModel;
  readonly gammaGamma: GammaGammaParams | null;
  /** Covariances of the log-parameters, when the file has them (prediction intervals). */
  readonly uncertainty: FittedUncertainty;
}

type ParsedParams = z.infer<typeof paramsSchema>;

/** The chosen purchase model of a parsed fit JSON, or null when its parameters are missing. */
function chosenOf(data: Pick<ParsedParams, 'purchase_model' | 'bgnbd' | 'mbgnbd' | 'pnbd'>): { model: PurchaseModel; covariance: number[][] | null } | null {
  if (data.purchase_model === 'pnbd') {
    const p = data.pnbd;
    return p === null || p === undefined ? null : { model: { kind: 'pnbd', params: { r: p.r, alpha: p.alpha, s: p.s, beta: p.beta } }, covariance: p.covariance_log ?? null };
  }
  const b = data.purchase_model === 'mbgnbd' ? data.mbgnbd : data.bgnbd;
  return b === null || b === undefined
    ? null
    : { model: { kind: data.purchase_model, params: { r: b.r, alpha: b.alpha, a: b.a, b: b.b } }, covariance: b.covariance_log ?? null };
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
  const chosen = chosenOf(parsed.data);
  if (chosen === null) {
    throw new Error(`${fileName}: not the output of \`clvstream fit\` with a fitted ${PURCHASE_MODEL_NAMES[purchase_model]}: ${purchase_model}: no parameters`);
  }
  return {
    purchase: chosen.model,
    gammaGamma: gamma_gamma ? { p: gamma_gamma.p, q: gamma_gamma.q, v: gamma_gamma.v } : null,
    uncertainty: { purchase: chosen.covariance, gammaGamma: gamma_gamma?.covariance_log ?? null },
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
  purchase_model: purchaseModelKind,
  bgnbd: purchaseParams('BG/NBD').nullable().optional(),
  mbgnbd: purchaseParams('modified BG/NBD').nullable().optional(),
  pnbd: paretoParams.nullable().optional(),
  gamma_gamma: spendParams.nullable().optional(),
  cut_points: z.object({ recency: cutPointsSchema, frequency: cutPointsSchema, monetary: cutPointsSchema }).nullable().optional(),
});

/**
 * A model file (the JSON `fit --events` or `fit --state` prints) as the
 * ModelSnapshot the service would use for that version: the chosen purchase
 * model's parameters and covariance, the Gamma-Gamma when q > 1 (as
 * `fit --state` publishes), the cut points. Its money unit must be minor units
 * of `currency`.
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
  const chosen = chosenOf(m);
  if (chosen === null) throw new Error(`${fileName}: purchase_model is ${m.purchase_model} but its parameters are missing (not fitted)`);
  const gg = m.gamma_gamma ?? null;
  const gammaGamma = gg !== null && gg.q > 1 ? { p: gg.p, q: gg.q, v: gg.v } : null;
  return {
    ...snapshotParts(chosen.model),
    version: m.version,
    gammaGamma,
    cutPoints: m.cut_points ?? null,
    uncertainty: { purchase: chosen.covariance, gammaGamma: gammaGamma === null ? null : (gg?.covariance_log ?? null) },
  };
}
