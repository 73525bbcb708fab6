/**
 * Builds the outbound events for what changed between the last published values
 * and a new profile. Ids are `seg:<customer>:<n>` / `churn:<customer>:<n>`, n the
 * customer's emission sequence, so the same input history always yields the same
 * ids and subscribers can drop repeats.
 */
import type { ChurnRisk, EmissionCause, OutboundEvent, SegmentChanged, ValueSnapshot } from '../contracts/outbound.js';
import { CHURN_LEVELS, SEGMENT_DIMENSIONS } from '../contracts/segments.js';
import type { DomainParameters } from './parameters.js';
import type { ModelSnapshot } from './model-snapshot.js';
import { predictedClvMinor, type Profile } from './profile.js';
import type { CustomerState } from './state.js';
import { msToIso } from './time.js';

export function snapshotOf(s: CustomerState, p: Profile, model: ModelSnapshot, parameters: DomainParameters): ValueSnapshot {
  const predicted = predictedClvMinor(s, p, model, parameters);
  return {
    recency_days: p.recencyDays,
    frequency: p.frequency,
    monetary_minor: p.monetaryMinor,
    r_score: p.scores?.r ?? null,
    f_score: p.scores?.f ?? null,
    m_score: p.scores?.m ?? null,
    clv_historic_minor: p.historicClvMinor,
    clv_predicted_minor: predicted,
    clv_total_minor: p.historicClvMinor + predicted,
    p_alive: p.pAlive,
    p_alive_reason: p.pAliveReason,
    churn_level: p.churn.level,
    currency: parameters.baseCurrency,
  };
}

/**
 * A segment-changed event, its fields in the contract's order. The one place
 * that builds it: the reducer here, and the outbox's compact form when it
 * reads one back (state/emission-codec.ts), so both write the same JSON.
 */
export function segmentChangedEvent(
  customerId: string,
  n: number,
  occurredAt: string,
  dimension: SegmentChanged['dimension'],
  from: SegmentChanged['from'],
  to: SegmentChanged['to'],
  cause: EmissionCause,
  snapshot: ValueSnapshot,
  modelVersion: string,
): SegmentChanged {
  return {
    type: 'segment-changed',
    event_id: `seg:${customerId}:${n}`,
    customer_id: customerId,
    occurred_at: occurredAt,
    dimension,
    from,
    to,
    cause,
    snapshot,
    model_version: modelVersion,
  };
}

/** A churn-risk event, its fields in the contract's order (see segmentChangedEvent). */
export function churnRiskEvent(
  customerId: string,
  n: number,
  occurredAt: string,
  level: ChurnRisk['level'],
  previousLevel: ChurnRisk['previous_level'],
  direction: ChurnRisk['direction'],
  reasons: ChurnRisk['reasons'],
  cause: EmissionCause,
  snapshot: ValueSnapshot,
  modelVersion: string,
): ChurnRisk {
  return {
    type: 'churn-risk',
    event_id: `churn:${customerId}:${n}`,
    customer_id: customerId,
    occurred_at: occurredAt,
    level,
    previous_level: previousLevel,
    direction,
    reasons,
    cause,
    snapshot,
    model_version: modelVersion,
  };
}

/**
 * Compares `s` (last evaluated values) with `p`, appends events to `out` and
 * updates `s` to the new values and sequence. Mutates `s` (the reducer's copy).
 * Only the dimensions and churn levels of `parameters.emit` give events; `s` follows
 * every change, so what is emitted never changes what the state holds.
 */
export function emitChanges(
  s: CustomerState,
  p: Profile,
  cause: EmissionCause,
  occurredAtMs: number,
  model: ModelSnapshot,
  parameters: DomainParameters,
  out: OutboundEvent[],
): void {
  let snapshot: ValueSnapshot | undefined;
  let occurredAt: string | undefined;
  let changed = false;
  for (const dimension of SEGMENT_DIMENSIONS) {
    const from = s.segments[dimension];
    const to = p.segments[dimension];
    if (from === to || to === null) continue;
    changed = true;
    if (!parameters.emit.dimensions.includes(dimension)) continue;
    snapshot ??= snapshotOf(s, p, model, parameters);
    occurredAt ??= msToIso(occurredAtMs);
    s.emitted += 1;
    out.push(segmentChangedEvent(s.customerId, s.emitted, occurredAt, dimension, from, to, cause, snapshot, p.modelVersion));
  }
  if (changed) s.segments = { ...p.segments };
  const previous = s.churnLevel;
  if (previous !== p.churn.level) {
    if (parameters.emit.churnLevels.includes(p.churn.level)) {
      snapshot ??= snapshotOf(s, p, model, parameters);
      occurredAt ??= msToIso(occurredAtMs);
      s.emitted += 1;
      const rising = CHURN_LEVELS.indexOf(p.churn.level) > CHURN_LEVELS.indexOf(previous);
      out.push(
        churnRiskEvent(s.customerId, s.emitted, occurredAt, p.churn.level, previous, rising ? 'rising' : 'recovering', rising ? p.churn.reasons : [], cause, snapshot, p.modelVersion),
      );
    }
    s.churnLevel = p.churn.level;
  }
}
