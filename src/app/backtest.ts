/**
 * `clvstream backtest`: the calibration/holdout check of the purchase models
 * (BG/NBD, modified BG/NBD, Pareto/NBD) on an event file. Events dated (by their local calendar day, like every domain
 * day) up to the end of calibration go through the pipeline (`MemoryProcessor`,
 * so the summaries are exactly those the service computes); purchases after it
 * and up to the end of the holdout are counted per customer as distinct
 * purchase days. The cohort is every customer whose first purchase is in the
 * calibration period; the models are fitted on it (days, minor units) and each
 * model's conditional expectation for the holdout length is compared with what
 * the cohort actually bought: per calibration frequency, in total, and by the
 * error per customer (the comparison `fit --choose-by holdout` chooses by, and
 * `fit --state` can publish beside the model for the console's chart).
 */
import type { Readable } from 'node:stream';
import { chosenPurchaseModel, fitPopulation, fittedPurchaseModel, type PopulationFit } from '../domain/analytics/population-fit.js';
import { PopulationSample } from '../domain/analytics/population-sample.js';
import {
  bestByHoldout,
  calibrationHoldoutTable,
  cumulativeTracking,
  holdoutError,
  weeklyPoints,
  type HoldoutError,
  type HoldoutCustomer,
  type HoldoutTable,
  type TrackingPoint,
} from '../domain/analytics/holdout.js';
import { btydSummary } from '../domain/btyd.js';
import type { DomainParameters } from '../domain/parameters.js';
import { UNFITTED_MODEL, purchaseModelOf, type ModelSnapshot } from '../domain/model-snapshot.js';
import { PURCHASE_MODEL_KINDS, PURCHASE_MODEL_NAMES, type PurchaseModel, type PurchaseModelKind } from '../domain/models/index.js';
import { dayToDate } from '../domain/time.js';
import type { IngestRules } from '../ingest/decode.js';
import { MemoryProcessor } from '../pipeline/memory-processor.js';
import { readEventFile, type EventFileSummary } from './event-file.js';
import { fitJson, holdoutErrorJson } from './fit-result.js';
import type { BacktestComparisonJson } from '../state/model-store.js';
import { lineChartSvg } from './svg-chart.js';

export interface BacktestOptions {
  readonly input: Readable;
  readonly rules: IngestRules;
  readonly parameters: DomainParameters;
  readonly nowMs: number;
  /** Last day of calibration (inclusive). */
  readonly calibrationEndDay: number;
  /** Last day of the holdout (inclusive); null → the latest event day in the file. */
  readonly holdoutEndDay: number | null;
  readonly minRepeatBuyers?: number;
  readonly l2Penalty?: number;
  /** The purchase model whose predictions make the main table (all three are fitted and compared). Default 'bgnbd'. */
  readonly purchaseModel?: PurchaseModelKind;
  /**
   * A fitted model (a model file): the calibration events are processed with it
   * and the table is its predictions, as the service would score with that
   * version; the models fitted on the calibration are still reported beside it.
   */
  readonly model?: ModelSnapshot;
  /** Called now and then with the lines read so far (a progress line on a TTY). */
  readonly onProgress?: (count: number) => void;
}

export interface BacktestResult {
  /** Money unit of zbar and the Gamma-Gamma v: minor units of this currency. */
  readonly currency: string;
  readonly calibrationEndDay: number;
  readonly holdoutEndDay: number;
  /** Holdout length in days. */
  readonly horizon: number;
  readonly events: EventFileSummary;
  /** Purchases after the holdout end (ignored). */
  readonly afterHoldout: number;
  readonly fit: PopulationFit;
  readonly cohort: number;
  /** The chosen (or the model file's) purchase model's table; null when it could not be fitted. */
  readonly table: HoldoutTable | null;
  readonly tracking: readonly TrackingPoint[] | null;
  /** Holdout error of each purchase model fitted on the calibration. */
  readonly holdoutErrors: Partial<Record<PurchaseModelKind, HoldoutError>>;
  /** Every purchase model fitted on the calibration, side by side on the same holdout. */
  readonly comparison: readonly ModelComparison[];
  /** The model with the smallest mean absolute holdout error per customer; null when none was fitted. */
  readonly best: PurchaseModelKind | null;
  /** The model file's version and holdout error, when one was given. */
  readonly modelFile: { readonly version: string; readonly purchaseModel: PurchaseModelKind; readonly error: HoldoutError } | null;
}

