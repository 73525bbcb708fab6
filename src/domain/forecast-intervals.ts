/**
 * How uncertain a customer's forecast is because the population model was
 * fitted on a finite sample: INTERVAL_LEVEL (90 %) intervals of the expected
 * purchases in the next 30, 90 and 365 days and of the predicted CLV for a year
 * and for the configured horizon, by the delta method over the covariance of
 * the fitted log-parameters (models/uncertainty.ts). The purchase model and the
 * Gamma-Gamma are fitted separately and, as the Gamma-Gamma assumes, spend is
 * independent of the purchase process: their covariances form one
 * block-diagonal matrix.
 *
 * Null when there is nothing to be unsure of in this sense: no fitted model, or
 * a version published without its covariance. The intervals do not include the
 * customer's own randomness (a Poisson count around its expectation) — they say
 * how far the expectation itself could be off.
 */
import { isCancelled } from './account.js';
import type { DomainParameters } from './parameters.js';
import { FORECAST_HORIZONS_DAYS, ONE_YEAR_DAYS } from './forecast.js';
import { purchaseModelOf, type ModelSnapshot } from './model-snapshot.js';
import {
  INTERVAL_LEVEL,
  deltaVariances,
  modelConditionalExpectedPurchasesAt,
  parameterVector,
  predictionInterval,
  withParameters,
  type Interval,
} from './models/index.js';
import type { Profile } from './profile.js';
import { modelPredictedClvExact } from './model-prediction.js';
import type { CustomerState } from './state.js';

export interface ForecastIntervals {
  /** The two-sided level, 0.9. */
  readonly level: number;
  readonly expectedPurchases: readonly [Interval, Interval, Interval];
  /** Minor units, rounded outwards. */
  readonly predictedClvYearMinor: Interval;
  readonly predictedClvHorizonMinor: Interval;
}

const ZERO: Interval = { low: 0, high: 0 };

export function customerForecastIntervals(s: CustomerState, p: Profile, model: ModelSnapshot, parameters: DomainParameters): ForecastIntervals | null {
  const m = purchaseModelOf(model);
  const purchaseCovariance = model.uncertainty?.purchase ?? null;
  if (m === null || purchaseCovariance === null) return null;
  const summary = p.summary;
  if (summary === null || s.purchaseDays === 0 || isCancelled(s)) {
    return { level: INTERVAL_LEVEL, expectedPurchases: [ZERO, ZERO, ZERO], predictedClvYearMinor: ZERO, predictedClvHorizonMinor: ZERO };
  }
  const gg = model.gammaGamma;
  const ggCovariance = gg === null ? null : (model.uncertainty?.gammaGamma ?? null);
  const purchaseParams = parameterVector(m);
  const params = ggCovariance === null || gg === null ? purchaseParams : [...purchaseParams, gg.p, gg.q, gg.v];
  const n = params.length;
  const k = purchaseParams.length;
  const covariance = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i < k && j < k ? purchaseCovariance[i]![j]! : i >= k && j >= k ? ggCovariance![i - k]![j - k]! : 0)),
  );
  const out = new Float64Array(FORECAST_HORIZONS_DAYS.length);
  const predict = (v: readonly number[]): number[] => {
    const purchase = withParameters(m, v);
    const spend = v.length > k ? { p: v[k]!, q: v[k + 1]!, v: v[k + 2]! } : gg;
    modelConditionalExpectedPurchasesAt(purchase, summary.x, summary.tx, summary.T, FORECAST_HORIZONS_DAYS, out);
    return [
      out[0]!,
      out[1]!,
      out[2]!,
      modelPredictedClvExact(s, summary, purchase, spend, parameters, ONE_YEAR_DAYS),
      modelPredictedClvExact(s, summary, purchase, spend, parameters, parameters.clvHorizonDays),
    ];
  };
  const values = predict(params);
  const variances = deltaVariances(predict, params, covariance);
  const interval = (i: number) => predictionInterval(values[i]!, variances[i]!);
  const money = (i: number): Interval => {
    const { low, high } = interval(i);
    return { low: Math.floor(low), high: Math.ceil(high) };
  };
  return {
    level: INTERVAL_LEVEL,
    expectedPurchases: [interval(0), interval(1), interval(2)],
    predictedClvYearMinor: money(3),
    predictedClvHorizonMinor: money(4),
  };
}
