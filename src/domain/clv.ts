/**
 * Customer lifetime value, historic and predicted, in base-currency minor units
 * (the one definition of docs/domain.md, "Customer lifetime value").
 *
 * Historic CLV = contribution margin of purchases net of the margin refunded
 *   − cost to serve + referral value credited
 *   − acquisition cost (once the customer has bought).
 * A refund takes back the margin of the order it refunds (pro rata), or the
 * configured margin rate of it when the order is unknown: the goods come back, so
 * the full refund is not a loss of margin.
 *
 * Predicted CLV, the simple rule and the model alike, is the net present value
 * over the horizon of the expected purchases (purchase days, as BTYD counts
 * them) times the expected net contribution of one:
 *
 *   predicted = v · Σₖ E[purchases in period k] · (1 + d)^(−tₖ/365)
 *   v = spend · margin rate · (1 − refunded share of margin)
 *       − (cost to serve − referral value) / purchase days
 *
 * The rules differ only in E[purchases] and the spend: the model takes both from
 * BTYD (scoring.ts), the simple rule takes the observed purchase rate kept with
 * survival `RETENTION_RATE`^(tₖ/365), and the observed spend per purchase day.
 * A cancelled customer's predicted CLV is 0 (profile.ts) until they buy again.
 */
import type { DomainParameters } from './parameters.js';
import type { BtydSummary } from './btyd.js';
import { discountSchedule, type DiscountSchedule } from './models/index.js';
import type { CustomerState } from './state.js';

export function netMarginMinor(s: CustomerState): number {
  return s.marginMinor - s.refundMarginMinor;
}

/** Estimated (flat rate or activity-cost table) and actual (the company's own figure) cost of one activity. */
export interface ActivityCost {
  readonly estimatedMinor: number;
  readonly actualMinor: number;
}

export interface CostToServe {
  readonly orders: ActivityCost;
  readonly returns: ActivityCost;
  readonly interactions: ActivityCost;
  readonly estimatedMinor: number;
  readonly actualMinor: number;
  readonly totalMinor: number;
}

/**
 * Cost to serve by activity: orders and returns that carried `cost_to_serve`
 * count at that figure, the others at COST_PER_ORDER / COST_PER_RETURN; service
 * interactions at their own cost or the activity-cost table's.
 */
export function costToServe(s: CustomerState, parameters: DomainParameters): CostToServe {
  const orders = { estimatedMinor: (s.orders - s.costedOrders) * parameters.costPerOrderMinor, actualMinor: s.orderCostMinor };
  const returns = { estimatedMinor: (s.returns - s.costedReturns) * parameters.costPerReturnMinor, actualMinor: s.returnCostMinor };
  const interactions = { estimatedMinor: s.interactionEstimateMinor, actualMinor: s.interactionCostMinor };
  const estimatedMinor = orders.estimatedMinor + returns.estimatedMinor + interactions.estimatedMinor;
  const actualMinor = orders.actualMinor + returns.actualMinor + interactions.actualMinor;
  return { orders, returns, interactions, estimatedMinor, actualMinor, totalMinor: estimatedMinor + actualMinor };
}

/** The total of `costToServe`, without building the breakdown (it runs on every evaluation). */
export function costToServeMinor(s: CustomerState, parameters: DomainParameters): number {
  return (
    (s.orders - s.costedOrders) * parameters.costPerOrderMinor +
    s.orderCostMinor +
    (s.returns - s.costedReturns) * parameters.costPerReturnMinor +
    s.returnCostMinor +
    s.interactionEstimateMinor +
    s.interactionCostMinor
  );
}

export function historicClvMinor(s: CustomerState, parameters: DomainParameters): number {
  const acquisition = s.orders > 0 ? parameters.acquisitionCostMinor : 0;
  return netMarginMinor(s) - costToServeMinor(s, parameters) + s.referralValueMinor - acquisition;
}

