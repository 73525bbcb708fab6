/**
 * Compact, versioned binary packing of a CustomerState (one Redis string per
 * customer). Exact: `decodeState(encodeState(s), s.customerId)` deep-equals `s`
 * for every valid state. Layout of version 3 (docs/state.md has the full table):
 *
 *   u8       version (3; versions 1 and 2 are still read, see below)
 *   u8 × 3   presence mask, 24 bits: bit 0 = absolute mode, bits 1–23 = optional fields
 *   u8       churnLevel (3 bits) | relationship (3 bits) << 3 | account_status (2 bits) << 6
 *   u8       rfm_segment (4 bits, 0 = null) | value_quadrant (3 bits, 0 = null) << 4
 *   sv       asOfDay, orders, purchaseDays, grossMinor, marginMinor, emitted
 *   …        the optional fields whose mask bit is set, in bit order
 *   arrays   dayBits, recentOrders, recentReturnDays, recentIds (length-prefixed)
 *   arrays   unattributedDays (day, sv credit, uv orders), creditSources (hash, uv sequence) — new in 2
 *   uv       cost mask, 11 bits (COST_BIT) — new in 3; then the cost and complaint
 *            fields whose bit is set, in bit order, and complaintCases (hash, day, u8 open)
 *
 * Version 1 lacks the arrays of version 2; read, both are empty (docs/state.md says
 * what that means for a referral attribution in flight across the upgrade).
 * Versions 1 and 2 lack the cost section; read, every cost and complaint field is
 * zero or empty: a customer served before the upgrade costs the flat estimate and
 * has no complaints, as it had then.
 *
 * Encodings: `sv` is a zigzag varint (sign in bit 0 of the first byte, LEB128
 * groups; computed by arithmetic so every safe integer round-trips, including
 * Number.MIN_SAFE_INTEGER); `uv` an unsigned LEB128 varint; hashes (order keys,
 * event ids) are 6 little-endian bytes; strings are UTF-8 with a `uv` byte length.
 * No field of CustomerState is fractional (money in minor units, days, counts,
 * epoch milliseconds, NPS 0–10), so there are no doubles.
 *
 * Compaction (the customer id is NOT stored: it is the key's suffix):
 * - nullable fields cost one mask bit when null; counters one bit when zero;
 * - in relative mode (the normal case) every day is written as a difference to
 *   asOfDay and every timestamp as a difference to asOfDay's midnight, in whole
 *   seconds when it has no milliseconds (a tag bit says which); absolute mode is
 *   the exact fallback when a difference would leave the safe-integer range;
 * - dayBits is written either as raw 32-bit words or as the gaps between its set
 *   bits, whichever is shorter.
 *
 * Enum codes are frozen per version in the tables below (append-only; a test
 * checks they cover the contract vocabularies).
 */
import type { CancellationReason } from '../contracts/inbound.js';
import type { AccountStatus, ChurnLevel, RelationshipLevel, RfmSegment, ValueQuadrant } from '../contracts/segments.js';
import type { ComplaintCase, CreditSource, CustomerState, RecentOrder, UnattributedDay } from '../domain/state.js';
import { Reader, Writer, codeIndex, corrupt, uvarintSize } from './binary.js';
import { StateCodecError } from './errors.js';

export const CODEC_VERSION = 3;
/** Versions `decodeState` reads. */
const READABLE_VERSIONS: readonly number[] = [1, 2, 3];

const DAY_MS = 86_400_000;
const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_48 = 0x1_0000_0000_0000;

// ------------------------------------------------------------- enum tables --

/** Frozen code tables of version 1. Append only; never reorder. */
export const CODE_TABLES = {
  churnLevel: ['active', 'cooling', 'at_risk', 'highly_at_risk', 'lost', 'churned'] as readonly ChurnLevel[],
  relationship: ['prospect', 'customer', 'client', 'supporter', 'advocate', 'partner'] as readonly RelationshipLevel[],
  accountStatus: ['active', 'cancelled', 'reactivated'] as readonly AccountStatus[],
  rfmSegment: [
    'champions',
    'loyal_customers',
    'potential_loyalist',
    'new_customers',
    'promising',
    'need_attention',
    'about_to_sleep',
    'at_risk',
    'cant_lose_them',
    'hibernating',
    'lost',
  ] as readonly RfmSegment[],
  valueQuadrant: ['true_friends', 'butterflies', 'barnacles', 'strangers'] as readonly ValueQuadrant[],
  cancelReason: [
    'price',
    'competitor',
    'service',
    'product',
    'moved',
    'no_longer_needed',
    'payment_failed',
    'other',
  ] as readonly CancellationReason[],
} as const;

