/**
 * The forward-looking figures of one customer as of a day (docs/analytics.md,
 * "The customer's forecast"): expected purchases over the next 30, 90 and 365
 * days, the median wait for the next purchase if the customer is alive, the
 * average interval between purchases, the spend expected per purchase and the
 * predicted CLV for one year and for the configured horizon.
 *
 * With a fitted purchase model every figure is the model's; before the first
 * fit they follow the simple CLV rule (clv.ts): the observed purchase rate,
 * kept with the yearly `retentionRate`, and the observed spend per purchase
 * day. A cancelled account expects nothing until it buys again, like its
 * predicted CLV. Purchases are purchase days, as BTYD counts them.
 */
import { isCancelled } from './account.js';
import { simplePurchasesPerDay } from './clv.js';
import type { DomainParameters } from './parameters.js';
import { purchaseModelOf, type ModelSnapshot } from './model-snapshot.js';
import { modelConditionalExpectedPurchasesAt, type PurchaseModelKind } from './models/index.js';
import {
  expectedPurchasesWithRetention,
  medianTimeToNextPurchaseAtRate,
  medianTimeToNextPurchaseIfAlive,
} from './models/next-purchase.js';
import { predictedClvMinor, type Profile } from './profile.js';
import { modelSpendPerPurchaseMinor } from './model-prediction.js';
import type { CustomerState } from './state.js';

/** The horizons of the expected purchases, days. */
export const FORECAST_HORIZONS_DAYS = [30, 90, 365] as const;
/** The short CLV horizon shown beside the configured one. */
export const ONE_YEAR_DAYS = 365;

/** Where the figures come from: the fitted purchase model, or the simple rule before a fit. */
export type ForecastBasis = PurchaseModelKind | 'simple';

export interface CustomerForecast {
  readonly basis: ForecastBasis;
  /** Expected purchase days in the next 30, 90 and 365 days (FORECAST_HORIZONS_DAYS); 0 without a purchase. */
  readonly expectedPurchases: readonly [number, number, number];
  /**
   * Median days from the evaluation day to the next purchase if the customer is
   * alive (models/next-purchase.ts); null before the first purchase, for a
   * cancelled account, or when no purchase is expected at all.
   */
  readonly nextPurchaseMedianDays: number | null;
  /** t_x / x: days from the first to the last purchase day per repeat purchase day; null without a repeat. */
  readonly meanDaysBetweenPurchases: number | null;
  /** Spend of one future purchase day, minor units (Gamma-Gamma, or the observed mean); null before a purchase. */
  readonly expectedSpendPerPurchaseMinor: number | null;
  readonly predictedClvYearMinor: number;
  readonly predictedClvHorizonMinor: number;
}

const scratch = new Float64Array(FORECAST_HORIZONS_DAYS.length);

export function customerForecast(s: CustomerState, p: Profile, model: ModelSnapshot, parameters: DomainParameters): CustomerForecast {
  const summary = p.summary;
  const m = purchaseModelOf(model);
  const basis: ForecastBasis = m === null ? 'simple' : m.kind;
  const clv = {
    predictedClvYearMinor: predictedClvMinor(s, p, model, parameters, ONE_YEAR_DAYS),
    predictedClvHorizonMinor: predictedClvMinor(s, p, model, parameters),
  };
  const meanDaysBetweenPurchases = summary === null || summary.x === 0 ? null : summary.tx / summary.x;
  if (summary === null || s.purchaseDays === 0) {
    return { basis, expectedPurchases: [0, 0, 0], nextPurchaseMedianDays: null, meanDaysBetweenPurchases, expectedSpendPerPurchaseMinor: null, ...clv };
  }
  const spend = m === null ? s.grossMinor / s.purchaseDays : modelSpendPerPurchaseMinor(s, summary, model);
  if (isCancelled(s)) {
    return { basis, expectedPurchases: [0, 0, 0], nextPurchaseMedianDays: null, meanDaysBetweenPurchases, expectedSpendPerPurchaseMinor: spend, ...clv };
  }
  let expected: [number, number, number];
  let median: number;
  if (m === null) {
    const perDay = simplePurchasesPerDay(s, summary, parameters);
    expected = FORECAST_HORIZONS_DAYS.map((t) => expectedPurchasesWithRetention(perDay, t, parameters.retentionRate, 365)) as [number, number, number];
    median = medianTimeToNextPurchaseAtRate(perDay);
  } else {
    modelConditionalExpectedPurchasesAt(m, summary.x, summary.tx, summary.T, FORECAST_HORIZONS_DAYS, scratch);
    expected = [scratch[0]!, scratch[1]!, scratch[2]!];
    median = medianTimeToNextPurchaseIfAlive(m.params.r, m.params.alpha, summary.x, summary.T);
  }
  return {
    basis,
    expectedPurchases: expected,
    nextPurchaseMedianDays: Number.isFinite(median) ? median : null,
    meanDaysBetweenPurchases,
    expectedSpendPerPurchaseMinor: spend,
    ...clv,
  };
}
