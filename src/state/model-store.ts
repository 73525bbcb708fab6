/**
 * ModelStore: the fitted population model in Redis. `clvstream fit --state`
 * publishes a version (parameters, RFM cut points and fit diagnostics) and moves
 * the "current" pointer to it in one script; running processors poll the cheap
 * `currentVersion()` (one GET) and load the snapshot with `current()` when it
 * changed, so a new model takes effect without a restart.
 *
 * A version may also keep the back-test comparison of the purchase models
 * (`fit --state --backtest-events`): the console charts it from GET /model.
 *
 * Versions are immutable and kept (a few hundred bytes each; a back-test adds
 * a few kilobytes). Every model key
 * shares the `{model}` hash tag (keys.ts), so the publish is atomic on Redis
 * Cluster too. Parameters are in days and base-currency minor units, like
 * `ModelSnapshot`; the diagnostics name the currency.
 */
import { z } from 'zod';
import type { ModelSnapshot } from '../domain/model-snapshot.js';
import { StateError, wrapRedisError } from './errors.js';
import { KeySpace, MODEL_VERSION_PATTERN, assertModelVersion } from './keys.js';
import { runScript } from './scripts.js';
import type { RedisClient } from './store.js';

export const MODEL_FORMAT = '1';

/** Fields of a version hash. */
export const MODEL_FIELDS = {
  format: 'format',
  snapshot: 'snapshot',
  diagnostics: 'diagnostics',
  fittedAt: 'fitted_at',
  asOf: 'as_of',
  /** Optional: the back-test comparison (BacktestComparisonJson), JSON. */
  backtest: 'backtest',
} as const;

export interface ModelDiagnostics {
  /** ISO-8601 time of the fit. */
  readonly fittedAt: string;
  /** The day (YYYY-MM-DD) the customer summaries were taken at. */
  readonly asOf: string;
  /** Customers in the fit and, of them, repeat buyers. */
  readonly customers: number;
  readonly repeatBuyers: number;
  /** The published purchase model's log-likelihood (BG/NBD, modified BG/NBD or Pareto/NBD; times in days), optimiser iterations and convergence. */
  readonly logLikelihood: number;
  readonly iterations: number;
  readonly converged: boolean;
  /** Money unit of zbar, v and the monetary cut points: minor units of this currency. */
  readonly currency: string;
  /** Anything else worth keeping with the version (JSON). */
  readonly details?: Record<string, unknown>;
}

export interface PublishedModel {
  readonly snapshot: ModelSnapshot;
  readonly fittedAt: string;
  readonly asOf: string;
  readonly diagnostics: ModelDiagnostics;
  /** The back-test published with the version; null (or absent) when there was none. */
  readonly backtest?: BacktestComparisonJson | null;
}

const purchaseKind = z.enum(['bgnbd', 'mbgnbd', 'pnbd']);
const count = z.number().nonnegative();

/**
 * The purchase models side by side on one calibration/holdout split (`backtest`):
 * per model its error measures, its table per calibration frequency (the last
 * group is the total) and the cohort's cumulative purchases week by week.
 */
export const backtestComparisonSchema = z.object({
  calibration_end: z.iso.date(),
  holdout_end: z.iso.date(),
  holdout_days: z.number().int().positive(),
  cohort: count,
  /** The purchase model the version publishes (null outside a publish). */
  chosen: purchaseKind.nullable(),
  /** The smallest mean absolute holdout error per customer. */
  best: purchaseKind.nullable(),
  models: z
    .array(
      z.object({
        model: purchaseKind,
        holdout: z.object({
          customers: count,
          actual: count,
          predicted: count,
          relative_error: z.number().nullable(),
          mean_absolute_error: count,
          root_mean_squared_error: count,
        }),
        groups: z.array(z.object({ label: z.string(), customers: count, actual: count, predicted: count })),
        tracking: z.array(z.object({ t: z.number().int().positive(), actual: count, predicted: count })),
      }),
    )
    .max(3),
});

export type BacktestComparisonJson = z.infer<typeof backtestComparisonSchema>;

const positive = z.number().positive().finite();
const cuts = z
  .array(z.number().finite())
  .length(4)
  .refine((a) => a.every((v, i) => i === 0 || v >= a[i - 1]!), { message: 'cut points must be non-decreasing' });

/** A symmetric n×n covariance with a positive diagonal. */
function covariance(n: number) {
  return z
    .array(z.array(z.number().finite()).length(n))
    .length(n)
    .refine((m) => m.every((row, i) => row[i]! > 0 && row.every((v, j) => v === m[j]![i])), { message: 'a symmetric covariance with a positive diagonal' });
}

const snapshotSchema = z
  .object({
  version: z.string().regex(MODEL_VERSION_PATTERN),
  // Absent in every version published before the modified BG/NBD: those are BG/NBD.
  purchaseModel: purchaseKind.optional(),
  bgnbd: z.object({ r: positive, alpha: positive, a: positive, b: positive }).nullable(),
  pnbd: z.object({ r: positive, alpha: positive, s: positive, beta: positive }).nullable().optional(),
  uncertainty: z.object({ purchase: covariance(4).nullable(), gammaGamma: covariance(3).nullable() }).optional(),
  gammaGamma: z.object({ p: positive, q: positive, v: positive }).nullable(),
  cutPoints: z.object({ recency: cuts, frequency: cuts, monetary: cuts }).nullable(),
  })
  .refine((s) => s.purchaseModel !== 'pnbd' || (s.pnbd !== null && s.pnbd !== undefined), { message: 'purchaseModel pnbd needs its parameters in pnbd', path: ['pnbd'] });

