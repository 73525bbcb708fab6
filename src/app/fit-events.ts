/**
 * `clvstream fit --events`: fits the population model on an event file, as
 * `fit --state` does on the states in Redis, and prints the same JSON — the
 * chosen purchase model, both purchase models' parameters and log-likelihood,
 * the Gamma-Gamma, the RFM cut points and a version name — which `replay`,
 * `report` and `backtest --model` read to score exactly as the service would
 * with that version. Times in days, money in base-currency minor units.
 *
 * With a holdout (`holdoutDays`), the last days are also held out once: the
 * three purchase models are fitted on the events before them and their
 * predictions compared with what the customers bought (`backtest`); with
 * `chooseByHoldout` the one with the smallest mean absolute error per customer
 * becomes the file's purchase model. The parameters printed are still those
 * fitted on every event.
 */
import type { Readable } from 'node:stream';
import { chosenPurchaseModel, fitPopulation } from '../domain/analytics/population-fit.js';
import { PopulationSample } from '../domain/analytics/population-sample.js';
import type { DomainParameters } from '../domain/parameters.js';
import { UNFITTED_MODEL, type ModelSnapshot, type PurchaseModelKind } from '../domain/model-snapshot.js';
import { dayToDate } from '../domain/time.js';
import type { IngestRules } from '../ingest/decode.js';
import { MemoryProcessor } from '../pipeline/memory-processor.js';
import { backtest, backtestComparisonJson } from './backtest.js';
import type { BacktestComparisonJson } from '../state/model-store.js';
import { readEventFile, type EventFileSummary } from './event-file.js';
import { fitJson, type FitJson } from './fit-result.js';
import { defaultVersionName, type ChosenBy } from './fit-state.js';

export interface FitEventsOptions {
  /** Opens the event file (twice with a holdout). */
  readonly open: () => Readable;
  readonly rules: IngestRules;
  readonly parameters: DomainParameters;
  readonly nowMs: number;
  /** Events on later days are skipped; null → the latest event day. */
  readonly asOfDay: number | null;
  /** Hold out this many last days to compare the purchase models; null → no holdout. */
  readonly holdoutDays: number | null;
  readonly minRepeatBuyers?: number;
  readonly l2Penalty?: number;
  readonly purchaseModel?: PurchaseModelKind;
  /** With a holdout: choose the purchase model by its holdout error instead of `purchaseModel`. */
  readonly chooseByHoldout?: boolean;
  readonly version?: string;
  readonly now: Date;
  readonly onProgress?: (count: number) => void;
}

export type FitEventsJson = FitJson & {
  version: string;
  as_of: string;
  time_unit: 'days';
  money_unit: string;
  cut_points: ModelSnapshot['cutPoints'];
  holdout: { calibration_end: string; holdout_end: string; days: number } | null;
  chosen_by: ChosenBy;
  /** The holdout's comparison of the purchase models (null without a holdout). */
  backtest: BacktestComparisonJson | null;
};

export interface FitEventsOutcome {
  readonly output: FitEventsJson;
  /** Why the chosen purchase model could not be fitted (null when it was). */
  readonly declined: string | null;
  readonly events: EventFileSummary;
}

export async function fitFromEvents(options: FitEventsOptions): Promise<FitEventsOutcome> {
  const processor = new MemoryProcessor({ model: UNFITTED_MODEL, parameters: options.parameters });
  const asOf = options.asOfDay ?? Number.POSITIVE_INFINITY;
  let latest: number | null = null;
  const events = await readEventFile(options.open(), options.rules, options.nowMs, (input) => {
    if (input.day > asOf) return;
    latest = latest === null ? input.day : Math.max(latest, input.day);
    processor.apply(input);
  }, options.onProgress);
  const day = options.asOfDay ?? latest ?? 0;
  processor.settleThroughDay(asOf);
  const sample = new PopulationSample(day);
  for (const s of processor.states.values()) sample.add(s);
  const fitOptions = { minRepeatBuyers: options.minRepeatBuyers, l2Penalty: options.l2Penalty, purchaseModel: options.purchaseModel };
  let fit = fitPopulation(sample.summaries, fitOptions);
  let holdout: FitEventsJson['holdout'] = null;
  let holdoutErrors = {};
  let comparison: BacktestComparisonJson | null = null;
  let chosenBy: ChosenBy = 'option';
  if (options.holdoutDays !== null) {
    const calibrationEndDay = day - options.holdoutDays;
    const check = await backtest({
      input: options.open(),
      rules: options.rules,
      parameters: options.parameters,
      nowMs: options.nowMs,
      calibrationEndDay,
      holdoutEndDay: day,
      ...fitOptions,
    });
    holdoutErrors = check.holdoutErrors;
    holdout = { calibration_end: dayToDate(calibrationEndDay), holdout_end: dayToDate(day), days: options.holdoutDays };
    if (options.chooseByHoldout === true && check.best !== null) {
      fit = { ...fit, purchaseModel: check.best };
      chosenBy = 'holdout';
    }
    comparison = backtestComparisonJson(check, fit.purchaseModel);
  }
  const chosen = chosenPurchaseModel(fit);
  const moneyUnit = `${options.parameters.baseCurrency} minor units`;
  const extra = { as_of: dayToDate(day), excluded: sample.excluded };
  return {
    events,
    declined: chosen.status === 'fitted' ? null : chosen.reason,
    output: {
      version: options.version ?? defaultVersionName(options.now, fit.purchaseModel),
      as_of: dayToDate(day),
      time_unit: 'days',
      money_unit: moneyUnit,
      ...fitJson(fit, { ...extra, time_unit: 'days', money_unit: moneyUnit }, holdoutErrors),
      cut_points: sample.rfm.cutPoints(),
      holdout,
      chosen_by: chosenBy,
      backtest: comparison,
    },
  };
}
