/**
 * The topic catalogue: every topic clvstream reads or writes, the payload contract
 * on it and its default name. The JSON Schemas and the AsyncAPI document in
 * `schemas/` are generated from this list, and a test fails when they drift.
 */
import type { z } from 'zod';
import { deadLetterSchema } from './dead-letter.js';
import { inboundSchemas, type InboundType } from './inbound.js';
import { internalSchema } from './internal.js';
import { churnRiskSchema, segmentChangedSchema } from './outbound.js';

export type TopicRole = 'inbound' | 'outbound' | 'dead-letter' | 'internal';

export interface TopicContract {
  /** Stable id, also the schema file name (`schemas/<id>.schema.json`). */
  readonly id: InboundType | 'segment-changed' | 'churn-risk' | 'dead-letter' | 'internal';
  readonly role: TopicRole;
  readonly defaultTopic: string;
  readonly title: string;
  readonly description: string;
  readonly schema: z.ZodType;
}

export const TOPIC_CONTRACTS: readonly TopicContract[] = [
  {
    id: 'purchase',
    role: 'inbound',
    defaultTopic: 'clv.purchases',
    title: 'Purchase',
    description: 'An order paid by a customer. Keyed by customer_id.',
    schema: inboundSchemas.purchase,
  },
  {
    id: 'return',
    role: 'inbound',
    defaultTopic: 'clv.returns',
    title: 'Return',
    description: 'A refund of (part of) an order. Keyed by customer_id.',
    schema: inboundSchemas.return,
  },
  {
    id: 'referral',
    role: 'inbound',
    defaultTopic: 'clv.referrals',
    title: 'Referral',
    description: 'A customer referred another. Keyed by the referrer (customer_id).',
    schema: inboundSchemas.referral,
  },
  {
    id: 'cancellation',
    role: 'inbound',
    defaultTopic: 'clv.cancellations',
    title: 'Cancellation',
    description: 'A customer closed their account or subscription. Keyed by customer_id.',
    schema: inboundSchemas.cancellation,
  },
  {
    id: 'feedback',
    role: 'inbound',
    defaultTopic: 'clv.feedback',
    title: 'Feedback (NPS)',
    description: 'A Net Promoter Score survey answer (0–10). Keyed by customer_id.',
    schema: inboundSchemas.feedback,
  },
  {
    id: 'interaction',
    role: 'inbound',
    defaultTopic: 'clv.interactions',
    title: 'Service interaction',
    description:
      'A complaint, support contact or other service interaction, with its cost when the company knows it. Keyed by customer_id. Optional for a deployment: without the topic the service runs and `clvstream topics check` reports it missing.',
    schema: inboundSchemas.interaction,
  },
  {
    id: 'segment-changed',
    role: 'outbound',
    defaultTopic: 'clv.segment-changed',
    title: 'Segment changed',
    description: 'A segment dimension of a customer changed. Keyed by customer_id; drop repeats by event_id.',
    schema: segmentChangedSchema,
  },
  {
    id: 'churn-risk',
    role: 'outbound',
    defaultTopic: 'clv.churn-risk',
    title: 'Churn risk',
    description: 'A customer’s churn-risk level rose or recovered. Keyed by customer_id; drop repeats by event_id.',
    schema: churnRiskSchema,
  },
  {
    id: 'dead-letter',
    role: 'dead-letter',
    defaultTopic: 'clv.dead-letter',
    title: 'Dead letter',
    description: 'An inbound message that could not be decoded or validated, with its original bytes and the reason.',
    schema: deadLetterSchema,
  },
  {
    id: 'internal',
    role: 'internal',
    defaultTopic: 'clv.internal',
    title: 'Internal repartition',
    description:
      'Cross-customer effects (referral attribution and credit) and misrouted events, keyed by the target customer so they reach the partition owning its state.',
    schema: internalSchema,
  },
];
