/**
 * Scores one customer summary with fitted parameters: P(alive) now and the
 * expected repeat purchases over the next `horizon` (BG/NBD or modified BG/NBD), and, with a
 * Gamma-Gamma model and a monetary value, the expected value of a future
 * purchase. Units are the parameters' (α in the summary's time unit, v in its
 * money unit).
 *
 * `forecastSummaryRow` adds the customer view's forward-looking figures
 * (forecast.ts) for a summary file: the same definitions, with the file's time
 * unit converted to days (`unitDays` days per unit: 7 for CDNOW's weeks).
 */
import {
  clvSchedule,
  conditionalExpectedPurchases,
  conditionalExpectedPurchasesAt,
  conditionalExpectedSpend,
  discountedExpectedPurchases,
  mbgnbdConditionalExpectedPurchases,
  mbgnbdConditionalExpectedPurchasesAt,
  mbgnbdProbabilityAlive,
  medianTimeToNextPurchaseIfAlive,
  probabilityAlive,
  type BgNbdParams,
  type GammaGammaParams,
  type PurchaseModelKind,
} from '../models/index.js';

export interface CustomerScore {
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

export function scoreCustomer(
  bgnbd: BgNbdParams,
  gammaGamma: GammaGammaParams | null,
  row: SummaryRow,
  horizon: number,
  kind: PurchaseModelKind = 'bgnbd',
): CustomerScore {
  const modified = kind === 'mbgnbd';
  return {
    pAlive: (modified ? mbgnbdProbabilityAlive : probabilityAlive)(bgnbd, row.x, row.tx, row.T),
    expectedPurchases: (modified ? mbgnbdConditionalExpectedPurchases : conditionalExpectedPurchases)(bgnbd, row.x, row.tx, row.T, horizon),
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

export function forecastSummaryRow(
  params: BgNbdParams,
  kind: PurchaseModelKind,
  row: SummaryRow,
  expectedSpend: number | null,
  options: SummaryForecastOptions,
): SummaryForecast {
  const u = options.unitDays;
  // The models are unit-agnostic: α and every time scale together.
  const inDays: BgNbdParams = { ...params, alpha: params.alpha * u };
  const tx = row.tx * u;
  const T = row.T * u;
  (kind === 'mbgnbd' ? mbgnbdConditionalExpectedPurchasesAt : conditionalExpectedPurchasesAt)(inDays, row.x, tx, T, FORECAST_DAYS, scratch);
  const clvOver = (horizonDays: number): number | null => {
    if (expectedSpend === null) return null;
    const schedule = clvSchedule({ horizonDays, periodDays: options.periodDays, annualDiscountRate: options.annualDiscountRate });
    return options.marginRate * expectedSpend * discountedExpectedPurchases(inDays, row.x, tx, T, schedule, kind);
  };
  return {
    expectedPurchases: [scratch[0]!, scratch[1]!, scratch[2]!],
    nextPurchaseMedianDays: medianTimeToNextPurchaseIfAlive(inDays.r, inDays.alpha, row.x, T),
    meanDaysBetweenPurchases: row.x === 0 ? null : tx / row.x,
    clvYear: clvOver(365),
    clvHorizon: clvOver(options.horizonDays),
  };
}