/** Bits available per enum in the packed enum bytes (nullable ones reserve code 0 for null). */
const ENUM_BITS = { churnLevel: 3, relationship: 3, accountStatus: 2, rfmSegment: 4, valueQuadrant: 3 } as const;

const CHURN_INDEX = codeIndex(CODE_TABLES.churnLevel);
const RELATIONSHIP_INDEX = codeIndex(CODE_TABLES.relationship);
const ACCOUNT_INDEX = codeIndex(CODE_TABLES.accountStatus);
const RFM_INDEX = codeIndex(CODE_TABLES.rfmSegment);
const QUADRANT_INDEX = codeIndex(CODE_TABLES.valueQuadrant);
const CANCEL_INDEX = codeIndex(CODE_TABLES.cancelReason);

// The tables must fit their bit widths; checked once at load, so a vocabulary
// that outgrows a field fails loudly instead of corrupting states.
for (const [name, bits] of Object.entries(ENUM_BITS)) {
  const size = CODE_TABLES[name as keyof typeof ENUM_BITS].length + (name === 'rfmSegment' || name === 'valueQuadrant' ? 1 : 0);
  if (size > 1 << bits) throw new Error(`codec: enum ${name} has ${size} codes, more than ${bits} bits hold`);
}

// ------------------------------------------------------------- mask bits --

const BIT = {
  absolute: 0,
  firstDay: 1,
  lastDay: 2,
  lastPurchaseAt: 3,
  nextCheckDay: 4,
  firstDayAmountMinor: 5,
  discountMinor: 6,
  refundMinor: 7,
  refundMarginMinor: 8,
  returns: 9,
  unmatchedReturns: 10,
  latePurchasesBeyondWindow: 11,
  referralsMade: 12,
  successfulReferrals: 13,
  referralValueMinor: 14,
  referredBy: 15,
  referredAtDay: 16,
  referralCreditedPurchases: 17,
  npsScore: 18,
  npsAt: 19,
  npsDay: 20,
  cancelledAt: 21,
  cancelReason: 22,
  competitor: 23,
} as const;

/** Presence bits of the cost section (version 3), a uv after the version-2 arrays. */
const COST_BIT = {
  costedOrders: 0,
  orderCostMinor: 1,
  costedReturns: 2,
  returnCostMinor: 3,
  interactions: 4,
  interactionCostMinor: 5,
  interactionEstimateMinor: 6,
  complaints: 7,
  lastComplaintAt: 8,
  lastComplaintDay: 9,
  complaintCases: 10,
} as const;

// ----------------------------------------------------------------- helpers --

/** Thrown inside the encoder when a relative difference is not a safe integer. */
class NeedAbsolute extends Error {}

function invalid(what: string): StateCodecError {
  return new StateCodecError('CODEC_INVALID_STATE', `cannot encode customer state: ${what}`);
}

// ----------------------------------------------------------------- encode --

function checkInt(x: number, field: string): number {
  if (!Number.isSafeInteger(x)) throw invalid(`${field} = ${String(x)} is not a safe integer`);
  return x;
}

function checkHash(x: number, field: string): number {
  if (!Number.isInteger(x) || x < 0 || x >= TWO_POW_48) throw invalid(`${field} = ${String(x)} is not a 48-bit hash`);
  return x;
}

function checkString(s: string, field: string): string {
  if (typeof s !== 'string' || !s.isWellFormed()) throw invalid(`${field} is not a well-formed string`);
  return s;
}

function enumCode<T>(index: ReadonlyMap<T, number>, value: T, field: string): number {
  const code = index.get(value);
  if (code === undefined) throw invalid(`${field} = '${String(value)}' has no code in version ${CODEC_VERSION}`);
  return code;
}

/** Packs a customer state. The customer id is not stored (it is part of the key). Throws StateCodecError. */
export function encodeState(s: CustomerState): Buffer {
  checkInt(s.asOfDay, 'asOfDay');
  try {
    return encodeWith(s, true);
  } catch (err) {
    if (err instanceof NeedAbsolute) return encodeWith(s, false);
    throw err;
  }
}

/** 1 << bit when present, else 0: one presence bit of the field mask. */
function flag(bit: number, present: boolean): number {
  return present ? 1 << bit : 0;
}

