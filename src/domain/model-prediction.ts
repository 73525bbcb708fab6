/**
 * The bridge from a customer's BTYD summary to the fitted population model:
 * P(alive) (or why there is none) and model-based predicted CLV, or null when
 * the model is not fitted (the reducer then falls back to the inactivity rule
 * and the simple CLV). Model parameters are in days and base-currency minor units.
 */
import type { PAliveReason } from '../contracts/segments.js';
import type { BtydSummary } from './btyd.js';
import { discountScheduleOf, contributionPerPurchaseMinor } from './clv.js';
import type { DomainParameters } from './parameters.js';
import { purchaseModelOf, type ModelSnapshot } from './model-snapshot.js';
import {
  conditionalExpectedSpend,
  modelDiscountedExpectedPurchases,
  modelProbabilityAlive,
  type GammaGammaParams,
  type PurchaseModel,
} from './models/index.js';
import type { CustomerState } from './state.js';

export function pAliveOf(model: ModelSnapshot, summary: BtydSummary): number | null {
  const m = purchaseModelOf(model);
  if (m === null) return null;
  // The BG/NBD's P(alive) of a one-time buyer is 1 whatever the time: it says nothing.
  if (m.kind === 'bgnbd' && summary.x === 0) return null;
  return modelProbabilityAlive(m, summary.x, summary.tx, summary.T);
}

/** Why `pAliveOf` gave null (null when it gave a number). */
export function pAliveReasonOf(model: ModelSnapshot, summary: BtydSummary | null): PAliveReason | null {
  if (summary === null) return 'no_purchase';
  const m = purchaseModelOf(model);
  if (m === null) return 'no_model';
  if (m.kind === 'bgnbd' && summary.x === 0) return 'one_time_buyer';
  return null;
}

/**
 * Expected purchases from the purchase model, spend from the Gamma-Gamma (or the
 * customer's observed spend per purchase day without one), the contribution of
 * clv.ts; null before a purchase model is fitted.
 */
export function modelPredictedClvMinor(
  s: CustomerState,
  summary: BtydSummary,
  model: ModelSnapshot,
  parameters: DomainParameters,
  horizonDays: number = parameters.clvHorizonDays,
): number | null {
  const m = purchaseModelOf(model);
  if (m === null) return null;
  return Math.round(modelPredictedClvExact(s, summary, m, model.gammaGamma, parameters, horizonDays));
}

/**
 * The model CLV before rounding to minor units, for given parameters: what
 * `modelPredictedClvMinor` rounds, and what the prediction intervals
 * differentiate (a rounded value has no useful derivative).
 */
export function modelPredictedClvExact(
  s: CustomerState,
  summary: BtydSummary,
  m: PurchaseModel,
  gammaGamma: GammaGammaParams | null,
  parameters: DomainParameters,
  horizonDays: number,
): number {
  if (s.purchaseDays === 0) return 0;
  const purchases = modelDiscountedExpectedPurchases(m, summary.x, summary.tx, summary.T, discountScheduleOf(parameters, horizonDays));
  if (purchases === 0) return 0;
  return purchases * contributionPerPurchaseMinor(s, spendPerPurchaseMinor(s, summary, gammaGamma), parameters);
}

/**
 * The spend of one future purchase day the model CLV assumes: the Gamma-Gamma
 * conditional expectation, or the customer's observed spend per purchase day
 * without a Gamma-Gamma model. null before the first purchase.
 */
export function modelSpendPerPurchaseMinor(s: CustomerState, summary: BtydSummary, model: ModelSnapshot): number | null {
  if (s.purchaseDays === 0) return null;
  return spendPerPurchaseMinor(s, summary, model.gammaGamma);
}

function spendPerPurchaseMinor(s: CustomerState, summary: BtydSummary, gammaGamma: GammaGammaParams | null): number {
  return gammaGamma === null ? s.grossMinor / s.purchaseDays : conditionalExpectedSpend(gammaGamma, summary.x, summary.zbar);
}