export interface ModelComparison {
  readonly kind: PurchaseModelKind;
  readonly table: HoldoutTable;
  readonly tracking: readonly TrackingPoint[];
  readonly error: HoldoutError;
}

export async function backtest(options: BacktestOptions): Promise<BacktestResult> {
  const calEnd = options.calibrationEndDay;
  const processor = new MemoryProcessor({ model: options.model ?? UNFITTED_MODEL, parameters: options.parameters });
  const later = new Map<string, Set<number>>();
  let latestDay = calEnd;
  const events = await readEventFile(options.input, options.rules, options.nowMs, (input) => {
    latestDay = Math.max(latestDay, input.day);
    if (input.day <= calEnd) processor.apply(input);
    else if (input.kind === 'purchase') {
      let days = later.get(input.customerId);
      if (days === undefined) later.set(input.customerId, (days = new Set()));
      days.add(input.day);
    }
  }, options.onProgress);
  processor.settleThroughDay(calEnd);
  const holdoutEnd = options.holdoutEndDay ?? latestDay;
  if (holdoutEnd <= calEnd) {
    throw new RangeError(`the holdout end ${dayToDate(holdoutEnd)} is not after the calibration end ${dayToDate(calEnd)}`);
  }
  const horizon = holdoutEnd - calEnd;

  const sample = new PopulationSample(calEnd);
  const cohort: HoldoutCustomer[] = [];
  let afterHoldout = 0;
  for (const [id, s] of processor.states) {
    if (sample.add(s) !== null) continue;
    const summary = btydSummary(s, calEnd);
    if (summary === null) continue;
    const holdoutDays: number[] = [];
    for (const day of later.get(id) ?? []) {
      if (day <= holdoutEnd) holdoutDays.push(day - calEnd);
      else afterHoldout++;
    }
    cohort.push({ x: summary.x, tx: summary.tx, T: summary.T, holdoutDays });
  }
  const fit = fitPopulation(sample.summaries, {
    minRepeatBuyers: options.minRepeatBuyers,
    l2Penalty: options.l2Penalty,
    purchaseModel: options.purchaseModel,
  });
  const points = weeklyPoints(horizon);
  const comparison: ModelComparison[] = [];
  const holdoutErrors: Partial<Record<PurchaseModelKind, HoldoutError>> = {};
  for (const kind of PURCHASE_MODEL_KINDS) {
    const model = fittedPurchaseModel(fit, kind);
    if (model === null) continue;
    const error = holdoutError(cohort, model, horizon);
    holdoutErrors[kind] = error;
    comparison.push({ kind, table: calibrationHoldoutTable(cohort, model, horizon), tracking: cumulativeTracking(cohort, model, points), error });
  }
  const file = options.model;
  const fileModel = file === undefined ? null : purchaseModelOf(file);
  const scoring: PurchaseModel | null = fileModel ?? fittedPurchaseModel(fit, fit.purchaseModel);
  const chosen = fileModel === null ? comparison.find((c) => c.kind === fit.purchaseModel) : undefined;
  return {
    currency: options.parameters.baseCurrency,
    calibrationEndDay: calEnd,
    holdoutEndDay: holdoutEnd,
    horizon,
    events,
    afterHoldout,
    fit,
    cohort: cohort.length,
    table: chosen?.table ?? (scoring === null ? null : calibrationHoldoutTable(cohort, scoring, horizon)),
    tracking: chosen?.tracking ?? (scoring === null ? null : cumulativeTracking(cohort, scoring, points)),
    holdoutErrors,
    comparison,
    best: bestByHoldout(holdoutErrors, PURCHASE_MODEL_KINDS),
    modelFile:
      file !== undefined && fileModel !== null
        ? { version: file.version, purchaseModel: fileModel.kind, error: holdoutError(cohort, fileModel, horizon) }
        : null,
  };
}

const fixed = (v: number, digits: number) => v.toFixed(digits);
const MODEL_NAMES = PURCHASE_MODEL_NAMES;

