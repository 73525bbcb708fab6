/**
 * The loyalty × profitability quadrant (Reinartz & Kumar):
 * True Friends (loyal, profitable), Butterflies (profitable, not loyal),
 * Barnacles (loyal, not profitable), Strangers (neither).
 * Loyal: F and R scores at least the configured minimum (buys often, still
 * buying), and neither cancelled nor a detractor — a customer who left or says
 * they would not recommend us is not called loyal, however often they bought.
 * Profitable: positive historic CLV, M score at least the minimum (default 1:
 * any), refunds at most `maxReturnRate` of gross revenue and discounts at most
 * `maxDiscountShare` of it — so discount-only and frequent-return customers are
 * never "profitable", and Strangers are the unprofitable, not merely the small:
 * a small customer who pays their way and is not loyal is a Butterfly.
 */
import type { ValueQuadrant } from '../contracts/segments.js';
import type { QuadrantRules } from './parameters.js';
import type { Score } from './rfm.js';
import { isCancelled, isDetractor } from './account.js';
import type { CustomerState } from './state.js';

export function valueQuadrant(
  s: CustomerState,
  scores: { r: Score; f: Score; m: Score },
  historicClvMinor: number,
  rules: QuadrantRules,
): ValueQuadrant {
  const loyal = scores.f >= rules.loyalMinFScore && scores.r >= rules.loyalMinRScore && !isCancelled(s) && !isDetractor(s);
  const gross = s.grossMinor + s.discountMinor;
  const profitable =
    historicClvMinor > 0 &&
    scores.m >= rules.profitableMinMScore &&
    s.refundMinor <= rules.maxReturnRate * s.grossMinor &&
    s.discountMinor <= rules.maxDiscountShare * gross;
  if (loyal) return profitable ? 'true_friends' : 'barnacles';
  return profitable ? 'butterflies' : 'strangers';
}
