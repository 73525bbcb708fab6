/**
 * The relationship ladder, highest rung that holds:
 * partner   — several successful referrals (referred customers who bought) and a top M score;
 * advocate  — a buyer who is a promoter (NPS 9–10) or has made a successful referral;
 * supporter — a repeat buyer whose latest NPS answer is passive or better (≥ 7);
 * client    — a repeat buyer (x ≥ 1);
 * customer  — has bought;
 * prospect  — has not bought yet.
 * A cancelled customer or a detractor (latest NPS 0–6) is never called loyal:
 * at most a client (repeat buyer) or a customer.
 */
import type { RelationshipLevel } from '../contracts/segments.js';
import type { LadderRules } from './parameters.js';
import { isCancelled, isDetractor } from './account.js';
import type { CustomerState } from './state.js';

export function relationshipLevel(s: CustomerState, mScore: number | null, rules: LadderRules): RelationshipLevel {
  if (s.orders === 0) return 'prospect';
  const repeat = s.purchaseDays >= 2;
  if (isCancelled(s) || isDetractor(s)) return repeat ? 'client' : 'customer';
  if (s.successfulReferrals >= rules.partnerMinReferrals && mScore !== null && mScore >= rules.partnerMinMScore) {
    return 'partner';
  }
  if ((s.npsScore !== null && s.npsScore >= 9) || s.successfulReferrals >= 1) return 'advocate';
  if (repeat && s.npsScore !== null && s.npsScore >= 7) return 'supporter';
  if (repeat) return 'client';
  return 'customer';
}