function writeInt(w: Writer, x: number, field: string): void {
  w.svarint(checkInt(x, field));
}

/** A day as its distance from `base` (the state's asOfDay in relative mode, else 0). */
function writeDay(w: Writer, base: number, d: number, field: string): void {
  const delta = checkInt(d, field) - base;
  if (!Number.isSafeInteger(delta)) throw new NeedAbsolute();
  w.svarint(delta);
}

/** A timestamp as its distance from `anchorMs`, in whole seconds when it is one (tag 1), else in ms (tag 0). */
function writeTime(w: Writer, anchorMs: number, t: number, field: string): void {
  const delta = checkInt(t, field) - anchorMs;
  if (!Number.isSafeInteger(delta)) throw new NeedAbsolute();
  if (delta % 1000 === 0) w.svarint(delta / 1000, 1, 1);
  else w.svarint(delta, 1, 0);
}

function encodeWith(s: CustomerState, relative: boolean): Buffer {
  const w = new Writer();
  const base = relative ? s.asOfDay : 0;
  const anchorMs = relative ? s.asOfDay * DAY_MS : 0;
  if (!Number.isSafeInteger(anchorMs)) throw new NeedAbsolute();

  // Module functions (writeDay, writeTime, flag) rather than closures over w,
  // base and anchorMs: a state is encoded per changed customer, and the
  // closures were garbage each time (npm run bench:alloc).
  w.byte(CODEC_VERSION);
  let mask = relative ? 0 : 1 << BIT.absolute;
  mask |= flag(BIT.firstDay, s.firstDay !== null);
  mask |= flag(BIT.lastDay, s.lastDay !== null);
  mask |= flag(BIT.lastPurchaseAt, s.lastPurchaseAt !== null);
  mask |= flag(BIT.nextCheckDay, s.nextCheckDay !== null);
  mask |= flag(BIT.firstDayAmountMinor, s.firstDayAmountMinor !== 0);
  mask |= flag(BIT.discountMinor, s.discountMinor !== 0);
  mask |= flag(BIT.refundMinor, s.refundMinor !== 0);
  mask |= flag(BIT.refundMarginMinor, s.refundMarginMinor !== 0);
  mask |= flag(BIT.returns, s.returns !== 0);
  mask |= flag(BIT.unmatchedReturns, s.unmatchedReturns !== 0);
  mask |= flag(BIT.latePurchasesBeyondWindow, s.latePurchasesBeyondWindow !== 0);
  mask |= flag(BIT.referralsMade, s.referralsMade !== 0);
  mask |= flag(BIT.successfulReferrals, s.successfulReferrals !== 0);
  mask |= flag(BIT.referralValueMinor, s.referralValueMinor !== 0);
  mask |= flag(BIT.referredBy, s.referredBy !== null);
  mask |= flag(BIT.referredAtDay, s.referredAtDay !== null);
  mask |= flag(BIT.referralCreditedPurchases, s.referralCreditedPurchases !== 0);
  mask |= flag(BIT.npsScore, s.npsScore !== null);
  mask |= flag(BIT.npsAt, s.npsAt !== null);
  mask |= flag(BIT.npsDay, s.npsDay !== null);
  mask |= flag(BIT.cancelledAt, s.cancelledAt !== null);
  mask |= flag(BIT.cancelReason, s.cancelReason !== null);
  mask |= flag(BIT.competitor, s.competitor !== null);
  w.byte(mask & 0xff);
  w.byte((mask >>> 8) & 0xff);
  w.byte((mask >>> 16) & 0xff);

  const seg = s.segments;
  w.byte(
    enumCode(CHURN_INDEX, s.churnLevel, 'churnLevel') |
      (enumCode(RELATIONSHIP_INDEX, seg.relationship, 'segments.relationship') << 3) |
      (enumCode(ACCOUNT_INDEX, seg.account_status, 'segments.account_status') << 6),
  );
  w.byte(
    (seg.rfm_segment === null ? 0 : enumCode(RFM_INDEX, seg.rfm_segment, 'segments.rfm_segment') + 1) |
      ((seg.value_quadrant === null ? 0 : enumCode(QUADRANT_INDEX, seg.value_quadrant, 'segments.value_quadrant') + 1) << 4),
  );

  w.svarint(s.asOfDay);
  writeInt(w, s.orders, 'orders');
  writeInt(w, s.purchaseDays, 'purchaseDays');
  writeInt(w, s.grossMinor, 'grossMinor');
  writeInt(w, s.marginMinor, 'marginMinor');
  writeInt(w, s.emitted, 'emitted');

  if (s.firstDay !== null) writeDay(w, base, s.firstDay, 'firstDay');
  if (s.lastDay !== null) writeDay(w, base, s.lastDay, 'lastDay');
  if (s.lastPurchaseAt !== null) writeTime(w, anchorMs, s.lastPurchaseAt, 'lastPurchaseAt');
  if (s.nextCheckDay !== null) writeDay(w, base, s.nextCheckDay, 'nextCheckDay');
  if (s.firstDayAmountMinor !== 0) writeInt(w, s.firstDayAmountMinor, 'firstDayAmountMinor');
  if (s.discountMinor !== 0) writeInt(w, s.discountMinor, 'discountMinor');
  if (s.refundMinor !== 0) writeInt(w, s.refundMinor, 'refundMinor');
  if (s.refundMarginMinor !== 0) writeInt(w, s.refundMarginMinor, 'refundMarginMinor');
  if (s.returns !== 0) writeInt(w, s.returns, 'returns');
  if (s.unmatchedReturns !== 0) writeInt(w, s.unmatchedReturns, 'unmatchedReturns');
  if (s.latePurchasesBeyondWindow !== 0) writeInt(w, s.latePurchasesBeyondWindow, 'latePurchasesBeyondWindow');
  if (s.referralsMade !== 0) writeInt(w, s.referralsMade, 'referralsMade');
  if (s.successfulReferrals !== 0) writeInt(w, s.successfulReferrals, 'successfulReferrals');
  if (s.referralValueMinor !== 0) writeInt(w, s.referralValueMinor, 'referralValueMinor');
  if (s.referredBy !== null) w.string(checkString(s.referredBy, 'referredBy'));
  if (s.referredAtDay !== null) writeDay(w, base, s.referredAtDay, 'referredAtDay');
  if (s.referralCreditedPurchases !== 0) writeInt(w, s.referralCreditedPurchases, 'referralCreditedPurchases');
  if (s.npsScore !== null) writeInt(w, s.npsScore, 'npsScore');
  if (s.npsAt !== null) writeTime(w, anchorMs, s.npsAt, 'npsAt');
  if (s.npsDay !== null) writeDay(w, base, s.npsDay, 'npsDay');
  if (s.cancelledAt !== null) writeTime(w, anchorMs, s.cancelledAt, 'cancelledAt');
  if (s.cancelReason !== null) w.byte(enumCode(CANCEL_INDEX, s.cancelReason, 'cancelReason'));
  if (s.competitor !== null) w.string(checkString(s.competitor, 'competitor'));

  writeDayBits(w, s.dayBits);

  w.uvarint(s.recentOrders.length);
  for (const o of s.recentOrders) {
    w.uint48(checkHash(o.orderKey, 'recentOrders[].orderKey'));
    writeDay(w, base, o.day, 'recentOrders[].day');
    writeInt(w, o.amountMinor, 'recentOrders[].amountMinor');
    writeInt(w, o.marginMinor, 'recentOrders[].marginMinor');
  }
  w.uvarint(s.recentReturnDays.length);
  for (const d of s.recentReturnDays) writeDay(w, base, d, 'recentReturnDays[]');
  w.uvarint(s.recentIds.length);
  for (const h of s.recentIds) w.uint48(checkHash(h, 'recentIds[]'));
  w.uvarint(s.unattributedDays.length);
  for (const d of s.unattributedDays) {
    writeDay(w, base, d.day, 'unattributedDays[].day');
    writeInt(w, d.creditMinor, 'unattributedDays[].creditMinor');
    writeCount(w, d.orders, 'unattributedDays[].orders');
  }
  w.uvarint(s.creditSources.length);
  for (const c of s.creditSources) {
    w.uint48(checkHash(c.source, 'creditSources[].source'));
    writeCount(w, c.sequence, 'creditSources[].sequence');
  }
  writeCostSection(w, s, base, anchorMs);

  return w.finish();
}

