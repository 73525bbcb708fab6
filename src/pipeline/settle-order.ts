/**
 * The one order referral effects take hold in, shared by the replay
 * (MemoryProcessor) and the runtime's merge: by the time they take hold, then
 * a tie-break that depends on the data only. Credits of one referred customer
 * go in their sequence order (the referrer recognises a repeat by a sequence
 * not above the last it applied, so a lower one after a higher one would be
 * lost); the rest by event id.
 */
import type { CrossCustomerInput } from '../domain/apply.js';

/** Sequences are at most this many digits, so that their strings sort as numbers. */
const SEQUENCE_DIGITS = 15;

/** The tie-break of effects taking hold at the same time. */
export function settleTie(input: CrossCustomerInput): string {
  if (input.kind === 'referral_attributed') return `a\u0000${input.eventId}`;
  const sequence = String(input.sequence ?? 0).padStart(SEQUENCE_DIGITS, '0');
  return `c\u0000${input.sourceCustomerId}\u0000${sequence}\u0000${input.eventId}`;
}

export function settlesBefore(a: CrossCustomerInput, b: CrossCustomerInput): boolean {
  if (a.applyAt !== b.applyAt) return a.applyAt < b.applyAt;
  return settleTie(a) < settleTie(b);
}
