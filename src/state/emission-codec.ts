/**
 * The outbox's compact form of a segment-changed or churn-risk event: its
 * fields as enum indexes, varints and length-prefixed strings, about a fifth
 * of its JSON. The runner writes this form into the commit; the relay reads it
 * back and produces `JSON.stringify` of the rebuilt event, so what subscribers
 * receive is byte for byte what the runner would have written as JSON.
 *
 * Why: on `npm run bench`'s workload a customer event brings several
 * emissions, and their JSON was most of what the runner's thread wrote: serialising it, sending it to Redis over the socket,
 * Redis' Lua hashing every byte of the commit's arguments, and the relay
 * reading it all back. Serialising now happens on the relay's thread, which
 * has room, and the backlog runs faster (benchmarks/RESULTS.md).
 *
 *   byte      type                 0 segment-changed, 1 churn-risk
 *   string    customer_id          (also the record's key)
 *   uvarint   n                    event_id = seg:<customer_id>:<n> | churn:<customer_id>:<n>
 *   svarint   occurred_at          epoch ms (also the record's event time)
 *   byte      cause kind           0 event: string event_id, byte event_type; 1 timer: svarint due_at ms;
 *                                  2 model_changed: string model_version
 *   snapshot  9 numbers (see `num`; p_alive may be "null, reason"), byte churn_level,
 *             string currency; clv_total_minor is not stored: it is historic + predicted
 *   string    model_version
 *   segment-changed: byte dimension, byte from (0 = null, else code + 1), byte to
 *                    (from and to coded by the dimension's table of the state codec)
 *   churn-risk:      byte level, byte previous_level, byte direction, uvarint n + n bytes reasons
 *
 * Only an event that this form reproduces exactly is written so
 * (`writeEmission` says when it could not): canonical ids, times that are what
 * `toISOString` writes, known enum values. Anything else stays JSON (outbox-codec.ts).
 */
import type { ChurnRisk, EmissionCause, OutboundEvent, SegmentChanged, ValueSnapshot } from '../contracts/outbound.js';
import type { PAliveReason, SegmentDimension } from '../contracts/segments.js';
import { churnRiskEvent, segmentChangedEvent } from '../domain/emissions.js';
import { msToIso } from '../domain/time.js';
import { codeIndex, corrupt, type Reader, type Writer } from './binary.js';
import { CODE_TABLES } from './codec.js';

/**
 * Frozen code tables of the compact form, next to the state codec's (whose
 * churn levels and segment values it shares). Append only; never reorder: a
 * rolling upgrade relays entries the previous release wrote. A test checks
 * that they cover the contract's enums.
 */
export const EMISSION_CODE_TABLES = {
  dimension: ['rfm_segment', 'value_quadrant', 'relationship', 'account_status'] as readonly SegmentDimension[],
  churnReason: ['p_alive', 'inactivity', 'detractor', 'returns_spike', 'cancellation'] as readonly ChurnRisk['reasons'][number][],
  causeType: ['purchase', 'return', 'referral', 'cancellation', 'feedback', 'referral_attributed', 'referral_credit'] as readonly string[],
  direction: ['rising', 'recovering'] as readonly ChurnRisk['direction'][],
  pAliveReason: ['no_purchase', 'no_model', 'one_time_buyer'] as readonly PAliveReason[],
} as const;

/** Each dimension's values, coded by the state codec's table for that dimension. */
/**
 * Contract values newer than the compact form: an emission that carries one stays
 * JSON, which a release from before them relays unchanged (a code it has no
 * table entry for would be a corrupt entry to it during a rolling upgrade).
 */
export const JSON_ONLY_VALUES = {
  churnReason: ['complaints'] as readonly string[],
  causeType: ['interaction'] as readonly string[],
} as const;