/** Share of revenue kept as margin by this customer's orders (falls back to the configured rate). */
export function customerMarginRate(s: CustomerState, parameters: DomainParameters): number {
  return s.grossMinor > 0 ? s.marginMinor / s.grossMinor : parameters.marginRate;
}

/**
 * v: the expected net contribution of one future purchase day of this customer
 * spending `spendPerPurchase` — its margin at the customer's margin rate, less
 * the share of margin the customer has refunded so far, less the cost to serve
 * and plus the referral value the customer has brought, both per purchase day
 * so far. Negative when serving the customer costs more than it earns.
 */
export function contributionPerPurchaseMinor(s: CustomerState, spendPerPurchase: number, parameters: DomainParameters): number {
  if (s.purchaseDays === 0) return 0;
  const kept = s.marginMinor > 0 ? Math.max(0, netMarginMinor(s)) / s.marginMinor : 1;
  return (
    spendPerPurchase * customerMarginRate(s, parameters) * kept -
    (costToServeMinor(s, parameters) - s.referralValueMinor) / s.purchaseDays
  );
}

interface HorizonSchedule {
  readonly schedule: DiscountSchedule;
  /** Σₖ lengthₖ · retention^(tₖ/365) · discountₖ, days: the simple rule's discounted, surviving exposure. */
  readonly simpleExposureDays: number;
}

/**
 * Discount factors and period ends depend only on the configuration and the
 * horizon: computed once per configuration and horizon (the configured one, and
 * the one year the customer view shows beside it).
 */
const schedules = new WeakMap<DomainParameters, Map<number, HorizonSchedule>>();

function horizonSchedule(parameters: DomainParameters, horizonDays: number = parameters.clvHorizonDays): HorizonSchedule {
  let byHorizon = schedules.get(parameters);
  if (byHorizon === undefined) {
    byHorizon = new Map();
    schedules.set(parameters, byHorizon);
  }
  let entry = byHorizon.get(horizonDays);
  if (entry === undefined) {
    const schedule = discountSchedule({
      horizonDays,
      periodDays: parameters.clvPeriodDays,
      annualDiscountRate: parameters.annualDiscountRate,
    });
    let exposure = 0;
    let start = 0;
    for (let k = 0; k < schedule.periodEnds.length; k++) {
      const end = schedule.periodEnds[k]!;
      exposure += (end - start) * Math.pow(parameters.retentionRate, end / 365) * schedule.discountFactors[k]!;
      start = end;
    }
    entry = { schedule, simpleExposureDays: exposure };
    byHorizon.set(horizonDays, entry);
  }
  return entry;
}

/** The discounting schedule over `horizonDays` (default: the configured CLV horizon). */
export function discountScheduleOf(parameters: DomainParameters, horizonDays: number = parameters.clvHorizonDays): DiscountSchedule {
  return horizonSchedule(parameters, horizonDays).schedule;
}

/**
 * The simple rule's purchase rate: purchase days per day observed, over
 * max(T + 1, `minObservationDays`) so that a customer seen for one day is not
 * extrapolated to a purchase a day. 0 before the first purchase.
 */
export function simplePurchasesPerDay(s: CustomerState, summary: BtydSummary | null, parameters: DomainParameters): number {
  if (summary === null || s.purchaseDays === 0) return 0;
  return s.purchaseDays / Math.max(summary.T + 1, parameters.minObservationDays);
}

/**
 * The simple rule (no fitted purchase model): the purchase rate of
 * `simplePurchasesPerDay`, kept with yearly survival `retentionRate` and
 * discounted period by period over the horizon (default: the configured one).
 */
export function simplePredictedClvMinor(
  s: CustomerState,
  summary: BtydSummary | null,
  parameters: DomainParameters,
  horizonDays: number = parameters.clvHorizonDays,
): number {
  const perDay = simplePurchasesPerDay(s, summary, parameters);
  if (perDay === 0) return 0;
  const spend = s.grossMinor / s.purchaseDays;
  return Math.round(perDay * horizonSchedule(parameters, horizonDays).simpleExposureDays * contributionPerPurchaseMinor(s, spend, parameters));
}
