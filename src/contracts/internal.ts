/**
 * The internal (repartition) topic: effects one customer's events have on another
 * customer, and events that arrived on a partition their key does not hash to.
 * Keyed by `target_customer_id`, so the record lands on the partition that owns the
 * target's state — a reducer never writes another partition's keys.
 */
import { z } from 'zod';
import { customerId, timestamp } from './primitives.js';

export const INTERNAL_KINDS = ['referral_attributed', 'referral_credit'] as const;

const applyAt = timestamp
  .optional()
  .describe('When the effect takes hold at its target: its cause plus REFERRAL_SETTLE_DAYS. Absent on records of earlier releases (applied on arrival).');
export type InternalKind = (typeof INTERNAL_KINDS)[number];

export const referralAttributedSchema = z.strictObject({
  kind: z.literal('referral_attributed'),
  event_id: z.string().min(1).max(200).describe('Deterministic: `<referral event_id>:attributed`.'),
  target_customer_id: customerId.describe('The referred customer.'),
  referrer_customer_id: customerId,
  occurred_at: timestamp,
  apply_at: applyAt,
});

export const referralCreditSchema = z.strictObject({
  kind: z.literal('referral_credit'),
  event_id: z.string().min(1).max(200).describe('Deterministic: `<source event_id>:credit`.'),
  target_customer_id: customerId.describe('The referrer who receives the credit.'),
  source_customer_id: customerId.describe('The referred customer whose purchase earned the credit.'),
  value_minor: z.number().int().min(0).describe('Referral value, base-currency minor units.'),
  first_purchase: z
    .boolean()
    .describe("True for the referred customer's first credited purchase: it makes the referral successful."),
  purchases: z.number().int().min(1).optional().describe('Purchases the credit covers (default 1): an attribution credits those made before it in one credit.'),
  sequence: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("The source's credited purchases including this one: increasing per source, so the referrer recognises a repeat. Absent on records of earlier releases."),
  occurred_at: timestamp,
  apply_at: applyAt,
});

export const rerouteSchema = z.strictObject({
  kind: z.literal('reroute'),
  target_customer_id: customerId,
  source_topic: z.string().min(1).max(249),
  payload: z.record(z.string(), z.unknown()).describe('The original inbound payload, re-validated at the target.'),
});

/**
 * A partition's progress, sent to every internal partition after the records it
 * covers: every internal record its inputs before `position` cause has been
 * written. A partition applies a referral effect (or an event) of time t only
 * once every partition's progress is past t − REFERRAL_SETTLE_DAYS, so effects
 * take hold in one order whatever the topic's timing (docs/architecture.md).
 */
export const partitionProgressSchema = z.strictObject({
  kind: z.literal('partition_progress'),
  source_partition: z.number().int().min(0).max(100_000),
  position: z.number().int().describe('Epoch milliseconds: the partition has applied its inputs before this time.'),
  initial: z
    .boolean()
    .optional()
    .describe('True while the partition knows no positions and has taken nothing: `position` is then only its earliest pending time.'),
});

export const internalSchema = z.discriminatedUnion('kind', [referralAttributedSchema, referralCreditSchema, rerouteSchema, partitionProgressSchema]);

export type ReferralAttributed = z.infer<typeof referralAttributedSchema>;
export type ReferralCredit = z.infer<typeof referralCreditSchema>;
export type Reroute = z.infer<typeof rerouteSchema>;
export type PartitionProgress = z.infer<typeof partitionProgressSchema>;
export type InternalRecord = z.infer<typeof internalSchema>;
