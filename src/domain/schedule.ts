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
import type { DomainParameters } from './parameters.js';
import { purchaseModelOf, type ModelSnapshot } from './model-snapshot.js';
import { pnbdProbabilityAlive, type ParetoNbdParams } from './models/index.js';
import type { Profile } from './profile.js';
import { nextRecencyDrop } from './rfm.js';
import type { CustomerState } from './state.js';

const LOST = CHURN_LEVELS.indexOf('lost');

export function nextCheckDay(s: CustomerState, p: Profile, model: ModelSnapshot, parameters: DomainParameters): number | null {
  const day = p.day;
  // The earliest candidate after `day`; written without a closure: this runs on every event.
  let next = Infinity;
  const cuts = model.cutPoints ?? parameters.defaultCutPoints;
  if (s.lastDay !== null && p.recencyDays !== null && p.summary !== null) {
    const drop = nextRecencyDrop(p.recencyDays, cuts);
    if (drop !== null) next = earliestAfter(day, next, s.lastDay + drop);
    if (p.churn.level !== 'churned') {
      if (p.pAlive !== null) {
        next = earliestAfter(day, next, nextPAliveDrop(s, p, model, parameters));
      } else {
        const typical = typicalIntervalDays(p.summary, parameters.churn);
        const index = levelFromInactivity(p.recencyDays, typical, parameters.churn);
        const multiplier = parameters.churn.inactivityMultipliers[index];
        if (index < LOST && multiplier !== undefined) {
          next = earliestAfter(day, next, s.lastDay + Math.floor(typical * multiplier) + 1);
        }
      }
    }
  }
  if (s.npsDay !== null && isDetractorActive(s, day, parameters.churn)) {
    next = earliestAfter(day, next, s.npsDay + parameters.churn.detractorWindowDays);
  }
  for (const d of s.recentReturnDays) next = earliestAfter(day, next, d + parameters.churn.returnsSpikeWindowDays);
  for (const c of s.complaintCases) next = earliestAfter(day, next, c.day + parameters.churn.complaintWindowDays);
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
 * BG/NBD has b+x in place of b+x−1, for every buyer. The Pareto/NBD's P(alive)
 * has no such inverse: its day is found by bisection (paretoCrossingT).
 */
function nextPAliveDrop(s: CustomerState, p: Profile, model: ModelSnapshot, parameters: DomainParameters): number | null {
  const m = purchaseModelOf(model);
  if (m === null || p.summary === null || s.firstDay === null || p.pAlive === null) return null;
  const { x, tx } = p.summary;
  const thresholds = parameters.churn.pAliveThresholds;
  const theta = thresholds.find((t) => p.pAlive !== null && p.pAlive >= t);
  if (theta === undefined) return null;
  if (m.kind === 'pnbd') {
    const T = paretoCrossingT(m.params, x, tx, p.summary.T, theta);
    return T === null ? null : s.firstDay + T;
  }
  const { r, alpha, a, b } = m.params;
  const base = ((1 / theta - 1) * (b + x - (m.kind === 'mbgnbd' ? 0 : 1))) / a;
  const tCross = (alpha + tx) * Math.pow(base, 1 / (r + x)) - alpha;
  if (!Number.isFinite(tCross)) return null;
  return s.firstDay + Math.floor(tCross) + 1;
}

/** Beyond this many days of silence no level change is scheduled (P(alive) then changes too slowly to matter). */
const PARETO_SEARCH_DAYS = 100 * 365;

/**
 * The first whole T after `from` at which the Pareto/NBD's P(alive), falling in
 * T, is below θ; null when it stays at or above θ for PARETO_SEARCH_DAYS.
 * At most ~22 evaluations: a doubling bracket, then bisection on whole days.
 */
function paretoCrossingT(params: ParetoNbdParams, x: number, tx: number, from: number, theta: number): number | null {
  const below = (T: number): boolean => pnbdProbabilityAlive(params, x, tx, T) < theta;
  let lo = Math.floor(from);
  let step = 1;
  let hi = lo + step;
  while (!below(hi)) {
    if (hi - from > PARETO_SEARCH_DAYS) return null;
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  // below(hi) holds and below(lo) does not (or lo is today): bisect to the first day.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (below(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
