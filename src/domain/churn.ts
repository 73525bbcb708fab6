/**
 * Churn-risk level. Precedence, first match wins:
 * 1. `churned` — the account is cancelled (and no purchase since);
 * 2. base level — from P(alive) when the fitted model gives one (the BG/NBD for
 *    repeat buyers, the modified BG/NBD for every buyer); otherwise from inactivity: days since the last purchase
 *    divided by the customer's own typical interval (t_x / x; one-time buyers use
 *    the configured interval); prospects are `active`;
 * 3. raised one level each by a recent detractor score, by a returns spike and
 *    by open or repeated complaints (complaints.ts), never beyond `lost`.
 */
import { CHURN_LEVELS, type ChurnLevel, type ChurnReason } from '../contracts/segments.js';
import type { ChurnRules } from './parameters.js';
import type { BtydSummary } from './btyd.js';
import { complaintsRaiseChurn } from './complaints.js';
import type { CustomerState } from './state.js';

export interface ChurnAssessment {
  readonly level: ChurnLevel;
  readonly reasons: ChurnReason[];
}

const LOST = CHURN_LEVELS.indexOf('lost');

export function levelFromPAlive(pAlive: number, rules: ChurnRules): number {
  const t = rules.pAliveThresholds;
  let index = 0;
  while (index < t.length && pAlive < (t[index] ?? 0)) index++;
  return index;
}

export function typicalIntervalDays(summary: BtydSummary, rules: ChurnRules): number {
  return summary.x > 0 ? summary.tx / summary.x : rules.oneTimeBuyerIntervalDays;
}

export function levelFromInactivity(recencyDays: number, typicalDays: number, rules: ChurnRules): number {
  const ratio = recencyDays / typicalDays;
  let index = 0;
  const m = rules.inactivityMultipliers;
  while (index < m.length && ratio > (m[index] ?? Infinity)) index++;
  return index;
}

export function isDetractorActive(s: CustomerState, day: number, rules: ChurnRules): boolean {
  return s.npsScore !== null && s.npsScore <= 6 && s.npsDay !== null && day - s.npsDay < rules.detractorWindowDays;
}

export function recentReturnCount(s: CustomerState, day: number, rules: ChurnRules): number {
  let n = 0;
  for (const d of s.recentReturnDays) if (d <= day && day - d < rules.returnsSpikeWindowDays) n++;
  return n;
}

export function assessChurn(
  s: CustomerState,
  day: number,
  summary: BtydSummary | null,
  pAlive: number | null,
  cancelled: boolean,
  rules: ChurnRules,
): ChurnAssessment {
  if (cancelled) return { level: 'churned', reasons: ['cancellation'] };
  const reasons: ChurnReason[] = [];
  let index = 0;
  if (summary !== null) {
    // pAlive is null where the model says nothing (the BG/NBD for one-time buyers; scoring.ts).
    if (pAlive !== null) {
      index = levelFromPAlive(pAlive, rules);
      if (index > 0) reasons.push('p_alive');
    } else {
      index = levelFromInactivity(day - (s.lastDay ?? day), typicalIntervalDays(summary, rules), rules);
      if (index > 0) reasons.push('inactivity');
    }
  }
  if (isDetractorActive(s, day, rules) && index < LOST) {
    index++;
    reasons.push('detractor');
  }
  if (recentReturnCount(s, day, rules) >= rules.returnsSpikeCount && index < LOST) {
    index++;
    reasons.push('returns_spike');
  }
  if (complaintsRaiseChurn(s, day, rules) && index < LOST) {
    index++;
    reasons.push('complaints');
  }
  return { level: CHURN_LEVELS[index] ?? 'lost', reasons };
}
