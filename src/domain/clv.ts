/**
 * Customer lifetime value, historic and predicted, in base-currency minor units.
 *
 * Historic CLV = contribution margin of purchases net of the margin refunded
 *   − cost to serve (per order and per return) + referral value credited
 *   − acquisition cost (once the customer has bought).
 * A refund takes back the margin of the order it refunds (pro rata), or the
 * configured margin rate of it when the order is unknown: the goods come back, so
 * the full refund is not a loss of margin.
 *
 * Simple predicted CLV (before a model is fitted, DESIGN §2): margin per order ×
 * purchases per year × expected lifetime in years, lifetime = 1 / (1 − retention).
 * Purchases per year are the purchase days over max(T + 1, minObservationDays), so
 * a customer seen for one day is not extrapolated to 365 orders a year. The margin
 * (rather than revenue) keeps it comparable with the model form, which multiplies
 * by margin too.
 */
import type { DomainConfig } from './config.js';
import type { BtydSummary } from './btyd.js';
import type { CustomerState } from './state.js';

export function netMarginMinor(s: CustomerState): number {
  return s.marginMinor - s.refundMarginMinor;
}

export function costToServeMinor(s: CustomerState, config: DomainConfig): number {
  return s.orders * config.costPerOrderMinor + s.returns * config.costPerReturnMinor;
}

export function historicClvMinor(s: CustomerState, config: DomainConfig): number {
  const acquisition = s.orders > 0 ? config.acquisitionCostMinor : 0;
  return netMarginMinor(s) - costToServeMinor(s, config) + s.referralValueMinor - acquisition;
}

/** Share of revenue kept as margin by this customer's orders (falls back to the configured rate). */
export function customerMarginRate(s: CustomerState, config: DomainConfig): number {
  return s.grossMinor > 0 ? s.marginMinor / s.grossMinor : config.marginRate;
}

export function simplePredictedClvMinor(s: CustomerState, summary: BtydSummary | null, config: DomainConfig): number {
  if (summary === null || s.orders === 0) return 0;
  const marginPerOrder = netMarginMinor(s) / s.orders;
  const perYear = (s.purchaseDays / Math.max(summary.T + 1, config.minObservationDays)) * 365;
  const lifetimeYears = 1 / (1 - config.retentionRate);
  return Math.round(marginPerOrder * perYear * lifetimeYears);
}
