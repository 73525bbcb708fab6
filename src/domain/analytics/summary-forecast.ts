/**
 * Predicts for one customer summary with fitted parameters: P(alive) now and the
 * expected repeat purchases over the next `horizon` (any purchase model), and,
 * with a Gamma-Gamma model and a monetary value, the expected value of a future
 * purchase. Units are the parameters' (α, β in the summary's time unit, v in
 * its money unit).
 *
 * `forecastSummaryRow` adds the customer view's forward-looking figures
 * (forecast.ts) for a summary file: the same definitions, with the file's time
 * unit converted to days (`unitDays` days per unit: 7 for CDNOW's weeks).
 *
 * `summaryPredictionIntervals` gives the INTERVAL_LEVEL intervals of the expected purchases
 * and of the CLV from the covariances of the fitted log-parameters
 * (models/uncertainty.ts): the delta method, as the customer view's.
 */
import {
  discountSchedule,
  conditionalExpectedSpend,
  deltaVariances,
  inDays,
  medianTimeToNextPurchaseIfAlive,
  modelConditionalExpectedPurchases,
  modelConditionalExpectedPurchasesAt,
  modelDiscountedExpectedPurchases,
  modelProbabilityAlive,
  parameterVector,
  predictionInterval,
  withParameters,
  type GammaGammaParams,
  type Interval,
  type PurchaseModel,
} from '../models/index.js';

export interface SummaryPrediction {
  readonly pAlive: number;
  readonly expectedPurchases: number;
  /** null without a Gamma-Gamma model or a monetary value. */
  readonly expectedSpend: number | null;
}

export interface SummaryRow {
  readonly x: number;
  readonly tx: number;
  readonly T: number;
  readonly zbar: number | null;
}

export function predictSummary(model: PurchaseModel, gammaGamma: GammaGammaParams | null, row: SummaryRow, horizon: number): SummaryPrediction {
  return {
    pAlive: modelProbabilityAlive(model, row.x, row.tx, row.T),
    expectedPurchases: modelConditionalExpectedPurchases(model, row.x, row.tx, row.T, horizon),
    expectedSpend: gammaGamma === null || row.zbar === null ? null : conditionalExpectedSpend(gammaGamma, row.x, row.zbar),
  };
}

export interface SummaryForecastOptions {
  /** Days per time unit of the file and the parameters (1 for days, 7 for weeks). */
  readonly unitDays: number;
  /** Share of the spend kept as contribution margin. */
  readonly marginRate: number;
  readonly horizonDays: number;
  readonly periodDays: number;
  readonly annualDiscountRate: number;
}

export interface SummaryForecast {
  /** Expected repeat purchases in the next 30, 90 and 365 days. */
  readonly expectedPurchases: readonly [number, number, number];
  /** Median days to the next purchase if alive (models/next-purchase.ts). */
  readonly nextPurchaseMedianDays: number;
  /** t_x / x in days; null when x = 0. */
  readonly meanDaysBetweenPurchases: number | null;
  /** margin × expected spend × discounted expected purchases over one year / the horizon; null without a spend. */
  readonly clvYear: number | null;
  readonly clvHorizon: number | null;
}

const FORECAST_DAYS = [30, 90, 365] as const;
const scratch = new Float64Array(FORECAST_DAYS.length);

export function forecastSummaryRow(model: PurchaseModel, row: SummaryRow, expectedSpend: number | null, options: SummaryForecastOptions): SummaryForecast {
  const u = options.unitDays;
  // The models are unit-agnostic: α, β and every time scale together.
  const daily = inDays(model, u);
  const tx = row.tx * u;
  const T = row.T * u;
  modelConditionalExpectedPurchasesAt(daily, row.x, tx, T, FORECAST_DAYS, scratch);
  const clvOver = (horizonDays: number): number | null =>
    expectedSpend === null ? null : options.marginRate * expectedSpend * discountedPurchases(daily, row, u, horizonDays, options);
  return {
    expectedPurchases: [scratch[0]!, scratch[1]!, scratch[2]!],
    nextPurchaseMedianDays: medianTimeToNextPurchaseIfAlive(daily.params.r, daily.params.alpha, row.x, T),
    meanDaysBetweenPurchases: row.x === 0 ? null : tx / row.x,
    clvYear: clvOver(365),
    clvHorizon: clvOver(options.horizonDays),
  };
}

function discountedPurchases(daily: PurchaseModel, row: SummaryRow, u: number, horizonDays: number, options: SummaryForecastOptions): number {
  const schedule = discountSchedule({ horizonDays, periodDays: options.periodDays, annualDiscountRate: options.annualDiscountRate });
  return modelDiscountedExpectedPurchases(daily, row.x, row.tx * u, row.T * u, schedule);
}

/** Covariances of the fitted log-parameters (the fit JSON's `covariance_log`). */
export interface FittedUncertainty {
  readonly purchase: readonly (readonly number[])[] | null;
  readonly gammaGamma: readonly (readonly number[])[] | null;
}

export interface SummaryPredictionIntervals {
  /** Expected purchases over the scoring horizon (file units). */
  readonly expectedPurchases: Interval;
  /** CLV over the configured horizon; null without a spend. */
  readonly clvHorizon: Interval | null;
}

/** The intervals of one row; null without the purchase model's covariance. */
export function summaryPredictionIntervals(
  model: PurchaseModel,
  gammaGamma: GammaGammaParams | null,
  uncertainty: FittedUncertainty,
  row: SummaryRow,
  horizon: number,
  options: SummaryForecastOptions,
): SummaryPredictionIntervals | null {
  const purchaseCovariance = uncertainty.purchase;
  if (purchaseCovariance === null) return null;
  const withSpend = gammaGamma !== null && row.zbar !== null;
  const ggCovariance = withSpend ? uncertainty.gammaGamma : null;
  const purchaseParams = parameterVector(model);
  const k = purchaseParams.length;
  const params = ggCovariance === null ? purchaseParams : [...purchaseParams, gammaGamma!.p, gammaGamma!.q, gammaGamma!.v];
  const covariance = params.map((_, i) =>
    params.map((__, j) => (i < k && j < k ? purchaseCovariance[i]![j]! : i >= k && j >= k ? ggCovariance![i - k]![j - k]! : 0)),
  );
  const predict = (v: readonly number[]): number[] => {
    const m = withParameters(model, v);
    const expected = modelConditionalExpectedPurchases(m, row.x, row.tx, row.T, horizon);
    if (!withSpend) return [expected];
    const gg = v.length > k ? { p: v[k]!, q: v[k + 1]!, v: v[k + 2]! } : gammaGamma;
    const spend = conditionalExpectedSpend(gg, row.x, row.zbar);
    return [expected, options.marginRate * spend * discountedPurchases(inDays(m, options.unitDays), row, options.unitDays, options.horizonDays, options)];
  };
  const values = predict(params);
  const variances = deltaVariances(predict, params, covariance);
  return {
    expectedPurchases: predictionInterval(values[0]!, variances[0]!),
    clvHorizon: withSpend ? predictionInterval(values[1]!, variances[1]!) : null,
  };
}
