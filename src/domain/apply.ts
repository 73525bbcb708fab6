/**
 * How each input changes the kept facts of one customer (sums, days, memories).
 * Order-independent where it can be: sums commute, "latest" facts compare event
 * times, never arrival order. Every function mutates the reducer's working copy.
 */
import type { DomainParameters } from './parameters.js';
import type {
  CancellationInput,
  FeedbackInput,
  InteractionInput,
  PurchaseInput,
  ReferralAttributedInput,
  ReferralCreditInput,
  ReferralInput,
  ReturnInput,
} from './input.js';
import { placePurchaseDay } from './purchase-days.js';
import { hashEventId } from './recent-ids.js';
import { DAY_MS } from './time.js';
import type { ComplaintCase, CreditSource, CustomerState, RecentOrder, UnattributedDay } from './state.js';

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
  parameters: DomainParameters,
  out: ApplyOutput,
): void {
  if (s.lastDay !== null && e.day < s.lastDay) out.flags.push('late');
  const placement = placePurchaseDay(s, e.day, e.amountMinor, parameters.memory.latePurchaseDays);
  if (placement === 'new-day-unverified') {
    s.latePurchasesBeyondWindow += 1;
    out.flags.push('late_beyond_window');
  }
  const margin = e.marginMinor ?? Math.round(e.amountMinor * parameters.marginRate);
  s.orders += 1;
  s.grossMinor += e.amountMinor;
  s.discountMinor += e.discountMinor;
  s.marginMinor += margin;
  if (e.costMinor !== null) {
    s.costedOrders += 1;
    s.orderCostMinor += e.costMinor;
  }
  if (s.lastPurchaseAt === null || e.at > s.lastPurchaseAt) s.lastPurchaseAt = e.at;
  // Orders without their own id use the event id: hash it once.
  const orderKey = e.orderId === e.eventId ? idHash : hashEventId(e.orderId);
  const order: RecentOrder = { orderKey, day: e.day, amountMinor: e.amountMinor, marginMinor: margin };
  rememberOrder(s.recentOrders, order, parameters.memory.recentOrders);
  const credit = referralCreditOf(margin, parameters);
  if (s.referredBy === null) rememberUnattributed(s, e.day, credit, parameters.memory.unattributedPurchaseDays);
  else if (isWithinReferralWindow(s, e.day, parameters)) {
    // Caused no earlier than the latest purchase: a late purchase's credit then takes hold after the credits before it, in sequence order.
    const causedAt = Math.max(e.at, s.lastPurchaseAt ?? e.at);
    const causedDay = Math.max(e.day, s.lastDay ?? e.day);
    creditReferrer(s, `credit:${s.customerId}:${orderKey.toString(36)}`, e.at, e.day, credit, 1, settledAfter(causedAt, causedDay, parameters), out);
  }
}

