/**
 * The bridge from a customer's BTYD summary to the fitted population model:
 * P(alive) (or why there is none) and model-based predicted CLV, or null when
 * the model is not fitted (the reducer then falls back to the inactivity rule
 * and the simple CLV). Model parameters are in days and base-currency minor units.
 */
import type { PAliveReason } from '../contracts/segments.js';
import type { BtydSummary } from './btyd.js';
import { clvScheduleOf, contributionPerPurchaseMinor } from './clv.js';
import type { DomainConfig } from './config.js';
import type { ModelSnapshot } from './model-snapshot.js';
import { conditionalExpectedSpend, discountedExpectedPurchases, mbgnbdProbabilityAlive, probabilityAlive } from './models/index.js';
import type { CustomerState } from './state.js';

export function pAliveOf(model: ModelSnapshot, summary: BtydSummary): number | null {
  if (model.bgnbd === null) return null;
  if (model.purchaseModel === 'mbgnbd') return mbgnbdProbabilityAlive(model.bgnbd, summary.x, summary.tx, summary.T);
  // The BG/NBD's P(alive) of a one-time buyer is 1 whatever the time: it says nothing.
  return summary.x === 0 ? null : probabilityAlive(model.bgnbd, summary.x, summary.tx, summary.T);
}

/** Why `pAliveOf` gave null (null when it gave a number). */
export function pAliveReasonOf(model: ModelSnapshot, summary: BtydSummary | null): PAliveReason | null {
  if (summary === null) return 'no_purchase';
  if (model.bgnbd === null) return 'no_model';
  if (model.purchaseModel !== 'mbgnbd' && summary.x === 0) return 'one_time_buyer';
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
  config: DomainConfig,
  horizonDays: number = config.clvHorizonDays,
): number | null {
  if (model.bgnbd === null) return null;
  if (s.purchaseDays === 0) return 0;
  const purchases = discountedExpectedPurchases(model.bgnbd, summary.x, summary.tx, summary.T, clvScheduleOf(config, horizonDays), model.purchaseModel);
  if (purchases === 0) return 0;
  return Math.round(purchases * contributionPerPurchaseMinor(s, modelSpendPerPurchaseMinor(s, summary, model) ?? 0, config));
}

/**
 * The spend of one future purchase day the model CLV assumes: the Gamma-Gamma
 * conditional expectation, or the customer's observed spend per purchase day
 * without a Gamma-Gamma model. null before the first purchase.
 */
export function modelSpendPerPurchaseMinor(s: CustomerState, summary: BtydSummary, model: ModelSnapshot): number | null {
  if (s.purchaseDays === 0) return null;
  return model.gammaGamma === null ? s.grossMinor / s.purchaseDays : conditionalExpectedSpend(model.gammaGamma, summary.x, summary.zbar);
}
