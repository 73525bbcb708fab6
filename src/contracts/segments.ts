/**
 * The vocabulary of segments and signals: wire values (snake_case) shared by the
 * domain, the outbound events and the reports. Human labels live in `SEGMENT_LABELS`.
 */
export const RFM_SEGMENTS = [
  'champions',
  'loyal_customers',
  'potential_loyalist',
  'new_customers',
  'promising',
  'need_attention',
  'about_to_sleep',
  'at_risk',
  'cant_lose_them',
  'hibernating',
  'lost',
] as const;
export type RfmSegment = (typeof RFM_SEGMENTS)[number];

export const VALUE_QUADRANTS = ['true_friends', 'butterflies', 'barnacles', 'strangers'] as const;
export type ValueQuadrant = (typeof VALUE_QUADRANTS)[number];

export const RELATIONSHIP_LEVELS = ['prospect', 'customer', 'client', 'supporter', 'advocate', 'partner'] as const;
export type RelationshipLevel = (typeof RELATIONSHIP_LEVELS)[number];

export const ACCOUNT_STATUSES = ['active', 'cancelled', 'reactivated'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** Ordered from best to worst: a move to a later entry is a rise in churn risk. */
export const CHURN_LEVELS = ['active', 'cooling', 'at_risk', 'highly_at_risk', 'lost', 'churned'] as const;
export type ChurnLevel = (typeof CHURN_LEVELS)[number];

export const NPS_CATEGORIES = ['promoter', 'passive', 'detractor'] as const;
export type NpsCategory = (typeof NPS_CATEGORIES)[number];

export const SEGMENT_DIMENSIONS = ['rfm_segment', 'value_quadrant', 'relationship', 'account_status'] as const;
export type SegmentDimension = (typeof SEGMENT_DIMENSIONS)[number];

export const CHURN_REASONS = ['p_alive', 'inactivity', 'detractor', 'returns_spike', 'cancellation', 'complaints'] as const;
export type ChurnReason = (typeof CHURN_REASONS)[number];

/**
 * Why a snapshot's P(alive) is null: the customer has not bought, no purchase
 * model is fitted yet, or the model is the BG/NBD and the customer a one-time
 * buyer (its P(alive) is 1 whatever the time, so it is not shown).
 */
export const P_ALIVE_REASONS = ['no_purchase', 'no_model', 'one_time_buyer'] as const;
export type PAliveReason = (typeof P_ALIVE_REASONS)[number];

export const SEGMENT_LABELS: Record<RfmSegment | ValueQuadrant | RelationshipLevel, string> = {
  champions: 'Champions',
  loyal_customers: 'Loyal Customers',
  potential_loyalist: 'Potential Loyalist',
  new_customers: 'New Customers',
  promising: 'Promising',
  need_attention: 'Need Attention',
  about_to_sleep: 'About To Sleep',
  at_risk: 'At Risk',
  cant_lose_them: "Can't Lose Them",
  hibernating: 'Hibernating',
  lost: 'Lost',
  true_friends: 'True Friends',
  butterflies: 'Butterflies',
  barnacles: 'Barnacles',
  strangers: 'Strangers',
  prospect: 'Prospect',
  customer: 'Customer',
  client: 'Client',
  supporter: 'Supporter',
  advocate: 'Advocate',
  partner: 'Partner',
};