/** Version 3: cost to serve and complaints, one mask bit per field that is not zero or null. */
function writeCostSection(w: Writer, s: CustomerState, base: number, anchorMs: number): void {
  let mask = 0;
  mask |= flag(COST_BIT.costedOrders, s.costedOrders !== 0);
  mask |= flag(COST_BIT.orderCostMinor, s.orderCostMinor !== 0);
  mask |= flag(COST_BIT.costedReturns, s.costedReturns !== 0);
  mask |= flag(COST_BIT.returnCostMinor, s.returnCostMinor !== 0);
  mask |= flag(COST_BIT.interactions, s.interactions !== 0);
  mask |= flag(COST_BIT.interactionCostMinor, s.interactionCostMinor !== 0);
  mask |= flag(COST_BIT.interactionEstimateMinor, s.interactionEstimateMinor !== 0);
  mask |= flag(COST_BIT.complaints, s.complaints !== 0);
  mask |= flag(COST_BIT.lastComplaintAt, s.lastComplaintAt !== null);
  mask |= flag(COST_BIT.lastComplaintDay, s.lastComplaintDay !== null);
  mask |= flag(COST_BIT.complaintCases, s.complaintCases.length !== 0);
  w.uvarint(mask);
  if (s.costedOrders !== 0) writeInt(w, s.costedOrders, 'costedOrders');
  if (s.orderCostMinor !== 0) writeInt(w, s.orderCostMinor, 'orderCostMinor');
  if (s.costedReturns !== 0) writeInt(w, s.costedReturns, 'costedReturns');
  if (s.returnCostMinor !== 0) writeInt(w, s.returnCostMinor, 'returnCostMinor');
  if (s.interactions !== 0) writeInt(w, s.interactions, 'interactions');
  if (s.interactionCostMinor !== 0) writeInt(w, s.interactionCostMinor, 'interactionCostMinor');
  if (s.interactionEstimateMinor !== 0) writeInt(w, s.interactionEstimateMinor, 'interactionEstimateMinor');
  if (s.complaints !== 0) writeInt(w, s.complaints, 'complaints');
  if (s.lastComplaintAt !== null) writeTime(w, anchorMs, s.lastComplaintAt, 'lastComplaintAt');
  if (s.lastComplaintDay !== null) writeDay(w, base, s.lastComplaintDay, 'lastComplaintDay');
  if (s.complaintCases.length === 0) return;
  w.uvarint(s.complaintCases.length);
  for (const c of s.complaintCases) {
    w.uint48(checkHash(c.caseKey, 'complaintCases[].caseKey'));
    writeDay(w, base, c.day, 'complaintCases[].day');
    w.byte(c.open ? 1 : 0);
  }
}

