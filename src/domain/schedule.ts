/**
 * When must this customer be looked at again if nothing happens? The earliest
 * future day on which a time-driven rule can change its outcome:
 * - the R score drops (recency crosses a cut point) — RFM segment and quadrant;
 * - the inactivity ratio crosses the next multiplier, or P(alive) falls below the
 *   next threshold (closed form, below) — churn level;
 * - a detractor answer, a returns spike or a complaint stops counting — churn level recovers.
 * Null when no rule can change by time alone.
 */
import { CHURN_LEVELS } from '../contracts/segments.js';
import { isDetractorActive, levelFromInactivity, typicalIntervalDays } from './churn.js';
import type { DomainConfig } from './config.js';
import type { ModelSnapshot } from './model-snapshot.js';
import type { Profile } from './profile.js';
import { nextRecencyDrop } from './rfm.js';
import type { CustomerState } from './state.js';

const LOST = CHURN_LEVELS.indexOf('lost');

export function nextCheckDay(s: CustomerState, p: Profile, model: ModelSnapshot, config: DomainConfig): number | null {
  const day = p.day;
  // The earliest candidate after `day`; written without a closure: this runs on every event.
  let next = Infinity;
  const cuts = model.cutPoints ?? config.defaultCutPoints;
  if (s.lastDay !== null && p.recencyDays !== null && p.summary !== null) {
    const drop = nextRecencyDrop(p.recencyDays, cuts);
    if (drop !== null) next = earliestAfter(day, next, s.lastDay + drop);
    if (p.churn.level !== 'churned') {
      if (p.pAlive !== null) {
        next = earliestAfter(day, next, nextPAliveDrop(s, p, model, config));
      } else {
        const typical = typicalIntervalDays(p.summary, config.churn);
        const index = levelFromInactivity(p.recencyDays, typical, config.churn);
        const multiplier = config.churn.inactivityMultipliers[index];
        if (index < LOST && multiplier !== undefined) {
          next = earliestAfter(day, next, s.lastDay + Math.floor(typical * multiplier) + 1);
        }
      }
    }
  }
  if (s.npsDay !== null && isDetractorActive(s, day, config.churn)) {
    next = earliestAfter(day, next, s.npsDay + config.churn.detractorWindowDays);
  }
  for (const d of s.recentReturnDays) next = earliestAfter(day, next, d + config.churn.returnsSpikeWindowDays);
  for (const c of s.complaintCases) next = earliestAfter(day, next, c.day + config.churn.complaintWindowDays);
  return Number.isFinite(next) ? next : null;
}

function earliestAfter(day: number, current: number, candidate: number | null): number {
  return candidate !== null && candidate > day && candidate < current ? candidate : current;
}

/**
 * For a repeat buyer, BG/NBD gives P(alive) = 1 / (1 + a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)),
 * decreasing in T. It falls below a threshold θ once
 *   T > (α + t_x) · ((1/θ − 1) · (b+x−1)/a)^(1/(r+x)) − α,
 * so the day of the next level change is found without searching. The modified
 * BG/NBD has b+x in place of b+x−1, for every buyer.
 */
function nextPAliveDrop(s: CustomerState, p: Profile, model: ModelSnapshot, config: DomainConfig): number | null {
  const params = model.bgnbd;
  if (params === null || p.summary === null || s.firstDay === null || p.pAlive === null) return null;
  const { x, tx } = p.summary;
  const thresholds = config.churn.pAliveThresholds;
  const theta = thresholds.find((t) => p.pAlive !== null && p.pAlive >= t);
  if (theta === undefined) return null;
  const { r, alpha, a, b } = params;
  const base = ((1 / theta - 1) * (b + x - (model.purchaseModel === 'mbgnbd' ? 0 : 1))) / a;
  const tCross = (alpha + tx) * Math.pow(base, 1 / (r + x)) - alpha;
  if (!Number.isFinite(tCross)) return null;
  return s.firstDay + Math.floor(tCross) + 1;
}