const SEGMENT_TABLES: Readonly<Record<SegmentDimension, readonly string[]>> = {
  rfm_segment: CODE_TABLES.rfmSegment,
  value_quadrant: CODE_TABLES.valueQuadrant,
  relationship: CODE_TABLES.relationship,
  account_status: CODE_TABLES.accountStatus,
};

const NUM_NULL = 0;
const NUM_INTEGER = 1;
const NUM_FLOAT = 2;
/**
 * p_alive only: null, then a byte, the index of its reason. Entries of earlier
 * releases, which had no reason, hold NUM_NULL there: their reason is what it
 * could only be then (no purchase when frequency is 0, otherwise no model), and
 * that pair is still written as NUM_NULL, so only a one-time buyer's null under
 * the BG/NBD needs this tag (which an earlier release cannot read).
 */
const NUM_NULL_WITH_REASON = 3;

// The emissions of one reduction share their occurred_at, and a timer's due_at is its occurred_at: remember the last one.
let lastIso = '';
let lastIsoMs: number | null = null;

/** Epoch ms of an ISO string when it is what `toISOString` writes for that time, else null. */
function isoMs(iso: string): number | null {
  if (iso !== lastIso) {
    const ms = Date.parse(iso);
    lastIsoMs = Number.isFinite(ms) && msToIso(ms) === iso ? ms : null;
    lastIso = iso;
  }
  return lastIsoMs;
}

/** n of an event id `seg:<customer_id>:<n>` / `churn:<customer_id>:<n>` (n ≥ 1, no leading zero, at most 15 digits), else null. */
function sequenceOf(e: OutboundEvent): number | null {
  const id = e.event_id;
  const head = e.type === 'segment-changed' ? 'seg:' : 'churn:';
  const start = head.length + e.customer_id.length + 1;
  const digits = id.length - start;
  if (digits < 1 || digits > 15 || !id.startsWith(head) || !id.startsWith(e.customer_id, head.length) || id.charCodeAt(start - 1) !== 0x3a) return null;
  let n = 0;
  for (let i = start; i < id.length; i++) {
    const d = id.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9 || (d === 0 && i === start)) return null;
    n = n * 10 + d;
  }
  return n;
}

const SEGMENT_INDEXES: Readonly<Record<SegmentDimension, ReadonlyMap<string, number>>> = {
  rfm_segment: codeIndex(SEGMENT_TABLES.rfm_segment),
  value_quadrant: codeIndex(SEGMENT_TABLES.value_quadrant),
  relationship: codeIndex(SEGMENT_TABLES.relationship),
  account_status: codeIndex(SEGMENT_TABLES.account_status),
};
const CAUSE_TYPE_INDEX = codeIndex(EMISSION_CODE_TABLES.causeType);
const DIMENSION_INDEX = codeIndex(EMISSION_CODE_TABLES.dimension);
const CHURN_LEVEL_INDEX = codeIndex(CODE_TABLES.churnLevel);
const CHURN_REASON_INDEX = codeIndex(EMISSION_CODE_TABLES.churnReason);
const DIRECTION_INDEX = codeIndex(EMISSION_CODE_TABLES.direction);
const P_ALIVE_REASON_INDEX = codeIndex(EMISSION_CODE_TABLES.pAliveReason);

/** Thrown inside `writeEmission` when a field is not representable; never leaves this module (one instance: no stack per throw). */
const NOT_COMPACT = new Error('not representable in the compact form');

function need<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw NOT_COMPACT;
  return value;
}

/** A string UTF-8 carries unchanged: a lone surrogate would come back as U+FFFD, where JSON writes an escape. */
function text(w: Writer, s: string): void {
  if (!s.isWellFormed()) throw NOT_COMPACT;
  w.string(s);
}

/**
 * Writes `e` in compact form and returns its occurred_at (epoch ms), or returns
 * null, having written an unknown amount, when this form could not reproduce
 * `e` exactly: the caller then rewinds the writer and stores the JSON. One pass:
 * checking first and writing after took twice the lookups.
 */