/** A positive count as a uv. */
function writeCount(w: Writer, n: number, field: string): void {
  if (!Number.isSafeInteger(n) || n < 1) throw invalid(`${field} = ${String(n)} is not a positive integer`);
  w.uvarint(n);
}

/** dayBits: uv (length·2 + mode); mode 0: length × u32 LE; mode 1: uv count, count × uv gap. */
function writeDayBits(w: Writer, words: readonly number[]): void {
  const positions: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as number;
    if (!Number.isInteger(word) || word < 0 || word >= TWO_POW_32) {
      throw invalid(`dayBits[${i}] = ${String(word)} is not a 32-bit unsigned integer`);
    }
    if (word === 0) continue;
    for (let b = 0; b < 32; b++) if (((word >>> b) & 1) === 1) positions.push(i * 32 + b);
  }
  let sparseSize = uvarintSize(positions.length);
  let prev = -1;
  for (const pos of positions) {
    sparseSize += uvarintSize(pos - prev - 1);
    prev = pos;
  }
  if (sparseSize < words.length * 4) {
    w.uvarint(words.length * 2 + 1);
    w.uvarint(positions.length);
    prev = -1;
    for (const pos of positions) {
      w.uvarint(pos - prev - 1);
      prev = pos;
    }
  } else {
    w.uvarint(words.length * 2);
    for (const word of words) w.uint32(word);
  }
}

// ----------------------------------------------------------------- decode --

function decodeEnum<T>(table: readonly T[], code: number, field: string): T {
  const v = table[code];
  if (v === undefined) throw corrupt(`unknown ${field} code ${code}`);
  return v;
}

/** The codec version byte of a stored value, or undefined for an empty buffer. */
export function storedVersion(buf: Uint8Array): number | undefined {
  return buf[0];
}

function has(mask: number, bit: number): boolean {
  return ((mask >>> bit) & 1) === 1;
}

function readDay(r: Reader, base: number): number {
  const d = base + r.svarint();
  if (!Number.isSafeInteger(d)) throw corrupt(`day out of range at byte ${r.pos}`);
  return d;
}

