/**
 * Wire → domain: parses a message's bytes, validates it against its contract and
 * the deployment's rules, and converts it to a `DomainInput` in base-currency minor
 * units. Every rejection is data — a `Rejection` with a code, a message and the
 * offending fields — never an exception: it goes to the dead-letter topic.
 */
import type { z } from 'zod';
import type { DeadLetterCode, FieldIssue } from '../contracts/dead-letter.js';
import { INBOUND_TYPES, inboundSchemas, isInboundType, lenientInboundSchemas, type InboundEvent, type InboundType } from '../contracts/inbound.js';
import { toMinorUnits } from '../contracts/minor-units.js';
import type { DecimalAmount } from '../contracts/primitives.js';
import type { CrossCustomerInput } from '../domain/apply.js';
import type { DomainInput } from '../domain/input.js';
import { convertToBase, type RateTable } from '../domain/currency-conversion.js';
import { localDayOf } from '../domain/time.js';

export interface IngestRules {
  readonly unknownFields: 'reject' | 'ignore';
  /** Epoch ms: events before it are rejected as absurdly old. */
  readonly earliestMs: number;
  readonly maxFutureSkewMs: number;
  readonly maxMessageBytes: number;
  readonly baseCurrency: string;
  readonly rates: RateTable;
}

export interface Rejection {
  readonly code: DeadLetterCode;
  readonly message: string;
  readonly issues: FieldIssue[];
}

/**
 * What every inbound message becomes at the edge, whatever its wire form (JSON,
 * registry-framed, an internal record), with its event time `at` (ms; null for
 * a rejection, which has none it could trust):
 * - `input`: an inbound event, valid, and the domain input it makes;
 * - `routed`: a cross-customer input a partition sent its target's owner
 *   through the internal topic (a referral's attribution or credit);
 * - `rejected`: why the message cannot be processed; it goes to the dead letters.
 */
export type Decoded =
  | { readonly tag: 'input'; readonly event: InboundEvent; readonly input: DomainInput; readonly at: number }
  | { readonly tag: 'routed'; readonly input: CrossCustomerInput; readonly at: number }
  | { readonly tag: 'rejected'; readonly rejection: Rejection; readonly at: null };

/** What a message that claims to be an inbound event can become: never `routed`. */
export type EventDecoded = Exclude<Decoded, { readonly tag: 'routed' }>;

export function rejected(rejection: Rejection): EventDecoded {
  return { tag: 'rejected', rejection, at: null };
}

/** A cross-customer input sits in the merge at the time it takes hold, not at its cause's. */
export function routed(input: CrossCustomerInput): Decoded {
  return { tag: 'routed', input, at: input.applyAt };
}

const reject = (code: DeadLetterCode, message: string, issues: FieldIssue[] = []): EventDecoded => rejected({ code, message, issues });

/**
 * Decodes raw bytes (a JSON document). `expected` is the type of the topic the
 * message came from; null accepts any inbound type (a replay file).
 */
export function decodeBytes(bytes: Buffer | null, expected: InboundType | null, rules: IngestRules, nowMs: number): EventDecoded {
  if (bytes === null || bytes.length === 0) {
    return reject('malformed_json', 'empty message value (tombstone)', [payloadIssue('json', 'must be a JSON document, not empty')]);
  }
  if (bytes.length > rules.maxMessageBytes) {
    const message = `message is ${bytes.length} bytes; the limit is ${rules.maxMessageBytes} (EVENTS_MAX_MESSAGE_BYTES)`;
    return reject('oversized', message, [payloadIssue('max_bytes', message)]);
  }
  const text = utf8Text(bytes);
  if (text === null) {
    const message = 'the message is not valid UTF-8 (the bytes are kept as they came, in value_base64)';
    return reject('invalid_utf8', message, [payloadIssue('utf8', message)]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const message = `not valid JSON: ${(cause as Error).message}`;
    return reject('malformed_json', message, [payloadIssue('json', message)]);
  }
  return decodeValue(value, expected, rules, nowMs);
}

export function decodeValue(value: unknown, expected: InboundType | null, rules: IngestRules, nowMs: number): EventDecoded {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('not_an_object', 'the payload must be a JSON object', [payloadIssue('object', 'must be a JSON object')]);
  }
  const illFormed = illFormedText(value, '');
  if (illFormed !== null) {
    const issue = { field: illFormed, rule: 'well_formed', message: 'must be well-formed Unicode text (a lone surrogate such as \\ud800 is not)' };
    return reject('ill_formed_unicode', `${illFormed || '(payload)'} ${issue.message}`, [issue]);
  }
  const type = (value as Record<string, unknown>)['type'];
  if (!isInboundType(type)) {
    return reject('unknown_event_type', `unknown event type ${JSON.stringify(type)}; expected one of ${INBOUND_TYPES.join(', ')}`, [
      { field: 'type', rule: 'enum', message: `must be ${INBOUND_TYPES.slice(0, -1).join(', ')} or ${INBOUND_TYPES.at(-1)}` },
    ]);
  }
  if (expected !== null && type !== expected) {
    return reject('topic_mismatch', `a ${type} event on the ${expected} topic`, [
      { field: 'type', rule: 'topic', message: `must be ${expected} on this topic` },
    ]);
  }
  const schemas = rules.unknownFields === 'reject' ? inboundSchemas : lenientInboundSchemas;
  const parsed = (schemas[type] as z.ZodType<InboundEvent>).safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => toFieldIssue(issue, value));
    return reject('invalid_event', describe(type, issues), issues);
  }
  return normalise(parsed.data, rules, nowMs);
}