function parameterText(result: BacktestResult, kind: PurchaseModelKind): string {
  const o = kind === 'pnbd' ? result.fit.pnbd : kind === 'mbgnbd' ? result.fit.mbgnbd : result.fit.bgnbd;
  if (o.status !== 'fitted') return `${MODEL_NAMES[kind]}: ${o.reason}`;
  const p = o.params as unknown as Record<string, number>;
  const names = kind === 'pnbd' ? ['r', 'alpha', 's', 'beta'] : ['r', 'alpha', 'a', 'b'];
  const values = names.map((n) => `${n}=${fixed(p[n]!, 4)}`).join(' ');
  const e = result.holdoutErrors[kind];
  return (
    `${MODEL_NAMES[kind]} (days): ${values} (alpha ${fixed(p['alpha']! / 7, 4)} in weeks) log-likelihood=${fixed(o.logLikelihood, 2)}` +
    (e === undefined ? '' : `; holdout predicted ${fixed(e.predicted, 1)} of ${e.actual}, mean absolute error ${fixed(e.meanAbsoluteError, 4)} per customer`)
  );
}

function aligned(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const format = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [format(header), ...rows.map(format)];
}

/** The classic table of the chosen model, then every model side by side with its error measures, as text. */
export function backtestTable(result: BacktestResult): string {
  const lines: string[] = [];
  lines.push(
    `calibration: first purchases up to ${dayToDate(result.calibrationEndDay)}; holdout: ${dayToDate(result.calibrationEndDay + 1)} to ${dayToDate(result.holdoutEndDay)} (${result.horizon} days)`,
  );
  lines.push(`cohort: ${result.cohort} customers, ${result.fit.repeatBuyers} repeat buyers in calibration`);
  const bg = chosenPurchaseModel(result.fit);
  if (result.table === null) {
    lines.push(bg.status === 'fitted' ? 'no table' : `no ${MODEL_NAMES[result.fit.purchaseModel]}: ${bg.reason}`);
    return lines.join('\n') + '\n';
  }
  for (const kind of PURCHASE_MODEL_KINDS) lines.push(parameterText(result, kind));
  const predictedBy = result.modelFile === null ? `${MODEL_NAMES[result.fit.purchaseModel]} fitted on the calibration` : `model file ${result.modelFile.version} (${MODEL_NAMES[result.modelFile.purchaseModel]})`;
  lines.push(`table: predictions of the ${predictedBy}`);
  lines.push('');
  const header = ['x (calibration)', 'customers', 'actual', 'predicted', 'actual/customer', 'predicted/customer'];
  const rows = [...result.table.groups, result.table.total].map((g) => [
    g.label,
    String(g.customers),
    String(g.actual),
    fixed(g.predicted, 1),
    g.customers === 0 ? '-' : fixed(g.actual / g.customers, 3),
    g.customers === 0 ? '-' : fixed(g.predicted / g.customers, 3),
  ]);
  lines.push(...aligned(header, rows));
  const t = result.table.total;
  lines.push('');
  lines.push(`holdout repeat purchases: actual ${t.actual}, predicted ${fixed(t.predicted, 1)} (${fixed((100 * (t.predicted - t.actual)) / Math.max(1, t.actual), 2)} %)`);
  if (result.comparison.length > 0) {
    lines.push('');
    lines.push('model comparison: holdout repeat purchases per calibration frequency, actual and predicted by each model');
    const first = result.comparison[0]!.table;
    const compareRows = [...first.groups, first.total].map((g, i) => [
      g.label,
      String(g.customers),
      String(g.actual),
      ...result.comparison.map((c) => fixed((i < c.table.groups.length ? c.table.groups[i]! : c.table.total).predicted, 1)),
    ]);
    lines.push(...aligned(['x (calibration)', 'customers', 'actual', ...result.comparison.map((c) => MODEL_NAMES[c.kind])], compareRows));
    lines.push('');
    const errorRows = result.comparison.map((c) => [
      MODEL_NAMES[c.kind],
      fixed(c.error.meanAbsoluteError, 4),
      fixed(c.error.rootMeanSquaredError, 4),
      fixed(c.error.predicted, 1),
      c.error.relativeError === null ? '-' : `${fixed(100 * c.error.relativeError, 2)} %`,
    ]);
    lines.push(...aligned(['model', 'MAE/customer', 'RMSE/customer', 'total predicted', 'error of the total'], errorRows));
    if (result.best !== null) lines.push(`smallest mean absolute error per customer: ${MODEL_NAMES[result.best]}`);
  }
  return lines.join('\n') + '\n';
}