export function writeEmission(w: Writer, e: OutboundEvent): number | null {
  try {
    const atMs = need(isoMs(e.occurred_at));
    w.byte(e.type === 'segment-changed' ? 0 : 1);
    text(w, e.customer_id);
    w.uvarint(need(sequenceOf(e)));
    w.svarint(atMs);
    writeCause(w, e.cause);
    writeSnapshot(w, e.snapshot);
    text(w, e.model_version);
    if (e.type === 'segment-changed') {
      w.byte(need(DIMENSION_INDEX.get(e.dimension)));
      const values = SEGMENT_INDEXES[e.dimension];
      w.byte(e.from === null ? 0 : need(values.get(e.from)) + 1);
      w.byte(need(values.get(e.to)));
    } else {
      w.byte(need(CHURN_LEVEL_INDEX.get(e.level)));
      w.byte(need(CHURN_LEVEL_INDEX.get(e.previous_level)));
      w.byte(need(DIRECTION_INDEX.get(e.direction)));
      w.uvarint(e.reasons.length);
      for (const reason of e.reasons) w.byte(need(CHURN_REASON_INDEX.get(reason)));
    }
    return atMs;
  } catch (err) {
    if (err === NOT_COMPACT) return null;
    throw err;
  }
}

/** Reads an event `writeEmission` wrote; its fields come out in the order the domain builds them (emissions.ts). */
export function readEmission(r: Reader): { event: OutboundEvent; atMs: number } {
  const type = r.byte();
  if (type > 1) throw corrupt(`unknown emission type ${type}`);
  const customerId = r.string();
  const n = r.uvarint();
  const atMs = r.svarint();
  const occurredAt = msToIso(atMs);
  const cause = readCause(r);
  const snapshot = readSnapshot(r);
  const modelVersion = r.string();
  if (type === 0) {
    const dimension = pick(EMISSION_CODE_TABLES.dimension, r.byte(), 'dimension');
    const values = SEGMENT_TABLES[dimension];
    const fromIndex = r.byte();
    const from = fromIndex === 0 ? null : pick(values, fromIndex - 1, 'segment');
    const to = pick(values, r.byte(), 'segment');
    const event = segmentChangedEvent(customerId, n, occurredAt, dimension, from as SegmentChanged['from'], to as SegmentChanged['to'], cause, snapshot, modelVersion);
    return { event, atMs };
  }
  const level = pick(CODE_TABLES.churnLevel, r.byte(), 'churn level');
  const previousLevel = pick(CODE_TABLES.churnLevel, r.byte(), 'churn level');
  const direction = pick(EMISSION_CODE_TABLES.direction, r.byte(), 'direction');
  const reasons = new Array<string>(r.length(1, 'reasons'));
  for (let i = 0; i < reasons.length; i++) reasons[i] = pick(EMISSION_CODE_TABLES.churnReason, r.byte(), 'churn reason');
  const event = churnRiskEvent(customerId, n, occurredAt, level, previousLevel, direction, reasons as ChurnRisk['reasons'], cause, snapshot, modelVersion);
  return { event, atMs };
}

function writeCause(w: Writer, c: EmissionCause): void {
  if (c.kind === 'event') {
    w.byte(0);
    text(w, c.event_id);
    w.byte(need(CAUSE_TYPE_INDEX.get(c.event_type)));
  } else if (c.kind === 'timer') {
    w.byte(1);
    w.svarint(need(isoMs(c.due_at)));
  } else {
    w.byte(2);
    text(w, c.model_version);
  }
}

function readCause(r: Reader): EmissionCause {
  const kind = r.byte();
  if (kind === 0) {
    const eventId = r.string();
    return { kind: 'event', event_id: eventId, event_type: pick(EMISSION_CODE_TABLES.causeType, r.byte(), 'cause type') } as EmissionCause;
  }
  if (kind === 1) return { kind: 'timer', due_at: msToIso(r.svarint()) };
  if (kind === 2) return { kind: 'model_changed', model_version: r.string() };
  throw corrupt(`unknown cause kind ${kind}`);
}

