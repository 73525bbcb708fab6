/**
 * Parameters of the customer-value model that a deployment chooses. Every rule of
 * segments and signals reads its thresholds from here; `defaultDomainParameters` holds
 * the documented defaults (docs/domain.md explains each).
 */
import type { InteractionKind } from '../contracts/inbound.js';
import { CHURN_LEVELS, SEGMENT_DIMENSIONS, type ChurnLevel, type RfmSegment, type SegmentDimension } from '../contracts/segments.js';

/** Upper bounds of score 1..4 (four ascending values); above the last is score 5. */
export interface CutPoints {
  /** Days since last purchase; fewer days → higher R score. */
  readonly recency: readonly number[];
  /** Purchase count (orders). */
  readonly frequency: readonly number[];
  /** Net revenue, base-currency minor units. */
  readonly monetary: readonly number[];
}

export interface ChurnRules {
  /** P(alive) lower bounds for active, cooling, at_risk, highly_at_risk (descending); below → lost. */
  readonly pAliveThresholds: readonly [number, number, number, number];
  /** Recency ÷ typical interval upper bounds for active, cooling, at_risk, highly_at_risk; above → lost. */
  readonly inactivityMultipliers: readonly [number, number, number, number];
  /** Typical inter-purchase interval assumed for one-time buyers, days. */
  readonly oneTimeBuyerIntervalDays: number;
  /** A detractor score (0–6) raises the level by one for this many days. */
  readonly detractorWindowDays: number;
  /** This many returns within `returnsSpikeWindowDays` raise the level by one. */
  readonly returnsSpikeCount: number;
  readonly returnsSpikeWindowDays: number;
  /**
   * Complaints raise the level by one (reason `complaints`) when, among those filed
   * in the last `complaintWindowDays`, at least `openComplaintCount` are still open
   * or at least `repeatedComplaintCount` were made at all. 0 turns a test off.
   */
  readonly complaintWindowDays: number;
  readonly openComplaintCount: number;
  readonly repeatedComplaintCount: number;
}

export interface QuadrantRules {
  /** Loyal: F score and R score at least these. */
  readonly loyalMinFScore: number;
  readonly loyalMinRScore: number;
  /**
   * Profitable: positive historic CLV, M score at least this (default 1: size
   * alone does not make a customer unprofitable), returns and discounts not dominating.
   */
  readonly profitableMinMScore: number;
  readonly maxReturnRate: number;
  readonly maxDiscountShare: number;
}

export interface LadderRules {
  readonly partnerMinReferrals: number;
  readonly partnerMinMScore: number;
}

export interface DomainParameters {
  readonly baseCurrency: string;
  /** Contribution margin as a share of the amount when the event carries no margin. */
  readonly marginRate: number;
  readonly costPerOrderMinor: number;
  readonly costPerReturnMinor: number;
  /** The activity-cost table: the cost of a service interaction of each kind that carries no cost of its own. */
  readonly interactionCostMinor: Readonly<Record<InteractionKind, number>>;
  readonly acquisitionCostMinor: number;
  /** Credited to the referrer for the referral itself. */
  readonly referralValueMinor: number;
  /** Share of a referred customer's purchase margin credited to the referrer. */
  readonly referralPurchaseShare: number;
  readonly referralWindowDays: number;
  /**
   * Days after its cause that a referral effect (an attribution, a credit)
   * takes hold at its target: before the target's events from that time on, in
   * the replay and the service alike. A fixed delay is what lets the service
   * apply the internal topic in one order whatever its timing: a partition only
   * needs the others to have passed `time − delay`, not `time` (at least 1).
   */
  readonly referralSettleDays: number;
  /** Simple CLV: expected lifetime = 1 / (1 − retention rate) years. */
  readonly retentionRate: number;
  readonly clvHorizonDays: number;
  /** Model CLV discounts expected purchases period by period; this is the period length. */
  readonly clvPeriodDays: number;
  readonly annualDiscountRate: number;
  /** Simple CLV: purchase rate observed over at least this many days (tames new customers). */
  readonly minObservationDays: number;
  /** RFM segment by [R score − 1][FM score − 1]; FM = round((F + M) / 2). */
  readonly rfmGrid: readonly (readonly RfmSegment[])[];
  /** Used until a fitted model supplies population cut points. */
  readonly defaultCutPoints: CutPoints;
  readonly churn: ChurnRules;
  readonly quadrant: QuadrantRules;
  readonly ladder: LadderRules;
  /**
   * Digest of a segment-rules file's content (src/config/segment-rules.ts):
   * part of the model version emissions and views carry. Absent with the
   * built-in rules (the shipped default file), so their versions stay as they were.
   */
  readonly rulesDigest?: string;
  /**
   * What is emitted (docs/domain.md, "Emissions"): segment-changed events for
   * these dimensions, churn-risk events on entering these levels. The state
   * follows every change whatever is emitted, so the choice decides only the
   * output, and the same settings always give the same output.
   */
  readonly emit: {
    readonly dimensions: readonly SegmentDimension[];
    readonly churnLevels: readonly ChurnLevel[];
  };
  /** Bounded memories kept per customer (see docs/domain.md, "Out-of-order and duplicate input"). */
  readonly memory: {
    readonly recentEventIds: number;
    readonly recentOrders: number;
    /** Purchases up to this many days older than the latest are placed exactly in BTYD's x. */
    readonly latePurchaseDays: number;
    /**
     * Purchase days a customer keeps until a referral attribution reaches it
     * (`unattributedDays`): a late attribution credits the purchases inside its
     * window from here, exactly while no more than this many purchase days came first.
     */
    readonly unattributedPurchaseDays: number;
    /** Complaint cases kept (the latest by day) to match resolutions and count repeats. */
    readonly complaintCases: number;
  };
}

