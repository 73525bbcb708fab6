/**
 * The loyalty × profitability quadrant (Reinartz & Kumar):
 * True Friends (loyal, profitable), Butterflies (profitable, not loyal),
 * Barnacles (loyal, not profitable), Strangers (neither).
 * Loyal: F and R scores at least the configured minimum (buys often, still buying).
 * Profitable: positive historic CLV, M score at least the minimum, refunds at most
 * `maxReturnRate` of gross revenue and discounts at most `maxDiscountShare` of it —
 * so discount-only and frequent-return customers are never "profitable".
 */
import type { ValueQuadrant } from '../contracts/segments.js';
import type { QuadrantRules } from './config.js';
import type { Score } from './rfm.js';
import type { CustomerState } from './state.js';

export function valueQuadrant(
  s: CustomerState,
  scores: { r: Score; f: Score; m: Score },
  historicClvMinor: number,
  rules: QuadrantRules,
): ValueQuadrant {
  const loyal = scores.f >= rules.loyalMinFScore && scores.r >= rules.loyalMinRScore;
  const gross = s.grossMinor + s.discountMinor;
  const profitable =
    historicClvMinor > 0 &&
    scores.m >= rules.profitableMinMScore &&
    s.refundMinor <= rules.maxReturnRate * s.grossMinor &&
    s.discountMinor <= rules.maxDiscountShare * gross;
  if (loyal) return profitable ? 'true_friends' : 'barnacles';
  return profitable ? 'butterflies' : 'strangers';
}
