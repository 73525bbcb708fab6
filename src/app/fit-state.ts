/**
 * `clvstream fit --state`: fits the population models on the customer states in
 * Redis and publishes a new model version (ModelStore) that running processors
 * pick up. Summaries are taken as of a day (see domain/analytics/population-sample.ts
 * for who is left out and why); times in days, money in base-currency minor units.
 *
 * With a back-test (`backtest`: an event file's calibration/holdout split),
 * the purchase models' comparison is stored with the version (the console
 * charts it) and, with `chooseByHoldout`, the model with the smallest mean
 * absolute holdout error per customer is the one published.
 *
 * Nothing is published when the chosen purchase model cannot be fitted (fewer repeat buyers
 * than the minimum, or a failed optimisation): the processors then keep the
 * model they have (before the first fit: the simple CLV rule and the inactivity
 * churn rule). A Gamma-Gamma that cannot be fitted, or whose q ≤ 1, is left out
 * of the version (model CLV needs both, so CLV stays on the simple rule).
 */
import { chosenPurchaseModel, fitPopulation, publishableSnapshot } from '../domain/analytics/population-fit.js';
import { PopulationSample } from '../domain/analytics/population-sample.js';
import type { ModelSnapshot, PurchaseModelKind } from '../domain/model-snapshot.js';
import { dayToDate } from '../domain/time.js';
import type { ModelDiagnostics, ModelStore } from '../state/model-store.js';
import { scanCustomerStates } from '../state/state-scan.js';
import type { PartitionStore } from '../state/store.js';
import { backtestComparisonJson, type BacktestResult } from './backtest.js';
import { fitJson, type FitJson } from './fit-result.js';

export interface FitStateOptions {
  readonly states: PartitionStore;
  readonly models: ModelStore;
  readonly asOfDay: number;
  /** Base currency: the money unit of the stored model is its minor unit. */
  readonly currency: string;
  readonly minRepeatBuyers?: number;
  readonly l2Penalty?: number;
  /** The purchase model to publish (all three are fitted and reported); default 'bgnbd'. */
  readonly purchaseModel?: PurchaseModelKind;
  /** Runs the back-test whose comparison is published with the version; none by default. */
  readonly backtest?: () => Promise<BacktestResult>;
  /** Publish the purchase model with the smallest holdout error of the back-test instead of `purchaseModel`. */
  readonly chooseByHoldout?: boolean;
  /** Version name; default `fit-<fitted at, compact UTC>`. */
  readonly version?: string;
  readonly now: Date;
  /** Fit and report, publish nothing. */
  readonly dryRun?: boolean;
  /** Called now and then with the customer states read so far (a progress line on a TTY). */
  readonly onProgress?: (count: number) => void;
}

export interface FitStateOutcome {
  readonly published: boolean;
  readonly version: string;
  /** Why nothing was published (null when published, or on a dry run that could have). */
  readonly declined: string | null;
  readonly output: FitJson & { version: string; published: boolean; cut_points: ModelSnapshot['cutPoints']; chosen_by: ChosenBy };
}

/** How the published purchase model was chosen: named (option or setting), or by the smallest holdout error. */
export type ChosenBy = 'option' | 'holdout';

/** `fit-<compact UTC time>-<purchase model>`: the name says which model scores with it. */
export function defaultVersionName(now: Date, purchaseModel: PurchaseModelKind): string {
  return `fit-${now.toISOString().replace(/[-:]/g, '')}-${purchaseModel}`;
}

export async function fitFromState(options: FitStateOptions): Promise<FitStateOutcome> {
  const sample = new PopulationSample(options.asOfDay);
  let read = 0;
  const scan = await scanCustomerStates(options.states, (states) => {
    for (const s of states) sample.add(s);
    const before = read;
    read += states.length;
    if (options.onProgress !== undefined && Math.floor(read / 10_000) > Math.floor(before / 10_000)) options.onProgress(read);
  });
  const check = options.backtest === undefined ? null : await options.backtest();
  const best = check?.best ?? null;
  const chosenBy: ChosenBy = options.chooseByHoldout === true && best !== null ? 'holdout' : 'option';
  const fit = fitPopulation(sample.summaries, {
    minRepeatBuyers: options.minRepeatBuyers,
    l2Penalty: options.l2Penalty,
    purchaseModel: chosenBy === 'holdout' ? best! : options.purchaseModel,
  });
  const cutPoints = sample.rfm.cutPoints();
  const fittedAt = options.now.toISOString();
  const asOf = dayToDate(options.asOfDay);
  const version = options.version ?? defaultVersionName(options.now, fit.purchaseModel);
  const snapshot = publishableSnapshot(fit, version, cutPoints);
  const gammaGamma = snapshot?.gammaGamma ?? null;
  const bg = chosenPurchaseModel(fit);
  const holdout = check === null ? {} : check.holdoutErrors;
  const declined = bg.status === 'fitted' ? null : `no model published: ${bg.reason}`;
  const published = declined === null && options.dryRun !== true;
  const extra = {
    as_of: asOf,
    fitted_at: fittedAt,
    time_unit: 'days',
    money_unit: `${options.currency} minor units`,
    states_read: scan.customers,
    excluded: sample.excluded,
    gamma_gamma_published: gammaGamma !== null,
  };
  if (bg.status === 'fitted' && snapshot !== null && published) {
    const json = fitJson(fit);
    const diagnostics: ModelDiagnostics = {
      fittedAt,
      asOf,
      customers: fit.customers,
      repeatBuyers: fit.repeatBuyers,
      logLikelihood: bg.logLikelihood,
      iterations: bg.iterations,
      converged: bg.converged,
      currency: options.currency,
      details: { ...json.diagnostics, ...extra, gamma_gamma_fit: json.gamma_gamma },
    };
    await options.models.publish(snapshot, diagnostics, check === null ? null : backtestComparisonJson(check, fit.purchaseModel));
  }
  return {
    published,
    version,
    declined,
    output: { version, published, ...fitJson(fit, extra, holdout), cut_points: cutPoints, chosen_by: chosenBy },
  };
}
