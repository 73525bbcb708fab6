/**
 * What the reducer consumes: validated, normalised inputs. Money is in integer
 * minor units of the deployment's base currency (conversion happened at ingest),
 * times are epoch milliseconds plus the customer's calendar day.
 */
import type { CancellationReason, InteractionKind } from '../contracts/inbound.js';

interface InputBase {
  /** Globally unique id; internal inputs derive theirs from the source event. */
  readonly eventId: string;
  /** The customer whose state this input changes. */
  readonly customerId: string;
  /** Epoch milliseconds of `occurred_at`. */
  readonly at: number;
  /** Calendar day of `occurred_at` (see time.ts). */
  readonly day: number;
}

export interface PurchaseInput extends InputBase {
  readonly kind: 'purchase';
  readonly orderId: string;
  readonly amountMinor: number;
  readonly discountMinor: number;
  /** Per-order contribution margin when the event carried one; null → configured rate. */
  readonly marginMinor: number | null;
  /** The order's variable cost to serve from the company's own costing; null → COST_PER_ORDER. */
  readonly costMinor: number | null;
}

export interface ReturnInput extends InputBase {
  readonly kind: 'return';
  readonly orderId: string | null;
  readonly amountMinor: number;
  /** The return's variable cost to serve from the company's own costing; null → COST_PER_RETURN. */
  readonly costMinor: number | null;
}

export interface ReferralInput extends InputBase {
  readonly kind: 'referral';
  readonly referredCustomerId: string;
}

export interface CancellationInput extends InputBase {
  readonly kind: 'cancellation';
  readonly reason: CancellationReason;
  readonly competitor: string | null;
}

export interface FeedbackInput extends InputBase {
  readonly kind: 'feedback';
  readonly score: number;
}

/**
 * A service interaction (complaint, support contact, …). The free-text reason is
 * validated at ingest and never reaches the domain.
 */
export interface InteractionInput extends InputBase {
  readonly kind: 'interaction';
  readonly interactionKind: InteractionKind;
  /** The interaction's cost from the company's own costing; null → the activity-cost table. */
  readonly costMinor: number | null;
  /** The case (ticket) the interaction belongs to: a complaint's resolution names its case. Null → its own case. */
  readonly caseId: string | null;
  readonly resolved: boolean;
}

/**
 * What every cross-customer input carries besides its cause's time: when it
 * takes hold at its target (its cause's time plus the referral settle delay).
 * The target applies it before its own events of that time or later, and after
 * the earlier ones, whenever the internal topic delivered it.
 */
interface SettledInput extends InputBase {
  /** Epoch milliseconds at which the input takes hold; -Infinity for records of earlier releases (applied on arrival). */
  readonly applyAt: number;
  /** Calendar day of `applyAt`. */
  readonly applyDay: number;
}

/** Internal: tells the referred customer who referred them (routed by the runtime). */
export interface ReferralAttributedInput extends SettledInput {
  readonly kind: 'referral_attributed';
  readonly referrerId: string;
}

/** Internal: credits a referrer with value earned by a referred customer's purchase. */
export interface ReferralCreditInput extends SettledInput {
  readonly kind: 'referral_credit';
  readonly sourceCustomerId: string;
  readonly valueMinor: number;
  /** True for the referred customer's first credited purchase: a successful referral. */
  readonly firstPurchase: boolean;
  /** Purchases the credit covers (an attribution credits those made before it at once). */
  readonly purchases: number;
  /**
   * The source's credited purchases including this credit: increasing per
   * source, so the referrer recognises a repeat whatever else arrived between.
   * Null on records written before it existed (recognised by event id then).
   */
  readonly sequence: number | null;
}

export type DomainInput =
  | PurchaseInput
  | ReturnInput
  | ReferralInput
  | CancellationInput
  | FeedbackInput
  | InteractionInput
  | ReferralAttributedInput
  | ReferralCreditInput;

export type InputKind = DomainInput['kind'];