function writeSnapshot(w: Writer, s: ValueSnapshot): void {
  num(w, s.recency_days);
  num(w, s.frequency);
  num(w, s.monetary_minor);
  num(w, s.r_score);
  num(w, s.f_score);
  num(w, s.m_score);
  num(w, s.clv_historic_minor);
  num(w, s.clv_predicted_minor);
  if (s.clv_total_minor !== s.clv_historic_minor + s.clv_predicted_minor) throw NOT_COMPACT;
  if (s.p_alive === null) {
    const reason = need(s.p_alive_reason);
    if (reason === legacyReason(s.frequency)) {
      w.byte(NUM_NULL);
    } else {
      w.byte(NUM_NULL_WITH_REASON);
      w.byte(need(P_ALIVE_REASON_INDEX.get(reason)));
    }
  } else {
    if (s.p_alive_reason !== null || !Number.isFinite(s.p_alive)) throw NOT_COMPACT;
    num(w, s.p_alive);
  }
  w.byte(need(CHURN_LEVEL_INDEX.get(s.churn_level)));
  text(w, s.currency);
}

function readSnapshot(r: Reader): ValueSnapshot {
  const recencyDays = readNum(r);
  const frequency = readNum(r);
  const monetaryMinor = readNum(r);
  const rScore = readNum(r);
  const fScore = readNum(r);
  const mScore = readNum(r);
  const historic = readNum(r);
  const predicted = readNum(r);
  let pAlive: number | null = null;
  let pAliveReason: PAliveReason | null = null;
  const pAliveTag = r.byte();
  if (pAliveTag === NUM_NULL_WITH_REASON) {
    pAliveReason = pick(EMISSION_CODE_TABLES.pAliveReason, r.byte(), 'P(alive) reason');
  } else {
    pAlive = numAfterTag(r, pAliveTag);
    if (pAlive === null) pAliveReason = legacyReason(frequency);
  }
  const churnLevel = pick(CODE_TABLES.churnLevel, r.byte(), 'churn level');
  return {
    recency_days: recencyDays,
    frequency,
    monetary_minor: monetaryMinor,
    r_score: rScore,
    f_score: fScore,
    m_score: mScore,
    clv_historic_minor: historic,
    clv_predicted_minor: predicted,
    clv_total_minor: (historic ?? 0) + (predicted ?? 0),
    p_alive: pAlive,
    p_alive_reason: pAliveReason,
    churn_level: churnLevel,
    currency: r.string(),
  } as ValueSnapshot;
}

/** The only reasons a null P(alive) had before the reason was written down. */
function legacyReason(frequency: number | null): PAliveReason {
  return frequency === 0 ? 'no_purchase' : 'no_model';
}

/** A number or null: a tag byte, then a zigzag varint (safe integers) or 8 bytes of float64. */
function num(w: Writer, x: number | null): void {
  if (x === null || !Number.isFinite(x)) {
    // JSON writes a non-finite number as null too.
    w.byte(NUM_NULL);
  } else if (Number.isSafeInteger(x)) {
    w.byte(NUM_INTEGER);
    w.svarint(x);
  } else {
    w.byte(NUM_FLOAT);
    w.float64(x);
  }
}

function readNum(r: Reader): number | null {
  return numAfterTag(r, r.byte());
}

function numAfterTag(r: Reader, tag: number): number | null {
  if (tag === NUM_NULL) return null;
  if (tag === NUM_INTEGER) return r.svarint();
  if (tag === NUM_FLOAT) return r.float64();
  throw corrupt(`unknown number tag ${tag}`);
}

function pick<T>(values: readonly T[], index: number, what: string): T {
  const value = values[index];
  if (value === undefined) throw corrupt(`unknown ${what} index ${index}`);
  return value;
}
