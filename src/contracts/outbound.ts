/**
 * Outbound event contracts: what loyalty programs and other services consume.
 * Ids are deterministic (`seg:<customer>:<n>`, `churn:<customer>:<n>`, n the
 * customer's emission sequence), so a subscriber drops repeats by id.
 */
import { z } from 'zod';
import { currencyCode, customerId, eventId, timestamp } from './primitives.js';
import { INBOUND_TYPES } from './inbound.js';
import { INTERNAL_KINDS } from './internal.js';
import {
  ACCOUNT_STATUSES,
  CHURN_LEVELS,
  CHURN_REASONS,
  P_ALIVE_REASONS,
  RELATIONSHIP_LEVELS,
  RFM_SEGMENTS,
  SEGMENT_DIMENSIONS,
  VALUE_QUADRANTS,
} from './segments.js';

const score = z.number().int().min(1).max(5).nullable();
const minor = z.number().int().describe('Integer minor units of the base currency.');

export const valueSnapshot = z
  .strictObject({
    recency_days: z.number().min(0).nullable().describe('Days since the last purchase; null before any purchase.'),
    frequency: z.number().int().min(0).describe('Number of purchases (orders).'),
    monetary_minor: minor.describe('Net revenue: gross − refunds, minor units.'),
    r_score: score,
    f_score: score,
    m_score: score,
    clv_historic_minor: minor.describe('Contribution so far net of refunds and cost to serve, plus referral value, minus acquisition cost (docs/domain.md).'),
    clv_predicted_minor: minor.describe('Net present value over the horizon of the expected net contribution, plus referral value; 0 while cancelled (docs/domain.md).'),
    clv_total_minor: minor.describe('clv_historic_minor + clv_predicted_minor.'),
    p_alive: z.number().min(0).max(1).nullable().describe('P(alive) of the purchase model (BG/NBD or modified BG/NBD); null with p_alive_reason when the model says nothing.'),
    p_alive_reason: z.enum(P_ALIVE_REASONS).nullable().describe('Why p_alive is null; null when it is a number.'),
    churn_level: z.enum(CHURN_LEVELS),
    currency: currencyCode.describe('Base currency of every *_minor field.'),
  })
  .describe('The customer as of the emission.');

export const emissionCause = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('event'),
    event_id: eventId,
    event_type: z.enum([...INBOUND_TYPES, ...INTERNAL_KINDS]),
  }),
  z.strictObject({
    kind: z.literal('timer'),
    due_at: timestamp,
  }),
  z
    .strictObject({
      kind: z.literal('model_changed'),
      model_version: z.string().min(1).max(64),
    })
    .describe('A new model version (parameters or cut points) re-scored the customer without a new event.'),
]);

const segmentValue = z.enum([...RFM_SEGMENTS, ...VALUE_QUADRANTS, ...RELATIONSHIP_LEVELS, ...ACCOUNT_STATUSES]);

export const segmentChangedSchema = z.strictObject({
  type: z.literal('segment-changed'),
  event_id: z.string().min(1).max(200),
  customer_id: customerId,
  occurred_at: timestamp.describe('Event time of the cause (the event, or the due time of the timer).'),
  dimension: z.enum(SEGMENT_DIMENSIONS),
  from: segmentValue
    .nullable()
    .describe('Previous value: null for the first rfm_segment and value_quadrant; relationship starts at prospect, account_status at active.'),
  to: segmentValue,
  cause: emissionCause,
  snapshot: valueSnapshot,
  model_version: z.string().min(1).max(64),
});

export const churnRiskSchema = z.strictObject({
  type: z.literal('churn-risk'),
  event_id: z.string().min(1).max(200),
  customer_id: customerId,
  occurred_at: timestamp,
  level: z.enum(CHURN_LEVELS),
  previous_level: z.enum(CHURN_LEVELS),
  direction: z.enum(['rising', 'recovering']),
  reasons: z.array(z.enum(CHURN_REASONS)).describe('What raised the level (empty when recovering).'),
  cause: emissionCause,
  snapshot: valueSnapshot,
  model_version: z.string().min(1).max(64),
});

export type ValueSnapshot = z.infer<typeof valueSnapshot>;
export type EmissionCause = z.infer<typeof emissionCause>;
export type SegmentChanged = z.infer<typeof segmentChangedSchema>;
export type ChurnRisk = z.infer<typeof churnRiskSchema>;
export type OutboundEvent = SegmentChanged | ChurnRisk;
