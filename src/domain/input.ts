/**
 * What the reducer consumes: validated, normalised inputs. Money is in integer
 * minor units of the deployment's base currency (conversion happened at ingest),
 * times are epoch milliseconds plus the customer's calendar day.
 */
import type { CancellationReason } from '../contracts/inbound.js';

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
}

export interface ReturnInput extends InputBase {
  readonly kind: 'return';
  readonly orderId: string | null;
  readonly amountMinor: number;
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

/** Internal: tells the referred customer who referred them (routed by the runtime). */
export interface ReferralAttributedInput extends InputBase {
  readonly kind: 'referral_attributed';
  readonly referrerId: string;
}

/** Internal: credits a referrer with value earned by a referred customer's purchase. */
export interface ReferralCreditInput extends InputBase {
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
  | ReferralAttributedInput
  | ReferralCreditInput;

export type InputKind = DomainInput['kind'];