/**
 * The grid reads top-down as R = 5..1 in the documentation; here row 0 is R = 1.
 * Every cell holds exactly one segment, so no precedence rule is needed and no
 * customer with a purchase is ever without a segment.
 */
export const DEFAULT_RFM_GRID: readonly (readonly RfmSegment[])[] = [
  /* R=1 */ ['lost', 'hibernating', 'at_risk', 'cant_lose_them', 'cant_lose_them'],
  /* R=2 */ ['hibernating', 'about_to_sleep', 'at_risk', 'at_risk', 'cant_lose_them'],
  /* R=3 */ ['about_to_sleep', 'need_attention', 'need_attention', 'loyal_customers', 'loyal_customers'],
  /* R=4 */ ['promising', 'potential_loyalist', 'loyal_customers', 'loyal_customers', 'champions'],
  /* R=5 */ ['new_customers', 'potential_loyalist', 'potential_loyalist', 'champions', 'champions'],
];

export const defaultDomainParameters: DomainParameters = {
  baseCurrency: 'USD',
  marginRate: 0.3,
  costPerOrderMinor: 0,
  costPerReturnMinor: 0,
  interactionCostMinor: { complaint: 0, support_contact: 0, delivery_issue: 0, billing_issue: 0, technical_issue: 0, other: 0 },
  acquisitionCostMinor: 0,
  referralValueMinor: 0,
  referralPurchaseShare: 0.1,
  referralWindowDays: 365,
  referralSettleDays: 1,
  retentionRate: 0.6,
  clvHorizonDays: 3 * 365,
  clvPeriodDays: 91,
  annualDiscountRate: 0.1,
  minObservationDays: 90,
  rfmGrid: DEFAULT_RFM_GRID,
  defaultCutPoints: {
    recency: [30, 90, 180, 365],
    frequency: [1, 2, 3, 5],
    monetary: [5_000, 15_000, 40_000, 100_000],
  },
  churn: {
    pAliveThresholds: [0.6, 0.4, 0.3, 0.2],
    inactivityMultipliers: [1.5, 2.5, 4, 6],
    oneTimeBuyerIntervalDays: 90,
    detractorWindowDays: 180,
    returnsSpikeCount: 3,
    returnsSpikeWindowDays: 30,
    complaintWindowDays: 90,
    openComplaintCount: 1,
    repeatedComplaintCount: 2,
  },
  quadrant: {
    loyalMinFScore: 3,
    loyalMinRScore: 3,
    profitableMinMScore: 1,
    maxReturnRate: 0.3,
    maxDiscountShare: 0.5,
  },
  ladder: { partnerMinReferrals: 3, partnerMinMScore: 5 },
  emit: { dimensions: SEGMENT_DIMENSIONS, churnLevels: CHURN_LEVELS },
  memory: { recentEventIds: 12, recentOrders: 6, latePurchaseDays: 384, unattributedPurchaseDays: 400, complaintCases: 8 },
};
