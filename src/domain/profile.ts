/**
 * Everything derived about a customer as of a day: R/F/M and scores, BTYD summary,
 * P(alive), CLV, segments and churn level. Recomputed from the state on every event
 * and every due timer; nothing here is stored except what `reducer.ts` keeps to
 * detect changes.
 */
import type { NpsCategory, PAliveReason } from '../contracts/segments.js';
import { isCancelled } from './account.js';
import { btydSummary, type BtydSummary } from './btyd.js';
import { assessChurn, type ChurnAssessment } from './churn.js';
import { historicClvMinor, simplePredictedClvMinor } from './clv.js';
import type { DomainParameters } from './parameters.js';
import type { ModelSnapshot } from './model-snapshot.js';
import { effectiveModelVersion } from './model-version.js';
import { npsCategory } from './nps.js';
import { relationshipLevel } from './relationship.js';
import { frequencyScore, monetaryScore, recencyScore, rfmSegment, type Score } from './rfm.js';
import { modelPredictedClvMinor, pAliveOf, pAliveReasonOf } from './model-prediction.js';
import type { CustomerState, SegmentValues } from './state.js';
import { valueQuadrant } from './value-quadrant.js';

export interface Profile {
  readonly day: number;
  readonly summary: BtydSummary | null;
  readonly recencyDays: number | null;
  readonly frequency: number;
  readonly monetaryMinor: number;
  readonly scores: { readonly r: Score; readonly f: Score; readonly m: Score } | null;
  readonly segments: SegmentValues;
  readonly churn: ChurnAssessment;
  readonly pAlive: number | null;
  /** Why pAlive is null (null when it is a number). */
  readonly pAliveReason: PAliveReason | null;
  readonly historicClvMinor: number;
  readonly npsCategory: NpsCategory | null;
  readonly modelVersion: string;
}

export { isCancelled };

export function accountStatus(s: CustomerState): SegmentValues['account_status'] {
  if (s.cancelledAt === null) return 'active';
  return isCancelled(s) ? 'cancelled' : 'reactivated';
}

/**
 * Predicted CLV is not part of `evaluate`: no segment or signal depends on it, and
 * the model form costs a hypergeometric function per period. It is computed only
 * where it is shown — emission snapshots and customer views.
 */
export function predictedClvMinor(
  s: CustomerState,
  p: Profile,
  model: ModelSnapshot,
  parameters: DomainParameters,
  horizonDays: number = parameters.clvHorizonDays,
): number {
  // A cancelled account buys nothing more until it buys again (then it is reactivated).
  if (isCancelled(s)) return 0;
  const modelClv = p.summary === null ? null : modelPredictedClvMinor(s, p.summary, model, parameters, horizonDays);
  return modelClv ?? simplePredictedClvMinor(s, p.summary, parameters, horizonDays);
}

export function evaluate(s: CustomerState, day: number, model: ModelSnapshot, parameters: DomainParameters): Profile {
  const summary = btydSummary(s, day);
  const cuts = model.cutPoints ?? parameters.defaultCutPoints;
  const monetaryMinor = s.grossMinor - s.refundMinor;
  const recencyDays = s.lastDay === null ? null : Math.max(0, day - s.lastDay);
  const scores =
    recencyDays === null
      ? null
      : { r: recencyScore(recencyDays, cuts), f: frequencyScore(s.orders, cuts), m: monetaryScore(monetaryMinor, cuts) };
  const historic = historicClvMinor(s, parameters);
  const pAlive = summary === null ? null : pAliveOf(model, summary);
  const cancelled = isCancelled(s);
  return {
    day,
    summary,
    recencyDays,
    frequency: s.orders,
    monetaryMinor,
    scores,
    segments: {
      rfm_segment: scores === null ? null : rfmSegment(scores.r, scores.f, scores.m, parameters.rfmGrid),
      value_quadrant: scores === null ? null : valueQuadrant(s, scores, historic, parameters.quadrant),
      relationship: relationshipLevel(s, scores?.m ?? null, parameters.ladder),
      account_status: accountStatus(s),
    },
    churn: assessChurn(s, day, summary, pAlive, cancelled, parameters.churn),
    pAlive,
    pAliveReason: pAlive === null ? pAliveReasonOf(model, summary) : null,
    historicClvMinor: historic,
    npsCategory: s.npsScore === null ? null : npsCategory(s.npsScore),
    modelVersion: effectiveModelVersion(model, parameters),
  };
}
