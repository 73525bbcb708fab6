/**
 * `clvstream backtest`: the calibration/holdout check of the BG/NBD on an
 * event file. Events dated (by their local calendar day, like every domain
 * day) up to the end of calibration go through the pipeline (`MemoryProcessor`,
 * so the summaries are exactly those the service computes); purchases after it
 * and up to the end of the holdout are counted per customer as distinct
 * purchase days. The cohort is every customer whose first purchase is in the
 * calibration period; the models are fitted on it (days, minor units) and the
 * BG/NBD's conditional expectation for the holdout length is compared with what
 * the cohort actually bought.
 */
import type { Readable } from 'node:stream';
import { chosenPurchaseModel, fitPopulation, type PopulationFit } from '../domain/analytics/population-fit.js';
import { PopulationSample } from '../domain/analytics/population-sample.js';
import {
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
import type { DomainConfig } from '../domain/config.js';
import { UNFITTED_MODEL, type ModelSnapshot } from '../domain/model-snapshot.js';
import type { BgNbdParams, PurchaseModelKind } from '../domain/models/index.js';
import { dayToDate } from '../domain/time.js';
import type { IngestRules } from '../ingest/decode.js';
import { MemoryProcessor } from '../pipeline/memory-processor.js';
import { readEventFile, type EventFileSummary } from './event-file.js';
import { fitJson, holdoutErrorJson } from './fit-result.js';
import { lineChartSvg } from './svg-chart.js';

export interface BacktestOptions {
  readonly input: Readable;
  readonly rules: IngestRules;
  readonly config: DomainConfig;
  readonly nowMs: number;
  /** Last day of calibration (inclusive). */
  readonly calibrationEndDay: number;
  /** Last day of the holdout (inclusive); null → the latest event day in the file. */
  readonly holdoutEndDay: number | null;
  readonly minRepeatBuyers?: number;
  readonly l2Penalty?: number;
  /** The purchase model whose predictions make the table (both are fitted and compared). Default 'bgnbd'. */
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
  /** Null when the BG/NBD could not be fitted (see fit.bgnbd.reason). */
  readonly table: HoldoutTable | null;
  readonly tracking: readonly TrackingPoint[] | null;
  /** Holdout error of each purchase model fitted on the calibration. */
  readonly holdoutErrors: Partial<Record<PurchaseModelKind, HoldoutError>>;
  /** The model file's version and holdout error, when one was given. */
  readonly modelFile: { readonly version: string; readonly purchaseModel: PurchaseModelKind; readonly error: HoldoutError } | null;
}

export async function backtest(options: BacktestOptions): Promise<BacktestResult> {
  const calEnd = options.calibrationEndDay;
  const processor = new MemoryProcessor({ model: options.model ?? UNFITTED_MODEL, config: options.config });
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
  const holdoutErrors: Partial<Record<PurchaseModelKind, HoldoutError>> = {};
  if (fit.bgnbd.status === 'fitted') holdoutErrors.bgnbd = holdoutError(cohort, fit.bgnbd.params, horizon, 'bgnbd');
  if (fit.mbgnbd.status === 'fitted') holdoutErrors.mbgnbd = holdoutError(cohort, fit.mbgnbd.params, horizon, 'mbgnbd');
  const file = options.model;
  const scoring: { params: BgNbdParams; kind: PurchaseModelKind } | null =
    file !== undefined && file.bgnbd !== null
      ? { params: file.bgnbd, kind: file.purchaseModel ?? 'bgnbd' }
      : chosenPurchaseModel(fit).status === 'fitted'
        ? { params: (chosenPurchaseModel(fit) as { params: BgNbdParams }).params, kind: fit.purchaseModel }
        : null;
  const params = scoring?.params ?? null;
  const kind = scoring?.kind ?? 'bgnbd';
  return {
    currency: options.config.baseCurrency,
    calibrationEndDay: calEnd,
    holdoutEndDay: holdoutEnd,
    horizon,
    events,
    afterHoldout,
    fit,
    cohort: cohort.length,
    table: params === null ? null : calibrationHoldoutTable(cohort, params, horizon, 7, kind),
    tracking: params === null ? null : cumulativeTracking(cohort, params, weeklyPoints(horizon), kind),
    holdoutErrors,
    modelFile:
      file !== undefined && file.bgnbd !== null
        ? { version: file.version, purchaseModel: kind, error: holdoutError(cohort, file.bgnbd, horizon, kind) }
        : null,
  };
}

const fixed = (v: number, digits: number) => v.toFixed(digits);

const MODEL_NAMES: Record<PurchaseModelKind, string> = { bgnbd: 'BG/NBD', mbgnbd: 'modified BG/NBD' };

/** The classic table as text. */
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
  for (const kind of ['bgnbd', 'mbgnbd'] as const) {
    const o = kind === 'bgnbd' ? result.fit.bgnbd : result.fit.mbgnbd;
    if (o.status !== 'fitted') {
      lines.push(`${MODEL_NAMES[kind]}: ${o.reason}`);
      continue;
    }
    const { r, alpha, a, b } = o.params;
    const e = result.holdoutErrors[kind];
    lines.push(
      `${MODEL_NAMES[kind]} (days): r=${fixed(r, 4)} alpha=${fixed(alpha, 4)} (${fixed(alpha / 7, 4)} in weeks) a=${fixed(a, 4)} b=${fixed(b, 4)} log-likelihood=${fixed(o.logLikelihood, 2)}` +
        (e === undefined ? '' : `; holdout predicted ${fixed(e.predicted, 1)} of ${e.actual}, mean absolute error ${fixed(e.meanAbsoluteError, 4)} per customer`),
    );
  }
  const scoredBy = result.modelFile === null ? `${MODEL_NAMES[result.fit.purchaseModel]} fitted on the calibration` : `model file ${result.modelFile.version} (${MODEL_NAMES[result.modelFile.purchaseModel]})`;
  lines.push(`table: predictions of the ${scoredBy}`);
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
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const format = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  lines.push(format(header));
  for (const row of rows) lines.push(format(row));
  const t = result.table.total;
  lines.push('');
  lines.push(`holdout repeat purchases: actual ${t.actual}, predicted ${fixed(t.predicted, 1)} (${fixed((100 * (t.predicted - t.actual)) / Math.max(1, t.actual), 2)} %)`);
  return lines.join('\n') + '\n';
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
    events: { lines: result.events.lines, inputs: result.events.inputs, rejected: result.events.rejected, purchases_after_holdout: result.afterHoldout },
  };
}

/** Cumulative repeat purchases per week of the holdout, actual vs predicted. */
export function backtestSvg(result: BacktestResult): string | null {
  if (result.tracking === null) return null;
  const weeks = (t: number) => t / 7;
  return lineChartSvg({
    title: `Cumulative repeat purchases after ${dayToDate(result.calibrationEndDay)}: actual vs BG/NBD`,
    xLabel: 'weeks into the holdout',
    yLabel: 'cumulative repeat purchases',
    series: [
      { name: 'actual', color: '#1f77b4', points: [{ x: 0, y: 0 }, ...result.tracking.map((p) => ({ x: weeks(p.t), y: p.actual }))] },
      { name: 'BG/NBD', color: '#d62728', dashed: true, points: [{ x: 0, y: 0 }, ...result.tracking.map((p) => ({ x: weeks(p.t), y: p.predicted }))] },
    ],
  });
}
