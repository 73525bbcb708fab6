/**
 * Inbound event contracts: one payload type per inbound topic.
 *
 * Every payload carries a `type` discriminator so that a mixed stream (a replay file,
 * a misrouted message) is self-describing. Structural rules live in these zod
 * schemas (and in the JSON Schemas generated from them); rules that need context —
 * currency precision, the time window, the rate table — are applied in
 * `src/ingest/decode.ts` and produce the same {field, rule, message} shape.
 *
 * Unknown fields: rejected by default, because a misspelt optional field (say
 * `discont`) would otherwise silently change money figures. Deployments whose
 * producers evolve ahead of clvstream set `EVENTS_UNKNOWN_FIELDS=ignore`, which
 * drops unknown fields (never stores them). See docs/contracts.md.
 */
import { z } from 'zod';
import { boundedText, currencyCode, customerId, decimalAmount, eventId, timestamp } from './primitives.js';

export const INBOUND_TYPES = ['purchase', 'return', 'referral', 'cancellation', 'feedback', 'interaction'] as const;
export type InboundType = (typeof INBOUND_TYPES)[number];

export const CANCELLATION_REASONS = [
  'price',
  'competitor',
  'service',
  'product',
  'moved',
  'no_longer_needed',
  'payment_failed',
  'other',
] as const;
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];

/**
 * Kinds of service interaction, a closed list (docs/domain.md, "Cost to serve and
 * complaints"): an activity-cost table prices each, and only `complaint` counts as
 * a complaint. Anything else is `other`. Append only (the state and emission codecs
 * do not store it, but reports and dashboards group by it).
 */
export const INTERACTION_KINDS = [
  'complaint',
  'support_contact',
  'delivery_issue',
  'billing_issue',
  'technical_issue',
  'other',
] as const;
export type InteractionKind = (typeof INTERACTION_KINDS)[number];

const common = {
  event_id: eventId,
  customer_id: customerId,
  occurred_at: timestamp,
};

const purchaseShape = {
  type: z.literal('purchase'),
  ...common,
  order_id: eventId.optional().describe('Order identifier that returns refer to; defaults to event_id.'),
  amount: decimalAmount.describe('Amount charged for the order, after discounts, in `currency`.'),
  currency: currencyCode,
  discount: decimalAmount.optional().describe('Discount granted on the order, in `currency` (informational).'),
  margin: decimalAmount
    .optional()
    .describe('Contribution margin of the order in `currency`; when absent the configured margin rate applies.'),
  quantity: z
    .number({ message: 'must be a number' })
    .int({ message: 'must be an integer' })
    .min(1, { message: 'must be at least 1' })
    .max(100_000, { message: 'must be at most 100000' })
    .optional()
    .describe('Number of items in the order.'),
  channel: boundedText('Sales channel (web, store, app...).').optional(),
  cost_to_serve: decimalAmount
    .optional()
    .describe(
      'Variable cost of serving this order from the company’s own (activity-based) costing, in `currency`; when present it replaces COST_PER_ORDER for this order.',
    ),
};

const returnShape = {
  type: z.literal('return'),
  ...common,
  order_id: eventId.optional().describe('Order being returned; unknown or absent orders are applied and flagged.'),
  amount: decimalAmount.describe('Amount refunded, in `currency`.'),
  currency: currencyCode,
  reason: boundedText('Free-text return reason code.').optional(),
  cost_to_serve: decimalAmount
    .optional()
    .describe(
      'Variable cost of handling this return from the company’s own (activity-based) costing, in `currency`; when present it replaces COST_PER_RETURN for this return.',
    ),
};

const referralShape = {
  type: z.literal('referral'),
  ...common,
  customer_id: customerId.describe('The referrer: the customer who gets the credit; the message key.'),
  referred_customer_id: customerId.describe('The customer who was referred.'),
};

const cancellationShape = {
  type: z.literal('cancellation'),
  ...common,
  reason: z.enum(CANCELLATION_REASONS, { message: `must be one of ${CANCELLATION_REASONS.join(', ')}` }),
  competitor: boundedText('Where the customer went, when known (lost-customer analysis).').optional(),
};