function normalise(event: InboundEvent, rules: IngestRules, nowMs: number): EventDecoded {
  const at = Date.parse(event.occurred_at);
  if (at < rules.earliestMs) {
    return outOfWindow(`is before ${new Date(rules.earliestMs).toISOString()} (EVENTS_EARLIEST)`);
  }
  if (at > nowMs + rules.maxFutureSkewMs) {
    return outOfWindow(`is more than ${rules.maxFutureSkewMs / 1000} s in the future (EVENTS_MAX_FUTURE_SKEW_SECONDS)`);
  }
  const base = { eventId: event.event_id, customerId: event.customer_id, at, day: localDayOf(event.occurred_at) };
  switch (event.type) {
    case 'purchase': {
      // Zero is a purchase too (a free order still counts as a transaction, as in CDNOW).
      const amount = minorAmount(event.amount, event.currency, 'amount', true, rules);
      if (!amount.ok) return amount.failure;
      const discount = event.discount === undefined ? NO_AMOUNT : minorAmount(event.discount, event.currency, 'discount', true, rules);
      if (!discount.ok) return discount.failure;
      const margin = event.margin === undefined ? null : minorAmount(event.margin, event.currency, 'margin', true, rules);
      if (margin !== null && !margin.ok) return margin.failure;
      if (margin !== null && margin.minor > amount.minor) {
        const issue = { field: 'margin', rule: 'max', message: 'must not exceed amount' };
        return reject('invalid_event', `purchase: margin ${issue.message}`, [issue]);
      }
      const cost = optionalMinorAmount(event.cost_to_serve, event.currency, 'cost_to_serve', rules);
      if (!cost.ok) return cost.failure;
      return ok(event, {
        kind: 'purchase',
        ...base,
        orderId: event.order_id ?? event.event_id,
        amountMinor: amount.minor,
        discountMinor: discount.minor,
        marginMinor: margin === null ? null : margin.minor,
        costMinor: cost.minor,
      });
    }
    case 'return': {
      const amount = minorAmount(event.amount, event.currency, 'amount', false, rules);
      if (!amount.ok) return amount.failure;
      const cost = optionalMinorAmount(event.cost_to_serve, event.currency, 'cost_to_serve', rules);
      if (!cost.ok) return cost.failure;
      return ok(event, { kind: 'return', ...base, orderId: event.order_id ?? null, amountMinor: amount.minor, costMinor: cost.minor });
    }
    case 'referral':
      return ok(event, { kind: 'referral', ...base, referredCustomerId: event.referred_customer_id });
    case 'cancellation':
      return ok(event, { kind: 'cancellation', ...base, reason: event.reason, competitor: event.competitor ?? null });
    case 'feedback':
      return ok(event, { kind: 'feedback', ...base, score: event.score });
    case 'interaction': {
      // The schema requires a currency with a cost; the reason is validated and dropped here.
      const cost = optionalMinorAmount(event.cost, event.currency ?? rules.baseCurrency, 'cost', rules);
      if (!cost.ok) return cost.failure;
      return ok(event, {
        kind: 'interaction',
        ...base,
        interactionKind: event.kind,
        costMinor: cost.minor,
        caseId: event.case_id ?? null,
        resolved: event.resolved,
      });
    }
  }
}