function readTime(r: Reader, anchorMs: number): number {
  const v = r.svarint(1);
  const t = anchorMs + (r.lastTag === 1 ? v * 1000 : v);
  if (!Number.isSafeInteger(t)) throw corrupt(`timestamp out of range at byte ${r.pos}`);
  return t;
}

/** A field stored only when non-zero (its mask bit says so); stored as 0 it is corrupt. */
function readNonZero(r: Reader, mask: number, bit: number, field: string): number {
  if (!has(mask, bit)) return 0;
  const v = r.svarint();
  if (v === 0) throw corrupt(`${field} flagged non-zero but stored as 0`);
  return v;
}

/**
 * Unpacks a customer state written by `encodeState`; `customerId` is the id the
 * key was built from. Throws StateCodecError (CODEC_UNKNOWN_VERSION, CODEC_CORRUPT).
 */
export function decodeState(buf: Uint8Array, customerId: string): CustomerState {
  const version = buf[0];
  if (version === undefined) throw corrupt('empty value');
  if (!READABLE_VERSIONS.includes(version)) {
    throw new StateCodecError(
      'CODEC_UNKNOWN_VERSION',
      `customer state has codec version ${version}; this build reads versions ${READABLE_VERSIONS.join(' and ')}`,
    );
  }
  const r = new Reader(buf);
  r.pos = 1;
  const mask = r.byte() | (r.byte() << 8) | (r.byte() << 16);
  const relative = !has(mask, BIT.absolute);

  const enumsA = r.byte();
  const enumsB = r.byte();
  if ((enumsB & 0x80) !== 0) throw corrupt('reserved enum bit set');
  const churnLevel = decodeEnum(CODE_TABLES.churnLevel, enumsA & 0x07, 'churnLevel');
  const relationship = decodeEnum(CODE_TABLES.relationship, (enumsA >>> 3) & 0x07, 'relationship');
  const accountStatus = decodeEnum(CODE_TABLES.accountStatus, (enumsA >>> 6) & 0x03, 'account_status');
  const rfmCode = enumsB & 0x0f;
  const quadrantCode = (enumsB >>> 4) & 0x07;
  const rfmSegment = rfmCode === 0 ? null : decodeEnum(CODE_TABLES.rfmSegment, rfmCode - 1, 'rfm_segment');
  const valueQuadrant = quadrantCode === 0 ? null : decodeEnum(CODE_TABLES.valueQuadrant, quadrantCode - 1, 'value_quadrant');

  const asOfDay = r.svarint();
  const base = relative ? asOfDay : 0;
  const anchorMs = relative ? asOfDay * DAY_MS : 0;
  if (!Number.isSafeInteger(anchorMs)) throw corrupt('relative mode with an out-of-range asOfDay');

  // Module functions (readDay, readTime, readNonZero, has) rather than closures
  // over r, mask and the anchors: a state is decoded per customer loaded, and
  // the closures were garbage each time (npm run bench:alloc).

  const orders = r.svarint();
  const purchaseDays = r.svarint();
  const grossMinor = r.svarint();
  const marginMinor = r.svarint();
  const emitted = r.svarint();

  const firstDay = has(mask, BIT.firstDay) ? readDay(r, base) : null;
  const lastDay = has(mask, BIT.lastDay) ? readDay(r, base) : null;
  const lastPurchaseAt = has(mask, BIT.lastPurchaseAt) ? readTime(r, anchorMs) : null;
  const nextCheckDay = has(mask, BIT.nextCheckDay) ? readDay(r, base) : null;
  const firstDayAmountMinor = readNonZero(r, mask, BIT.firstDayAmountMinor, 'firstDayAmountMinor');
  const discountMinor = readNonZero(r, mask, BIT.discountMinor, 'discountMinor');
  const refundMinor = readNonZero(r, mask, BIT.refundMinor, 'refundMinor');
  const refundMarginMinor = readNonZero(r, mask, BIT.refundMarginMinor, 'refundMarginMinor');
  const returns = readNonZero(r, mask, BIT.returns, 'returns');
  const unmatchedReturns = readNonZero(r, mask, BIT.unmatchedReturns, 'unmatchedReturns');
  const latePurchasesBeyondWindow = readNonZero(r, mask, BIT.latePurchasesBeyondWindow, 'latePurchasesBeyondWindow');
  const referralsMade = readNonZero(r, mask, BIT.referralsMade, 'referralsMade');
  const successfulReferrals = readNonZero(r, mask, BIT.successfulReferrals, 'successfulReferrals');
  const referralValueMinor = readNonZero(r, mask, BIT.referralValueMinor, 'referralValueMinor');
  const referredBy = has(mask, BIT.referredBy) ? r.string() : null;
  const referredAtDay = has(mask, BIT.referredAtDay) ? readDay(r, base) : null;
  const referralCreditedPurchases = readNonZero(r, mask, BIT.referralCreditedPurchases, 'referralCreditedPurchases');
  const npsScore = has(mask, BIT.npsScore) ? r.svarint() : null;
  const npsAt = has(mask, BIT.npsAt) ? readTime(r, anchorMs) : null;
  const npsDay = has(mask, BIT.npsDay) ? readDay(r, base) : null;
  const cancelledAt = has(mask, BIT.cancelledAt) ? readTime(r, anchorMs) : null;
  const cancelReason = has(mask, BIT.cancelReason) ? decodeEnum(CODE_TABLES.cancelReason, r.byte(), 'cancelReason') : null;
  const competitor = has(mask, BIT.competitor) ? r.string() : null;

  const dayBits = readDayBits(r);

  const orderCount = r.length(9, 'recentOrders');
  const recentOrders: RecentOrder[] = new Array<RecentOrder>(orderCount);
  for (let i = 0; i < orderCount; i++) {
    const orderKey = r.uint48();
    const d = readDay(r, base);
    const amountMinor = r.svarint();
    const margin = r.svarint();
    recentOrders[i] = { orderKey, day: d, amountMinor, marginMinor: margin };
  }
  const returnCount = r.length(1, 'recentReturnDays');
  const recentReturnDays = new Array<number>(returnCount);
  for (let i = 0; i < returnCount; i++) recentReturnDays[i] = readDay(r, base);
  const idCount = r.length(6, 'recentIds');
  const recentIds = new Array<number>(idCount);
  for (let i = 0; i < idCount; i++) recentIds[i] = r.uint48();
  let unattributedDays: UnattributedDay[];
  let creditSources: CreditSource[];
  if (version === 1) {
    unattributedDays = [];
    creditSources = [];
  } else {
    const dayCount = r.length(3, 'unattributedDays');
    unattributedDays = new Array<UnattributedDay>(dayCount);
    for (let i = 0; i < dayCount; i++) {
      const d = readDay(r, base);
      const credit = r.svarint();
      unattributedDays[i] = { day: d, creditMinor: credit, orders: r.uvarint() };
    }
    const sourceCount = r.length(7, 'creditSources');
    creditSources = new Array<CreditSource>(sourceCount);
    for (let i = 0; i < sourceCount; i++) {
      const source = r.uint48();
      creditSources[i] = { source, sequence: r.uvarint() };
    }
  }

  const cost = version >= 3 ? readCostSection(r, base, anchorMs) : noCosts();

  if (r.remaining !== 0) throw corrupt(`${r.remaining} trailing bytes`);

  // Same key order as emptyState(), so decoded states share one object shape.
  return {
    customerId,
    asOfDay,
    orders,
    purchaseDays,
    firstDay,
    firstDayAmountMinor,
    lastDay,
    lastPurchaseAt,
    dayBits,
    grossMinor,
    discountMinor,
    marginMinor,
    refundMinor,
    refundMarginMinor,
    returns,
    unmatchedReturns,
    latePurchasesBeyondWindow,
    recentOrders,
    recentReturnDays,
    costedOrders: cost.costedOrders,
    orderCostMinor: cost.orderCostMinor,
    costedReturns: cost.costedReturns,
    returnCostMinor: cost.returnCostMinor,
    interactions: cost.interactions,
    interactionCostMinor: cost.interactionCostMinor,
    interactionEstimateMinor: cost.interactionEstimateMinor,
    complaints: cost.complaints,
    lastComplaintAt: cost.lastComplaintAt,
    lastComplaintDay: cost.lastComplaintDay,
    complaintCases: cost.complaintCases,
    referralsMade,
    successfulReferrals,
    referralValueMinor,
    referredBy,
    referredAtDay,
    referralCreditedPurchases,
    unattributedDays,
    creditSources,
    npsScore,
    npsAt,
    npsDay,
    cancelledAt,
    cancelReason,
    competitor,
    segments: { rfm_segment: rfmSegment, value_quadrant: valueQuadrant, relationship, account_status: accountStatus },
    churnLevel,
    nextCheckDay,
    emitted,
    recentIds,
  };
}