/** The per-frequency comparison as CSV: one row per calibration frequency and the total, one predicted column per model. */
export function backtestCsv(result: BacktestResult): string {
  const kinds = result.comparison.map((c) => c.kind);
  const lines = [['x_calibration', 'customers', 'actual', ...kinds.map((k) => `predicted_${k}`)].join(',')];
  const first = result.comparison[0]?.table;
  if (first !== undefined) {
    [...first.groups, first.total].forEach((g, i) => {
      lines.push([g.label, g.customers, g.actual, ...result.comparison.map((c) => (i < c.table.groups.length ? c.table.groups[i]! : c.table.total).predicted)].join(','));
    });
  }
  return lines.join('\n') + '\n';
}

/** The comparison as JSON: what `fit --state` stores beside a model and GET /model returns (state/model-store.ts). */
export function backtestComparisonJson(result: BacktestResult, chosen: PurchaseModelKind | null): BacktestComparisonJson {
  return {
    calibration_end: dayToDate(result.calibrationEndDay),
    holdout_end: dayToDate(result.holdoutEndDay),
    holdout_days: result.horizon,
    cohort: result.cohort,
    chosen,
    best: result.best,
    models: result.comparison.map((c) => ({
      model: c.kind,
      holdout: holdoutErrorJson(c.error),
      groups: [...c.table.groups, c.table.total].map((g) => ({ label: g.label, customers: g.customers, actual: g.actual, predicted: g.predicted })),
      tracking: c.tracking.map((p) => ({ t: p.t, actual: p.actual, predicted: p.predicted })),
    })),
  };
}

export function backtestJson(result: BacktestResult): Record<string, unknown> {
  return {
    calibration_end: dayToDate(result.calibrationEndDay),
    holdout_end: dayToDate(result.holdoutEndDay),
    holdout_days: result.horizon,
    cohort: result.cohort,
    fit: fitJson(result.fit, { time_unit: 'days', money_unit: `${result.currency} minor units` }, result.holdoutErrors),
    model_file:
      result.modelFile === null
        ? null
        : { version: result.modelFile.version, purchase_model: result.modelFile.purchaseModel, holdout: holdoutErrorJson(result.modelFile.error) },
    groups: result.table?.groups ?? null,
    total: result.table?.total ?? null,
    tracking: result.tracking,
    comparison: backtestComparisonJson(result, result.modelFile?.purchaseModel ?? result.fit.purchaseModel),
    events: { lines: result.events.lines, inputs: result.events.inputs, rejected: result.events.rejected, purchases_after_holdout: result.afterHoldout },
  };
}

const SERIES_COLORS: Record<PurchaseModelKind, string> = { bgnbd: '#d62728', mbgnbd: '#2ca02c', pnbd: '#9467bd' };

/** Cumulative repeat purchases per week of the holdout: actual, and each model's prediction. */
export function backtestSvg(result: BacktestResult): string | null {
  if (result.tracking === null) return null;
  const weeks = (t: number) => t / 7;
  const origin = { x: 0, y: 0 };
  const models = result.modelFile === null ? result.comparison.map((c) => ({ name: MODEL_NAMES[c.kind], kind: c.kind, tracking: c.tracking })) : [{ name: `model file ${result.modelFile.version}`, kind: result.modelFile.purchaseModel, tracking: result.tracking }];
  return lineChartSvg({
    title: `Cumulative repeat purchases after ${dayToDate(result.calibrationEndDay)}: actual vs ${models.map((m) => m.name).join(', ')}`,
    xLabel: 'weeks into the holdout',
    yLabel: 'cumulative repeat purchases',
    series: [
      { name: 'actual', color: '#1f77b4', points: [origin, ...result.tracking.map((p) => ({ x: weeks(p.t), y: p.actual }))] },
      ...models.map((m) => ({ name: m.name, color: SERIES_COLORS[m.kind], dashed: true, points: [origin, ...m.tracking.map((p) => ({ x: weeks(p.t), y: p.predicted }))] })),
    ],
  });
}