export function applyReturn(s: CustomerState, e: ReturnInput, parameters: DomainParameters, out: ApplyOutput): void {
  s.returns += 1;
  s.refundMinor += e.amountMinor;
  if (e.costMinor !== null) {
    s.costedReturns += 1;
    s.returnCostMinor += e.costMinor;
  }
  const key = e.orderId === null ? null : hashEventId(e.orderId);
  const order = key === null ? undefined : s.recentOrders.find((o) => o.orderKey === key);
  if (order === undefined) {
    s.unmatchedReturns += 1;
    s.refundMarginMinor += Math.round(e.amountMinor * parameters.marginRate);
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
  const keep = Math.max(1, parameters.churn.returnsSpikeCount);
  if (s.recentReturnDays.length > keep) s.recentReturnDays.splice(0, s.recentReturnDays.length - keep);
}

export function applyReferral(s: CustomerState, e: ReferralInput, parameters: DomainParameters, out: ApplyOutput): void {
  s.referralsMade += 1;
  s.referralValueMinor += parameters.referralValueMinor;
  out.internal.push({
    kind: 'referral_attributed',
    eventId: `${e.eventId}:attributed`,
    customerId: e.referredCustomerId,
    at: e.at,
    day: e.day,
    ...settledAfter(e.at, e.day, parameters),
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
 * A service interaction: its cost (its own, else the activity-cost table's for
 * its kind, priced now as a purchase's margin rate is) and, for a complaint, its
 * case. A complaint whose case is already known is the same complaint again (a
 * follow-up or its resolution): it is not counted twice, and resolved it closes
 * the case. A resolution never reopens, so the outcome does not depend on whether
 * the opening or the resolution arrived first.
 */
export function applyInteraction(s: CustomerState, e: InteractionInput, parameters: DomainParameters): void {
  s.interactions += 1;
  if (e.costMinor !== null) s.interactionCostMinor += e.costMinor;
  else s.interactionEstimateMinor += parameters.interactionCostMinor[e.interactionKind];
  if (e.interactionKind !== 'complaint') return;
  // The latest complaint event of any case, follow-ups included: the same whatever the arrival order.
  if (s.lastComplaintAt === null || e.at > s.lastComplaintAt) {
    s.lastComplaintAt = e.at;
    s.lastComplaintDay = e.day;
  }
  const caseKey = hashEventId(e.caseId ?? e.eventId);
  const cases = s.complaintCases;
  const capacity = Math.max(1, parameters.memory.complaintCases, parameters.churn.repeatedComplaintCount);
  const known = cases.findIndex((c) => c.caseKey === caseKey);
  if (known < 0) {
    s.complaints += 1;
    rememberCase(cases, { caseKey, day: e.day, open: !e.resolved }, capacity);
    return;
  }
  const c = cases[known] as ComplaintCase;
  // A case is dated by its earliest event and stays closed once resolved.
  const day = Math.min(c.day, e.day);
  const open = c.open && !e.resolved;
  if (day === c.day && open === c.open) return;
  cases.splice(known, 1);
  rememberCase(cases, { caseKey, day, open }, capacity);
}

/** Keeps the latest `capacity` cases by (day, key), independent of arrival order. */
function rememberCase(cases: ComplaintCase[], c: ComplaintCase, capacity: number): void {
  let i = cases.length;
  while (i > 0) {
    const before = cases[i - 1] as ComplaintCase;
    if (before.day < c.day || (before.day === c.day && before.caseKey < c.caseKey)) break;
    i--;
  }
  cases.splice(i, 0, c);
  if (cases.length > capacity) cases.splice(0, cases.length - capacity);
}

/**
 * The first attribution to take hold wins (the reducer ignores any later one):
 * attributions take hold in (time, event id) order at the referred customer, so
 * the earliest referral wins whatever the internal topic's timing. Purchases
 * made before it inside the window — however many, kept by day in
 * `unattributedDays` — are credited now in one credit.
 */
export function applyReferralAttributed(
  s: CustomerState,
  e: ReferralAttributedInput,
  parameters: DomainParameters,
  out: ApplyOutput,
): void {
  s.referredBy = e.referrerId;
  s.referredAtDay = e.day;
  let value = 0;
  let orders = 0;
  let latest = e.day;
  for (const d of s.unattributedDays) {
    if (!isWithinReferralWindow(s, d.day, parameters)) continue;
    value += d.creditMinor;
    orders += d.orders;
    latest = Math.max(latest, d.day);
  }
  s.unattributedDays = [];
  // Dated on the latest purchase it covers, as the last of one credit per purchase would be:
  // the referrer's clock (asOfDay) then ends where it would have.
  // Caused when the attribution took hold, so it takes hold one settle delay after that.
  const settled = settledAfter(e.applyAt, e.applyDay, parameters);
  if (orders > 0) creditReferrer(s, `credit:${s.customerId}:attributed`, Math.max(e.at, latest * DAY_MS), latest, value, orders, settled, out);
}

/** A credit this referrer has applied before (the relay may deliver one twice), recognised by its source's sequence. */
export function isRepeatedCredit(s: CustomerState, e: ReferralCreditInput): boolean {
  if (e.sequence === null) return false;
  const found = findSource(s.creditSources, hashEventId(e.sourceCustomerId));
  return found >= 0 && e.sequence <= (s.creditSources[found] as CreditSource).sequence;
}

export function applyReferralCredit(s: CustomerState, e: ReferralCreditInput): void {
  s.referralValueMinor += e.valueMinor;
  if (e.firstPurchase) s.successfulReferrals += 1;
  if (e.sequence === null) return;
  const source = hashEventId(e.sourceCustomerId);
  const found = findSource(s.creditSources, source);
  const entry: CreditSource = { source, sequence: e.sequence };
  if (found >= 0) s.creditSources[found] = entry;
  else s.creditSources.splice(~found, 0, entry);
}

/** Index of `source` in the list ordered by source, else the one's complement of where it belongs. */
function findSource(sources: readonly CreditSource[], source: number): number {
  let lo = 0;
  let hi = sources.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const at = (sources[mid] as CreditSource).source;
    if (at === source) return mid;
    if (at < source) lo = mid + 1;
    else hi = mid;
  }
  return ~lo;
}

/**
 * Adds a purchase's credit to its day in `unattributedDays` (ordered by day),
 * keeping the latest `capacity` days. Not bounded by the referral window: the
 * attribution is dated at the referral, and in a back-fill the referred
 * customer's partition can run far ahead of the referrer's in event time (a
 * year and more), so any purchase day may still fall inside a window to come.
 */
function rememberUnattributed(s: CustomerState, day: number, creditMinor: number, capacity: number): void {
  const days = s.unattributedDays;
  let i = days.length;
  while (i > 0 && (days[i - 1] as UnattributedDay).day > day) i--;
  const same = days[i - 1];
  if (same !== undefined && same.day === day) days[i - 1] = { day, creditMinor: same.creditMinor + creditMinor, orders: same.orders + 1 };
  else days.splice(i, 0, { day, creditMinor, orders: 1 });
  if (days.length > capacity) days.splice(0, days.length - capacity);
}

function isWithinReferralWindow(s: CustomerState, day: number, parameters: DomainParameters): boolean {
  return s.referredAtDay !== null && day >= s.referredAtDay && day - s.referredAtDay <= parameters.referralWindowDays;
}

function creditReferrer(
  s: CustomerState,
  eventId: string,
  at: number,
  day: number,
  valueMinor: number,
  purchases: number,
  settled: Settled,
  out: ApplyOutput,
): void {
  if (s.referredBy === null) return;
  out.internal.push({
    kind: 'referral_credit',
    eventId,
    customerId: s.referredBy,
    at,
    day,
    ...settled,
    sourceCustomerId: s.customerId,
    valueMinor,
    firstPurchase: s.referralCreditedPurchases === 0,
    purchases,
    sequence: s.referralCreditedPurchases + purchases,
  });
  s.referralCreditedPurchases += purchases;
}

interface Settled {
  readonly applyAt: number;
  readonly applyDay: number;
}

/** When an effect caused at (`at`, `day`) takes hold at its target: one settle delay later. */
function settledAfter(at: number, day: number, parameters: DomainParameters): Settled {
  // An input of an earlier release (applied on arrival) causes effects that take hold on arrival too.
  if (at === -Infinity) return { applyAt: -Infinity, applyDay: day };
  const days = parameters.referralSettleDays;
  return { applyAt: at + days * DAY_MS, applyDay: day + days };
}

/** What one purchase earns its referrer. */
function referralCreditOf(marginMinor: number, parameters: DomainParameters): number {
  return Math.max(0, Math.round(marginMinor * parameters.referralPurchaseShare));
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
