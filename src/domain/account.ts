/**
 * Account facts several rules share: cancelled (a cancellation and no purchase
 * since, in event time) and detractor (the latest NPS answer is 0–6).
 */
import type { CustomerState } from './state.js';

export function isCancelled(s: CustomerState): boolean {
  return s.cancelledAt !== null && (s.lastPurchaseAt === null || s.lastPurchaseAt <= s.cancelledAt);
}

/** The customer's latest NPS answer (by event time, whatever its age) is a detractor's. */
export function isDetractor(s: CustomerState): boolean {
  return s.npsScore !== null && s.npsScore <= 6;
}