type OptionalMinorAmount = { ok: true; minor: number | null } | { ok: false; failure: EventDecoded };

/** An optional cost: absent is null (the configured estimate applies), zero is a real cost of nothing. */
function optionalMinorAmount(amount: DecimalAmount | undefined, currency: string, field: string, rules: IngestRules): OptionalMinorAmount {
  if (amount === undefined) return { ok: true, minor: null };
  return minorAmount(amount, currency, field, true, rules);
}

type MinorAmount = { ok: true; minor: number } | { ok: false; failure: EventDecoded };

/** An absent optional amount: zero, with nothing to parse or convert. */
const NO_AMOUNT: MinorAmount = { ok: true, minor: 0 };

function minorAmount(amount: DecimalAmount, currency: string, field: string, allowZero: boolean, rules: IngestRules): MinorAmount {
  const parsed = toMinorUnits(amount, currency, allowZero);
  if (!parsed.ok) {
    const issue = { field: parsed.rule === 'currency' ? 'currency' : field, rule: parsed.rule, message: parsed.message };
    return { ok: false, failure: reject('invalid_event', `${issue.field} ${issue.message}`, [issue]) };
  }
  const converted = convertToBase(parsed.minor, currency, rules.baseCurrency, rules.rates);
  if (!converted.ok) {
    const issue = { field: 'currency', rule: 'convertible', message: converted.message };
    return { ok: false, failure: reject('unconvertible_currency', converted.message, [issue]) };
  }
  return { ok: true, minor: converted.minor };
}

/**
 * Fatal: bytes that are not UTF-8 are an error, not U+FFFD (which would store
 * text the producer never sent). The BOM is kept, so a leading one is not JSON.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as text, or null when they are not UTF-8 (never U+FFFD in their place). */
export function utf8Text(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * The dotted path of the first string (key or value) that is not well-formed
 * UTF-16 — a lone surrogate, which JSON may carry as an escape — else null.
 * Neither the state nor the emission codec can store such text, and UTF-8 on
 * the wire cannot carry it, so it is refused here for every field alike.
 */
function illFormedText(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.isWellFormed() ? null : path;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (!key.isWellFormed()) return at;
    const found = illFormedText(item, at);
    if (found !== null) return found;
  }
  return null;
}

/** An issue about the payload as a whole: the empty field name means "the message". */
function payloadIssue(rule: string, message: string): FieldIssue {
  return { field: '', rule, message };
}

function outOfWindow(what: string): EventDecoded {
  const issue = { field: 'occurred_at', rule: 'time_window', message: what };
  return reject('out_of_time_window', `occurred_at ${what}`, [issue]);
}

function ok(event: InboundEvent, input: DomainInput): EventDecoded {
  return { tag: 'input', event, input, at: input.at };
}

const RULE_BY_CODE: Record<string, string> = {
  too_big: 'max',
  too_small: 'min',
  invalid_type: 'type',
  invalid_format: 'format',
  invalid_value: 'enum',
  unrecognized_keys: 'unknown_field',
  invalid_union: 'type',
  custom: 'consistency',
};

function toFieldIssue(issue: z.core.$ZodIssue, payload: unknown): FieldIssue {
  if (issue.code === 'unrecognized_keys') {
    return { field: issue.keys.join(','), rule: 'unknown_field', message: 'is not a field of this event (EVENTS_UNKNOWN_FIELDS=reject)' };
  }
  const field = issue.path.map(String).join('.');
  // A missing union-typed field (amount: string or number) fails as invalid_union, not invalid_type.
  const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_union') && valueAt(payload, issue.path) === undefined;
  return {
    field,
    rule: missing ? 'required' : (RULE_BY_CODE[issue.code] ?? issue.code),
    message: missing ? 'is required' : issue.message,
  };
}

function valueAt(payload: unknown, path: readonly PropertyKey[]): unknown {
  let current = payload;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describe(type: string, issues: readonly FieldIssue[]): string {
  return `${type}: ` + issues.map((i) => `${i.field || '(payload)'} ${i.message} [${i.rule}]`).join('; ');
}