type CostFields = Pick<
  CustomerState,
  | 'costedOrders'
  | 'orderCostMinor'
  | 'costedReturns'
  | 'returnCostMinor'
  | 'interactions'
  | 'interactionCostMinor'
  | 'interactionEstimateMinor'
  | 'complaints'
  | 'lastComplaintAt'
  | 'lastComplaintDay'
  | 'complaintCases'
>;

/** What a state written before version 3 had: no actual costs, no interactions, no complaints (a fresh array: the reducer changes states in place). */
function noCosts(): CostFields {
  return {
    costedOrders: 0,
    orderCostMinor: 0,
    costedReturns: 0,
    returnCostMinor: 0,
    interactions: 0,
    interactionCostMinor: 0,
    interactionEstimateMinor: 0,
    complaints: 0,
    lastComplaintAt: null,
    lastComplaintDay: null,
    complaintCases: [],
  };
}

function readCostSection(r: Reader, base: number, anchorMs: number): CostFields {
  const mask = r.uvarint();
  if (mask >>> 11 !== 0) throw corrupt(`unknown cost mask bits ${mask.toString(2)}`);
  const costedOrders = readNonZero(r, mask, COST_BIT.costedOrders, 'costedOrders');
  const orderCostMinor = readNonZero(r, mask, COST_BIT.orderCostMinor, 'orderCostMinor');
  const costedReturns = readNonZero(r, mask, COST_BIT.costedReturns, 'costedReturns');
  const returnCostMinor = readNonZero(r, mask, COST_BIT.returnCostMinor, 'returnCostMinor');
  const interactions = readNonZero(r, mask, COST_BIT.interactions, 'interactions');
  const interactionCostMinor = readNonZero(r, mask, COST_BIT.interactionCostMinor, 'interactionCostMinor');
  const interactionEstimateMinor = readNonZero(r, mask, COST_BIT.interactionEstimateMinor, 'interactionEstimateMinor');
  const complaints = readNonZero(r, mask, COST_BIT.complaints, 'complaints');
  const lastComplaintAt = has(mask, COST_BIT.lastComplaintAt) ? readTime(r, anchorMs) : null;
  const lastComplaintDay = has(mask, COST_BIT.lastComplaintDay) ? readDay(r, base) : null;
  let complaintCases: ComplaintCase[] = [];
  if (has(mask, COST_BIT.complaintCases)) {
    const count = r.length(8, 'complaintCases');
    if (count === 0) throw corrupt('complaintCases flagged non-empty but stored empty');
    complaintCases = new Array<ComplaintCase>(count);
    for (let i = 0; i < count; i++) {
      const caseKey = r.uint48();
      const day = readDay(r, base);
      const open = r.byte();
      if (open > 1) throw corrupt(`complaintCases[${i}].open is ${open}, not 0 or 1`);
      complaintCases[i] = { caseKey, day, open: open === 1 };
    }
  }
  return {
    costedOrders,
    orderCostMinor,
    costedReturns,
    returnCostMinor,
    interactions,
    interactionCostMinor,
    interactionEstimateMinor,
    complaints,
    lastComplaintAt,
    lastComplaintDay,
    complaintCases,
  };
}

function readDayBits(r: Reader): number[] {
  const head = r.uvarint();
  const len = Math.floor(head / 2);
  if ((head & 1) === 0) {
    if (len * 4 > r.remaining) throw corrupt(`dayBits length ${len} exceeds the remaining ${r.remaining} bytes`);
    const words = new Array<number>(len);
    for (let i = 0; i < len; i++) words[i] = r.uint32();
    return words;
  }
  // Sparse: the length is not bounded by the bytes left, so bound it by the format (≤ 2^20 words).
  if (len > 1 << 20) throw corrupt(`dayBits length ${len} is implausible`);
  const count = r.length(1, 'dayBits positions');
  const words = new Array<number>(len).fill(0);
  let pos = -1;
  for (let i = 0; i < count; i++) {
    pos += r.uvarint() + 1;
    if (pos >= len * 32) throw corrupt(`dayBits position ${pos} beyond ${len} words`);
    const w = pos >>> 5;
    words[w] = ((words[w] as number) | (1 << (pos & 31))) >>> 0;
  }
  return words;
}