const diagnosticsSchema = z.object({
  fittedAt: z.iso.datetime({ offset: true }),
  asOf: z.iso.date(),
  customers: z.number().nonnegative(),
  repeatBuyers: z.number().nonnegative(),
  logLikelihood: z.number().finite(),
  iterations: z.number().int().nonnegative(),
  converged: z.boolean(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  details: z.record(z.string(), z.unknown()).optional(),
});

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

export class ModelStore {
  constructor(
    readonly redis: RedisClient,
    readonly keys: KeySpace = new KeySpace(),
  ) {}

  /**
   * Stores `snapshot` under `snapshot.version` and makes it current, atomically.
   * Refuses (BAD_ARGUMENTS, nothing written) an invalid snapshot or a version
   * name that was published before.
   */
  async publish(snapshot: ModelSnapshot, diagnostics: ModelDiagnostics, backtest: BacktestComparisonJson | null = null): Promise<void> {
    assertModelVersion(snapshot.version);
    const s = snapshotSchema.safeParse(snapshot);
    if (!s.success) throw new StateError('BAD_ARGUMENTS', `model snapshot ${snapshot.version}: ${describeIssues(s.error)}`);
    const d = diagnosticsSchema.safeParse(diagnostics);
    if (!d.success) throw new StateError('BAD_ARGUMENTS', `model diagnostics of ${snapshot.version}: ${describeIssues(d.error)}`);
    if (backtest !== null) {
      const b = backtestComparisonSchema.safeParse(backtest);
      if (!b.success) throw new StateError('BAD_ARGUMENTS', `back-test of ${snapshot.version}: ${describeIssues(b.error)}`);
    }
    const fittedAtMs = Date.parse(diagnostics.fittedAt);
    const fields = [
      MODEL_FIELDS.format,
      MODEL_FORMAT,
      MODEL_FIELDS.snapshot,
      JSON.stringify(snapshot),
      MODEL_FIELDS.diagnostics,
      JSON.stringify(diagnostics),
      MODEL_FIELDS.fittedAt,
      diagnostics.fittedAt,
      MODEL_FIELDS.asOf,
      diagnostics.asOf,
      ...(backtest === null ? [] : [MODEL_FIELDS.backtest, JSON.stringify(backtest)]),
    ];
    const { current, versions } = this.keys.modelKeys();
    await runScript(this.redis, 'model-publish', [current, this.keys.modelVersion(snapshot.version), versions], [snapshot.version, String(fittedAtMs), ...fields], {
      partition: -1,
      target: 'the model keys',
    });
  }

  /** The current version's name (one GET), or null before the first publish. */
  async currentVersion(): Promise<string | null> {
    try {
      return await this.redis.get(this.keys.modelCurrent());
    } catch (err) {
      throw wrapRedisError(err, 'reading the current model version');
    }
  }

  /** The current model, or null before the first publish. */
  async current(): Promise<PublishedModel | null> {
    const version = await this.currentVersion();
    if (version === null) return null;
    const model = await this.get(version);
    // Versions are never deleted by clvstream: a dangling pointer is damage, not a race.
    if (model === null) throw new StateError('CODEC_CORRUPT', `the current model version '${version}' has no stored version hash`);
    return model;
  }

  /** A published version, or null when there is none of that name. */
  async get(version: string): Promise<PublishedModel | null> {
    const key = this.keys.modelVersion(version);
    let hash: Record<string, string>;
    try {
      hash = await this.redis.hgetall(key);
    } catch (err) {
      throw wrapRedisError(err, `reading model version '${version}'`);
    }
    if (Object.keys(hash).length === 0) return null;
    const corrupt = (what: string) => new StateError('CODEC_CORRUPT', `model version '${version}' (${key}): ${what}`);
    if (hash[MODEL_FIELDS.format] !== MODEL_FORMAT) throw corrupt(`unknown format ${String(hash[MODEL_FIELDS.format])}`);
    const parse = <T>(field: string, schema: z.ZodType<T>): T => {
      let value: unknown;
      try {
        value = JSON.parse(hash[field] ?? '');
      } catch {
        throw corrupt(`field ${field} is not JSON`);
      }
      const parsed = schema.safeParse(value);
      if (!parsed.success) throw corrupt(`field ${field}: ${describeIssues(parsed.error)}`);
      return parsed.data;
    };
    const snapshot: ModelSnapshot = parse(MODEL_FIELDS.snapshot, snapshotSchema);
    const diagnostics: ModelDiagnostics = parse(MODEL_FIELDS.diagnostics, diagnosticsSchema);
    if (snapshot.version !== version) throw corrupt(`holds the snapshot of version '${snapshot.version}'`);
    const backtest = hash[MODEL_FIELDS.backtest] === undefined ? null : parse(MODEL_FIELDS.backtest, backtestComparisonSchema);
    return { snapshot, fittedAt: diagnostics.fittedAt, asOf: diagnostics.asOf, diagnostics, backtest };
  }

  /** Published versions, newest first (by fitted_at), at most `limit`. */
  async versions(limit = 20): Promise<{ version: string; fittedAt: string }[]> {
    let flat: string[];
    try {
      flat = await this.redis.zrevrange(this.keys.modelVersions(), 0, limit - 1, 'WITHSCORES');
    } catch (err) {
      throw wrapRedisError(err, 'listing model versions');
    }
    const out: { version: string; fittedAt: string }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ version: flat[i]!, fittedAt: new Date(Number(flat[i + 1])).toISOString() });
    return out;
  }
}
