/**
 * Everything kept per customer. Plain data (numbers, strings, arrays) so that the
 * state store can pack it compactly; every derived figure (R/F/M, scores, CLV,
 * P(alive)) is recomputed from these fields, except the last emitted segment
 * values and churn level, which are kept to detect changes.
 */
import type { CancellationReason } from '../contracts/inbound.js';
import type { AccountStatus, ChurnLevel, RelationshipLevel, RfmSegment, ValueQuadrant } from '../contracts/segments.js';

export const STATE_VERSION = 3;

export interface RecentOrder {
  /** 48-bit hash of the order id (see recent-ids.ts): matching needs no more. */
  readonly orderKey: number;
  readonly day: number;
  readonly amountMinor: number;
  readonly marginMinor: number;
}

/**
 * A customer's purchases of one day, made while no referral attribution had
 * reached it: what an attribution that arrives later credits (apply.ts).
 */
export interface UnattributedDay {
  readonly day: number;
  /** What the day's purchases earn a referrer: Σ round(margin × REFERRAL_PURCHASE_SHARE), per purchase as a credit would. */
  readonly creditMinor: number;
  readonly orders: number;
}

/** The last credit applied from one referred customer (48-bit hash of its id), by its sequence number. */
export interface CreditSource {
  readonly source: number;
  readonly sequence: number;
}

/** A complaint case (48-bit hash of its case id, or of the complaint's event id), by the day it was filed. */
export interface ComplaintCase {
  readonly caseKey: number;
  readonly day: number;
  readonly open: boolean;
}

export interface SegmentValues {
  rfm_segment: RfmSegment | null;
  value_quadrant: ValueQuadrant | null;
  relationship: RelationshipLevel;
  account_status: AccountStatus;
}

export interface CustomerState {
  customerId: string;
  /** Latest day the customer was evaluated at; time never moves backwards. */
  asOfDay: number;

  // Purchases (BTYD summary and money). Money in base-currency minor units.
  orders: number;
  /** Distinct purchase days: BTYD x = purchaseDays − 1. */
  purchaseDays: number;
  firstDay: number | null;
  /** Total bought on the first purchase day: excluded from zbar (CDNOW convention). */
  firstDayAmountMinor: number;
  lastDay: number | null;
  lastPurchaseAt: number | null;
  /** Bitmap of purchase days: bit i of the set ⇔ a purchase on day lastDay − i. */
  dayBits: number[];
  grossMinor: number;
  discountMinor: number;
  marginMinor: number;
  refundMinor: number;
  refundMarginMinor: number;
  returns: number;
  unmatchedReturns: number;
  latePurchasesBeyondWindow: number;
  recentOrders: RecentOrder[];
  /** Days of the latest returns, newest last (returns-spike rule). */
  recentReturnDays: number[];

  // Cost to serve (docs/domain.md, "Cost to serve and complaints"). Orders and
  // returns that carried their own cost: how many and the sum; the others are
  // priced by COST_PER_ORDER / COST_PER_RETURN when the figure is read.
  costedOrders: number;
  orderCostMinor: number;
  costedReturns: number;
  returnCostMinor: number;
  /** Service interactions: how many, the costs they carried, and the activity-cost table's price of the others. */
  interactions: number;
  interactionCostMinor: number;
  interactionEstimateMinor: number;

  // Complaints
  complaints: number;
  lastComplaintAt: number | null;
  lastComplaintDay: number | null;
  /** The latest complaint cases by day, oldest first (open-complaint and repeated-complaint rules). */
  complaintCases: ComplaintCase[];

  // Referrals
  referralsMade: number;
  successfulReferrals: number;
  referralValueMinor: number;
  referredBy: string | null;
  referredAtDay: number | null;
  referralCreditedPurchases: number;
  /**
   * Until a referral attribution reaches the customer: its purchases by day,
   * oldest first, within REFERRAL_WINDOW_DAYS of its latest purchase. The
   * attribution travels through the internal topic and may arrive after them;
   * it credits the referrer from here, so the credit never depends on when it
   * arrived. Emptied by the attribution.
   */
  unattributedDays: UnattributedDay[];
  /**
   * As a referrer: per referred customer who sent credits, the last credit's
   * sequence number, ordered by source hash (so the order credits arrived in
   * leaves no trace). A credit at or below it is a repeat.
   */
  creditSources: CreditSource[];

  // Feedback
  npsScore: number | null;
  npsAt: number | null;
  npsDay: number | null;

  // Cancellation
  cancelledAt: number | null;
  cancelReason: CancellationReason | null;
  competitor: string | null;

  // Last published values, the per-customer emission sequence and the next check.
  segments: SegmentValues;
  churnLevel: ChurnLevel;
  nextCheckDay: number | null;
  emitted: number;
  /** 48-bit hashes of the latest event ids, newest last (duplicate detection). */
  recentIds: number[];
}

export function emptyState(customerId: string): CustomerState {
  return {
    customerId,
    asOfDay: Number.MIN_SAFE_INTEGER,
    orders: 0,
    purchaseDays: 0,
    firstDay: null,
    firstDayAmountMinor: 0,
    lastDay: null,
    lastPurchaseAt: null,
    dayBits: [],
    grossMinor: 0,
    discountMinor: 0,
    marginMinor: 0,
    refundMinor: 0,
    refundMarginMinor: 0,
    returns: 0,
    unmatchedReturns: 0,
    latePurchasesBeyondWindow: 0,
    recentOrders: [],
    recentReturnDays: [],
    costedOrders: 0,
    orderCostMinor: 0,
    costedReturns: 0,
    returnCostMinor: 0,
    interactions: 0,
    interactionCostMinor: 0,
    interactionEstimateMinor: 0,
    complaints: 0,
    lastComplaintAt: null,
    lastComplaintDay: null,
    complaintCases: [],
    referralsMade: 0,
    successfulReferrals: 0,
    referralValueMinor: 0,
    referredBy: null,
    referredAtDay: null,
    referralCreditedPurchases: 0,
    unattributedDays: [],
    creditSources: [],
    npsScore: null,
    npsAt: null,
    npsDay: null,
    cancelledAt: null,
    cancelReason: null,
    competitor: null,
    segments: { rfm_segment: null, value_quadrant: null, relationship: 'prospect', account_status: 'active' },
    churnLevel: 'active',
    nextCheckDay: null,
    emitted: 0,
    recentIds: [],
  };
}

/** A copy the reducer may change without touching its input (arrays copied, records shared). */
export function cloneState(s: CustomerState): CustomerState {
  return {
    ...s,
    dayBits: s.dayBits.slice(),
    recentOrders: s.recentOrders.slice(),
    recentReturnDays: s.recentReturnDays.slice(),
    complaintCases: s.complaintCases.slice(),
    unattributedDays: s.unattributedDays.slice(),
    creditSources: s.creditSources.slice(),
    segments: { ...s.segments },
    recentIds: s.recentIds.slice(),
  };
}
