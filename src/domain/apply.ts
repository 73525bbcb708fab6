/**
 * How each input changes the kept facts of one customer (sums, days, memories).
 * Order-independent where it can be: sums commute, "latest" facts compare event
 * times, never arrival order. Every function mutates the reducer's working copy.
 */
import type { DomainConfig } from './config.js';
import type {
  CancellationInput,
  FeedbackInput,
  PurchaseInput,
  ReferralAttributedInput,
  ReferralCreditInput,
  ReferralInput,
  ReturnInput,
} from './input.js';
import { placePurchaseDay } from './purchase-days.js';
import { hashEventId } from './recent-ids.js';
import type { CustomerState, RecentOrder } from './state.js';

export type Flag = 'duplicate' | 'unmatched_return' | 'late_beyond_window' | 'late';

/** An effect on another customer, for the runtime to route (the repartition topic). */
export type CrossCustomerInput = ReferralAttributedInput | ReferralCreditInput;

export interface ApplyOutput {
  readonly flags: Flag[];
  readonly internal: CrossCustomerInput[];
}

export function applyPurchase(
  s: CustomerState,
  e: PurchaseInput,
  idHash: number,
  config: DomainConfig,
  out: ApplyOutput,
): void {
  if (s.lastDay !== null && e.day < s.lastDay) out.flags.push('late');
  const placement = placePurchaseDay(s, e.day, e.amountMinor, config.memory.latePurchaseDays);
  if (placement === 'new-day-unverified') {
    s.latePurchasesBeyondWindow += 1;
    out.flags.push('late_beyond_window');
  }
  const margin = e.marginMinor ?? Math.round(e.amountMinor * config.marginRate);
  s.orders += 1;
  s.grossMinor += e.amountMinor;
  s.discountMinor += e.discountMinor;
  s.marginMinor += margin;
  if (s.lastPurchaseAt === null || e.at > s.lastPurchaseAt) s.lastPurchaseAt = e.at;
  // Orders without their own id use the event id: hash it once.
  const orderKey = e.orderId === e.eventId ? idHash : hashEventId(e.orderId);
  const order: RecentOrder = { orderKey, day: e.day, amountMinor: e.amountMinor, marginMinor: margin };
  rememberOrder(s.recentOrders, order, config.memory.recentOrders);
  if (isWithinReferralWindow(s, e.day, config)) creditReferrer(s, order, e.at, config, out);
}

export function applyReturn(s: CustomerState, e: ReturnInput, config: DomainConfig, out: ApplyOutput): void {
  s.returns += 1;
  s.refundMinor += e.amountMinor;
  const key = e.orderId === null ? null : hashEventId(e.orderId);
  const order = key === null ? undefined : s.recentOrders.find((o) => o.orderKey === key);
  if (order === undefined) {
    s.unmatchedReturns += 1;
    s.refundMarginMinor += Math.round(e.amountMinor * config.marginRate);
    out.flags.push('unmatched_return');
  } else if (order.amountMinor > 0) {
    // Pro rata, and never more than the order earned (a refund above the order amount).
    s.refundMarginMinor += Math.min(order.marginMinor, Math.round((e.amountMinor * order.marginMinor) / order.amountMinor));
  } else {
    // A free order (amount 0 is a valid purchase) has no pro rata share: take back its whole margin.
    s.refundMarginMinor += order.marginMinor;
  }
  // Keep the latest days only: the spike rule counts the last N returns.
  insertSorted(s.recentReturnDays, e.day);
  const keep = Math.max(1, config.churn.returnsSpikeCount);
  if (s.recentReturnDays.length > keep) s.recentReturnDays.splice(0, s.recentReturnDays.length - keep);
}

export function applyReferral(s: CustomerState, e: ReferralInput, config: DomainConfig, out: ApplyOutput): void {
  s.referralsMade += 1;
  s.referralValueMinor += config.referralValueMinor;
  out.internal.push({
    kind: 'referral_attributed',
    eventId: `${e.eventId}:attributed`,
    customerId: e.referredCustomerId,
    at: e.at,
    day: e.day,
    referrerId: e.customerId,
  });
}

/** The latest cancellation wins; at equal times the smaller reason, so arrival order never decides. */
export function applyCancellation(s: CustomerState, e: CancellationInput): void {
  if (s.cancelledAt !== null && e.at < s.cancelledAt) return;
  if (s.cancelledAt === e.at && s.cancelReason !== null && s.cancelReason <= e.reason) return;
  s.cancelledAt = e.at;
  s.cancelReason = e.reason;
  s.competitor = e.competitor;
}

/** The latest answer wins; at equal times the lower score (the cautious reading), whatever arrives first. */
export function applyFeedback(s: CustomerState, e: FeedbackInput): void {
  if (s.npsAt !== null && e.at < s.npsAt) return;
  if (s.npsAt === e.at && s.npsScore !== null && s.npsScore <= e.score) return;
  s.npsScore = e.score;
  s.npsAt = e.at;
  s.npsDay = e.day;
}

/**
 * The first attribution received wins. Purchases already made inside the window
 * (still in the recent-orders memory) are credited now, so the referrer does not
 * lose credit when the attribution travels slower than the purchase.
 */
export function applyReferralAttributed(
  s: CustomerState,
  e: ReferralAttributedInput,
  config: DomainConfig,
  out: ApplyOutput,
): void {
  if (s.referredBy !== null) return;
  s.referredBy = e.referrerId;
  s.referredAtDay = e.day;
  const orders = s.recentOrders.filter((o) => isWithinReferralWindow(s, o.day, config));
  for (const order of orders) creditReferrer(s, order, e.at, config, out);
}

export function applyReferralCredit(s: CustomerState, e: ReferralCreditInput): void {
  s.referralValueMinor += e.valueMinor;
  if (e.firstPurchase) s.successfulReferrals += 1;
}

function isWithinReferralWindow(s: CustomerState, day: number, config: DomainConfig): boolean {
  return s.referredAtDay !== null && day >= s.referredAtDay && day - s.referredAtDay <= config.referralWindowDays;
}

function creditReferrer(s: CustomerState, order: RecentOrder, at: number, config: DomainConfig, out: ApplyOutput): void {
  if (s.referredBy === null) return;
  out.internal.push({
    kind: 'referral_credit',
    eventId: `credit:${s.customerId}:${order.orderKey.toString(36)}`,
    customerId: s.referredBy,
    at,
    day: order.day,
    sourceCustomerId: s.customerId,
    valueMinor: Math.max(0, Math.round(order.marginMinor * config.referralPurchaseShare)),
    firstPurchase: s.referralCreditedPurchases === 0,
  });
  s.referralCreditedPurchases += 1;
}

/** Keeps the `capacity` most recent orders by (day, id), independent of arrival order. */
function rememberOrder(orders: RecentOrder[], order: RecentOrder, capacity: number): void {
  let i = orders.length;
  while (i > 0 && compareOrders(orders[i - 1], order) > 0) i--;
  if (i === orders.length) orders.push(order);
  else orders.splice(i, 0, order);
  while (orders.length > capacity) orders.shift();
}

function compareOrders(a: RecentOrder | undefined, b: RecentOrder): number {
  if (a === undefined) return -1;
  return a.day - b.day || a.orderKey - b.orderKey;
}

function insertSorted(days: number[], day: number): void {
  let i = days.length;
  while (i > 0 && (days[i - 1] ?? 0) > day) i--;
  days.splice(i, 0, day);
}