const feedbackShape = {
  type: z.literal('feedback'),
  ...common,
  score: z
    .number({ message: 'must be a number' })
    .int({ message: 'must be an integer' })
    .min(0, { message: 'must be between 0 and 10' })
    .max(10, { message: 'must be between 0 and 10' })
    .describe('Net Promoter survey answer, 0–10.'),
  survey_id: boundedText('Survey that collected the answer.').optional(),
  comment: z
    .string({ message: 'must be a string' })
    .max(2000, { message: 'must be at most 2000 characters' })
    .optional()
    .describe('Free-text comment; validated for size, never stored.'),
};

const interactionShape = {
  type: z.literal('interaction'),
  ...common,
  kind: z
    .enum(INTERACTION_KINDS, { message: `must be one of ${INTERACTION_KINDS.join(', ')}` })
    .describe('What the interaction was; `complaint` counts as a complaint; a kind outside the list is sent as `other` (anything else is rejected).'),
  cost: decimalAmount
    .optional()
    .describe('Cost of the interaction from the company’s own costing, in `currency`; when absent the activity-cost table (COST_PER_INTERACTION) applies.'),
  currency: currencyCode.optional().describe('ISO 4217 currency of `cost`; required with it.'),
  order_id: eventId.optional().describe('The order the interaction is about, when there is one (informational).'),
  case_id: eventId
    .optional()
    .describe('The case (ticket) the interaction belongs to; a later complaint with the same case_id and resolved true closes it. Defaults to event_id.'),
  channel: boundedText('Where the interaction happened (phone, email, chat, store...).'),
  resolved: z.boolean({ message: 'must be true or false' }).describe('Whether the matter was resolved; an unresolved complaint stays open until its case is resolved.'),
  resolved_at: timestamp.optional().describe('When it was resolved; only with resolved true, never before occurred_at.'),
  reason: z
    .string({ message: 'must be a string' })
    .max(2000, { message: 'must be at most 2000 characters' })
    .optional()
    .describe('Free-text reason; validated for size, never stored.'),
};

type InteractionShape = { cost?: unknown; currency?: unknown; resolved: boolean; resolved_at?: string | undefined; occurred_at: string };

/** Rules across fields of an interaction, each naming the field it is about. */
function interactionConsistency(e: InteractionShape, ctx: z.RefinementCtx): void {
  if (e.cost !== undefined && e.currency === undefined) {
    ctx.addIssue({ code: 'custom', path: ['currency'], message: 'is required with cost' });
  }
  if (e.resolved_at !== undefined && !e.resolved) {
    ctx.addIssue({ code: 'custom', path: ['resolved_at'], message: 'must be absent when resolved is false' });
  }
  if (e.resolved_at !== undefined && Date.parse(e.resolved_at) < Date.parse(e.occurred_at)) {
    ctx.addIssue({ code: 'custom', path: ['resolved_at'], message: 'must not be before occurred_at' });
  }
}

function schemasFor(object: typeof z.strictObject) {
  const referral = object(referralShape).refine((e) => e.customer_id !== e.referred_customer_id, {
    message: 'must differ from customer_id (self-referral)',
    path: ['referred_customer_id'],
  });
  return {
    purchase: object(purchaseShape),
    return: object(returnShape),
    referral,
    cancellation: object(cancellationShape),
    feedback: object(feedbackShape),
    interaction: object(interactionShape).superRefine(interactionConsistency),
  };
}

/** Default contracts: unknown fields are an error. */
export const inboundSchemas = schemasFor(z.strictObject);
/** Lenient contracts (`EVENTS_UNKNOWN_FIELDS=ignore`): unknown fields are dropped. */
export const lenientInboundSchemas = schemasFor(z.object);

export type PurchaseEvent = z.infer<typeof inboundSchemas.purchase>;
export type ReturnEvent = z.infer<typeof inboundSchemas.return>;
export type ReferralEvent = z.infer<typeof inboundSchemas.referral>;
export type CancellationEvent = z.infer<typeof inboundSchemas.cancellation>;
export type FeedbackEvent = z.infer<typeof inboundSchemas.feedback>;
export type InteractionEvent = z.infer<typeof inboundSchemas.interaction>;
export type InboundEvent = PurchaseEvent | ReturnEvent | ReferralEvent | CancellationEvent | FeedbackEvent | InteractionEvent;

export function isInboundType(value: unknown): value is InboundType {
  return typeof value === 'string' && (INBOUND_TYPES as readonly string[]).includes(value);
}
