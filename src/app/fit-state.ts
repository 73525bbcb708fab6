/**
 * `clvstream fit --state`: fits the population models on the customer states in
 * Redis and publishes a new model version (ModelStore) that running processors
 * pick up. Summaries are taken as of a day (see domain/analytics/population-sample.ts
 * for who is left out and why); times in days, money in base-currency minor units.
 *
 * Nothing is published when the BG/NBD cannot be fitted (fewer repeat buyers
 * than the minimum, or a failed optimisation): the processors then keep the
 * model they have (before the first fit: the simple CLV rule and the inactivity
 * churn rule). A Gamma-Gamma that cannot be fitted, or whose q ≤ 1, is left out
 * of the version (model CLV needs both, so CLV stays on the simple rule).
 */
import { chosenPurchaseModel, fitPopulation } from '../domain/analytics/population-fit.js';
import { PopulationSample } from '../domain/analytics/population-sample.js';
import type { ModelSnapshot, PurchaseModelKind } from '../domain/model-snapshot.js';
import { dayToDate } from '../domain/time.js';
import type { ModelDiagnostics, ModelStore } from '../state/model-store.js';
import { scanCustomerStates } from '../state/state-scan.js';
import type { PartitionStore } from '../state/store.js';
import { fitJson, type FitJson } from './fit-result.js';

export interface FitStateOptions {
  readonly states: PartitionStore;
  readonly models: ModelStore;
  readonly asOfDay: number;
  /** Base currency: the money unit of the stored model is its minor unit. */
  readonly currency: string;
  readonly minRepeatBuyers?: number;
  readonly l2Penalty?: number;
  /** The purchase model to publish (both are fitted and reported); default 'bgnbd'. */
  readonly purchaseModel?: PurchaseModelKind;
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
  readonly output: FitJson & { version: string; published: boolean; cut_points: ModelSnapshot['cutPoints'] };
}

export function defaultVersionName(now: Date): string {
  return `fit-${now.toISOString().replace(/[-:]/g, '')}`;
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
  const fit = fitPopulation(sample.summaries, {
    minRepeatBuyers: options.minRepeatBuyers,
    l2Penalty: options.l2Penalty,
    purchaseModel: options.purchaseModel,
  });
  const cutPoints = sample.rfm.cutPoints();
  const fittedAt = options.now.toISOString();
  const asOf = dayToDate(options.asOfDay);
  const version = options.version ?? defaultVersionName(options.now);
  const gg = fit.gammaGamma;
  const gammaGamma = gg.status === 'fitted' && gg.params.q > 1 ? gg.params : null;
  const bg = chosenPurchaseModel(fit);
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
  if (bg.status === 'fitted' && published) {
    const snapshot: ModelSnapshot = { version, purchaseModel: fit.purchaseModel, bgnbd: bg.params, gammaGamma, cutPoints };
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
    await options.models.publish(snapshot, diagnostics);
  }
  return {
    published,
    version,
    declined,
    output: { version, published, ...fitJson(fit, extra), cut_points: cutPoints },
  };
}
