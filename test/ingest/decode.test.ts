import { describe, expect, it } from 'vitest';
import type { FieldIssue } from '../../src/contracts/dead-letter.js';
import { localDayOf } from '../../src/domain/time.js';
import { decodeBytes, decodeValue, type EventDecoded, type IngestRules } from '../../src/ingest/decode.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const rules: IngestRules = {
  unknownFields: 'reject',
  earliestMs: Date.parse('1990-01-01T00:00:00Z'),
  maxFutureSkewMs: 300_000,
  maxMessageBytes: 1024,
  baseCurrency: 'USD',
  rates: { EUR: '1.1', JPY: '0.0067' },
};

const common = { event_id: 'e-1', customer_id: 'c-1', occurred_at: '2026-03-01T10:00:00Z' };
const purchase = { type: 'purchase', ...common, amount: '12.50', currency: 'USD' };

const decode = (value: unknown, r: Partial<IngestRules> = {}, expected: Parameters<typeof decodeValue>[1] = null): EventDecoded =>
  decodeValue(value, expected, { ...rules, ...r }, NOW);
const bytes = (text: string, r: Partial<IngestRules> = {}): EventDecoded => decodeBytes(Buffer.from(text, 'utf8'), null, { ...rules, ...r }, NOW);

function rejection(d: EventDecoded): { code: string; issues: FieldIssue[]; message: string } {
  if (d.tag === 'input') throw new Error(`expected a rejection, got ${JSON.stringify(d.input)}`);
  return d.rejection;
}
/** code and [field, rule] pairs of a rejection */
const reason = (d: EventDecoded) => {
  const r = rejection(d);
  return [r.code, r.issues.map((i) => [i.field, i.rule])];
};
function input(d: EventDecoded) {
  if (d.tag !== 'input') throw new Error(`expected success, got ${JSON.stringify(d.rejection)}`);
  return d.input;
}

describe('decode: accepted events become domain inputs', () => {
  it('a purchase in the base currency', () => {
    expect(input(decode(purchase))).toEqual({
      kind: 'purchase',
      eventId: 'e-1',
      customerId: 'c-1',
      at: Date.parse('2026-03-01T10:00:00Z'),
      day: localDayOf('2026-03-01'),
      orderId: 'e-1', // defaults to the event id
      amountMinor: 1250,
      discountMinor: 0,
      marginMinor: null,
      costMinor: null,
    });
  });

  it("the day is the calendar date written at the producer's offset, not UTC's", () => {
    const d = input(decode({ ...purchase, occurred_at: '2026-03-01T00:30:00+02:00' })); // 2026-02-28T22:30Z
    expect(d.day).toBe(localDayOf('2026-03-01'));
    expect(d.at).toBe(Date.parse('2026-02-28T22:30:00Z'));
  });

  it('converts amount, discount and margin to the base currency', () => {
    // €12.50 × 1.1 = $13.75; €2.00 × 1.1 = $2.20; €5.55 × 1.1 = $6.105 → 610 (half even)
    const d = input(decode({ ...purchase, currency: 'EUR', discount: '2.00', margin: '5.55', order_id: 'o-9' }));
    expect(d).toMatchObject({ amountMinor: 1375, discountMinor: 220, marginMinor: 610, orderId: 'o-9' });
    // ¥1500 × 0.0067 = $10.05
    expect(input(decode({ ...purchase, currency: 'JPY', amount: 1500 }))).toMatchObject({ amountMinor: 1005 });
  });

  it('a free order (amount 0) is a purchase', () => {
    expect(input(decode({ ...purchase, amount: '0' }))).toMatchObject({ amountMinor: 0 });
  });

  it('every other type', () => {
    expect(input(decode({ type: 'return', ...common, amount: 3, currency: 'USD' }))).toMatchObject({ kind: 'return', orderId: null, amountMinor: 300 });
    expect(input(decode({ type: 'referral', ...common, referred_customer_id: 'c-2' }))).toMatchObject({ kind: 'referral', referredCustomerId: 'c-2' });
    expect(input(decode({ type: 'cancellation', ...common, reason: 'competitor', competitor: 'Acme' }))).toMatchObject({
      kind: 'cancellation',
      reason: 'competitor',
      competitor: 'Acme',
    });
    expect(input(decode({ type: 'cancellation', ...common, reason: 'price' }))).toMatchObject({ competitor: null });
    expect(input(decode({ type: 'feedback', ...common, score: 0 }))).toMatchObject({ kind: 'feedback', score: 0 });
  });

  it('decodes bytes of JSON', () => {
    expect(input(bytes(JSON.stringify(purchase)))).toMatchObject({ kind: 'purchase', amountMinor: 1250 });
  });
});

describe('decode: every rejection names its code, field and rule', () => {
  it.each([
    ['not JSON', '{"type":'],
    ['an empty value (tombstone)', ''],
  ])('malformed_json: %s', (_what, text) => {
    const r = rejection(bytes(text));
    expect(r.code).toBe('malformed_json');
    // The whole payload is at fault: the empty field name stands for the message.
    expect(r.issues).toEqual([{ field: '', rule: 'json', message: expect.any(String) as string }]);
  });

  it('malformed_json: a null value (tombstone)', () => {
    expect(rejection(decodeBytes(null, null, rules, NOW)).code).toBe('malformed_json');
  });

  it.each(['[]', '42', 'null', '"purchase"'])('not_an_object: %s', (text) => {
    expect(reason(bytes(text))).toEqual(['not_an_object', [['', 'object']]]);
  });

  it('oversized: a message above the byte limit, measured in bytes (not characters)', () => {
    const padded = (n: number) => JSON.stringify({ ...purchase, customer_id: 'c' }).replace('"c"', `"${'c'.repeat(n)}"`);
    const atLimit = padded(1);
    const limit = Buffer.byteLength(atLimit);
    expect(bytes(atLimit, { maxMessageBytes: limit }).tag).toBe('input');
    const r = rejection(bytes(padded(2), { maxMessageBytes: limit }));
    expect(r.code).toBe('oversized');
    expect(r.message).toContain(`${limit + 1} bytes`);
    expect(r.issues).toEqual([{ field: '', rule: 'max_bytes', message: r.message }]);
    // "é" is 2 bytes in UTF-8: same character count, one byte over
    expect(rejection(bytes(atLimit.replace('"c"', '"é"'), { maxMessageBytes: limit })).code).toBe('oversized');
  });

  it.each([
    ['an unknown type', { ...purchase, type: 'refund' }],
    ['no type', { ...common, amount: '1', currency: 'USD' }],
  ])('unknown_event_type: %s', (_what, value) => {
    expect(reason(decode(value))).toEqual(['unknown_event_type', [['type', 'enum']]]);
  });

  it('topic_mismatch: a purchase on the return topic; null (a replay file) accepts any type', () => {
    expect(reason(decode(purchase, {}, 'return'))).toEqual(['topic_mismatch', [['type', 'topic']]]);
    expect(decode(purchase, {}, 'purchase').tag).toBe('input');
    expect(decode(purchase, {}, null).tag).toBe('input');
  });

  it.each(['amount', 'currency', 'customer_id', 'event_id', 'occurred_at'])('invalid_event: missing %s → rule required', (field) => {
    const value: Record<string, unknown> = { ...purchase };
    delete value[field];
    const r = rejection(decode(value));
    expect(r.code).toBe('invalid_event');
    expect(r.issues).toEqual([{ field, rule: 'required', message: 'is required' }]);
    expect(r.message).toContain(`${field} is required`);
  });

  it('invalid_event: too long ids → rule max', () => {
    expect(reason(decode({ ...purchase, event_id: 'e'.repeat(129) }))).toEqual(['invalid_event', [['event_id', 'max']]]);
    expect(reason(decode({ ...purchase, customer_id: 'c'.repeat(65) }))).toEqual(['invalid_event', [['customer_id', 'max']]]);
    expect(decode({ ...purchase, event_id: 'e'.repeat(128), customer_id: 'c'.repeat(64) }).tag).toBe('input');
  });

  it.each(['2026-03-01T10:00:00', '2026-03-01', '2026-02-30T10:00:00Z', 'yesterday'])(
    'invalid_event: occurred_at %s (no offset / not a date-time) → rule format',
    (occurredAt) => {
      expect(reason(decode({ ...purchase, occurred_at: occurredAt }))).toEqual(['invalid_event', [['occurred_at', 'format']]]);
    },
  );

  it('out_of_time_window: before the earliest accepted time', () => {
    expect(reason(decode({ ...purchase, occurred_at: '1989-12-31T23:59:59.999Z' }))).toEqual([
      'out_of_time_window',
      [['occurred_at', 'time_window']],
    ]);
    expect(decode({ ...purchase, occurred_at: '1990-01-01T00:00:00Z' }).tag).toBe('input');
  });

  it('out_of_time_window: further in the future than the allowed skew', () => {
    // now 12:00:00Z + 300 s skew = 12:05:00Z
    expect(decode({ ...purchase, occurred_at: '2026-03-01T12:05:00Z' }).tag).toBe('input');
    expect(decode({ ...purchase, occurred_at: '2026-03-01T13:05:00+01:00' }).tag).toBe('input');
    const r = rejection(decode({ ...purchase, occurred_at: '2026-03-01T12:05:00.001Z' }));
    expect([r.code, r.issues.map((i) => [i.field, i.rule])]).toEqual(['out_of_time_window', [['occurred_at', 'time_window']]]);
    expect(r.message).toContain('300 s in the future');
  });

  it('invalid_event: an unknown field is rejected by default (rule unknown_field) and dropped with unknownFields: ignore', () => {
    expect(reason(decode({ ...purchase, discont: '1.00' }))).toEqual(['invalid_event', [['discont', 'unknown_field']]]);
    const lenient = decode({ ...purchase, discont: '1.00' }, { unknownFields: 'ignore' });
    expect(lenient.tag === 'input' && !('discont' in lenient.event)).toBe(true);
    expect(input(lenient)).toMatchObject({ amountMinor: 1250, discountMinor: 0 });
  });

  it.each([
    ['USD amount with 3 decimals', { amount: '12.345' }, 'amount'],
    ['USD amount as a JSON number with 3 decimals', { amount: 12.345 }, 'amount'],
    ['JPY amount with 1 decimal', { amount: '1500.5', currency: 'JPY' }, 'amount'],
    ['USD discount with 3 decimals', { discount: '0.001' }, 'discount'],
    ['USD margin with 3 decimals', { margin: '1.001' }, 'margin'],
  ])('invalid_event: precision finer than the currency (%s)', (_what, patch, field) => {
    expect(reason(decode({ ...purchase, ...patch }))).toEqual(['invalid_event', [[field, 'precision']]]);
  });

  it('trailing zeros are not extra precision', () => {
    expect(input(decode({ ...purchase, amount: '12.5000' }))).toMatchObject({ amountMinor: 1250 });
    expect(input(decode({ ...purchase, amount: '1500.00', currency: 'JPY' }))).toMatchObject({ amountMinor: 1005 });
  });

  it('invalid_event: negative amounts', () => {
    // a JSON number passes the shape and fails the decimal rule; a string fails the shape
    expect(reason(decode({ ...purchase, amount: -5 }))).toEqual(['invalid_event', [['amount', 'format']]]);
    const r = rejection(decode({ ...purchase, amount: '-5.00' }));
    expect(r.code).toBe('invalid_event');
    expect(r.issues.map((i) => i.field)).toEqual(['amount']);
  });

  it('invalid_event: a zero refund → rule positive; a margin above the amount → rule max', () => {
    expect(reason(decode({ type: 'return', ...common, amount: '0.00', currency: 'USD' }))).toEqual(['invalid_event', [['amount', 'positive']]]);
    expect(reason(decode({ ...purchase, margin: '12.51' }))).toEqual(['invalid_event', [['margin', 'max']]]);
  });

  it('invalid_event: an unknown currency (rule currency) or a malformed code (rule format)', () => {
    expect(reason(decode({ ...purchase, currency: 'XYZ' }))).toEqual(['invalid_event', [['currency', 'currency']]]);
    expect(reason(decode({ ...purchase, currency: 'usd' }))).toEqual(['invalid_event', [['currency', 'format']]]);
  });

  it('unconvertible_currency: a currency without a rate to the base currency', () => {
    const r = rejection(decode({ ...purchase, currency: 'GBP' }));
    expect([r.code, r.issues.map((i) => [i.field, i.rule])]).toEqual(['unconvertible_currency', [['currency', 'convertible']]]);
    expect(r.message).toMatch(/GBP.*USD/);
  });

  it('invalid_event: a self-referral is named on referred_customer_id', () => {
    const r = rejection(decode({ type: 'referral', ...common, referred_customer_id: 'c-1' }));
    expect(r.code).toBe('invalid_event');
    expect(r.issues).toEqual([{ field: 'referred_customer_id', rule: 'consistency', message: 'must differ from customer_id (self-referral)' }]);
  });

  it('invalid_event: enums and ranges', () => {
    expect(reason(decode({ type: 'cancellation', ...common, reason: 'bored' }))).toEqual(['invalid_event', [['reason', 'enum']]]);
    expect(reason(decode({ type: 'feedback', ...common, score: 11 }))).toEqual(['invalid_event', [['score', 'max']]]);
    expect(reason(decode({ type: 'feedback', ...common, score: '9' }))).toEqual(['invalid_event', [['score', 'type']]]);
  });

  it('lists every violation of one event', () => {
    const r = rejection(decode({ ...purchase, event_id: '', amount: undefined, currency: 'usd' }));
    expect(r.issues.map((i) => [i.field, i.rule])).toEqual([
      ['event_id', 'min'],
      ['event_id', 'format'], // '' is not a token either
      ['amount', 'required'],
      ['currency', 'format'],
    ]);
  });
});

describe('decode: text must be valid UTF-8 and well-formed Unicode (what the state and emission codecs can store)', () => {
  const cancellation = { type: 'cancellation', ...common, reason: 'competitor' };

  it('invalid_utf8: bytes that are not UTF-8 are rejected, never read as U+FFFD', () => {
    const purchaseBytes = Buffer.concat([
      Buffer.from(JSON.stringify({ ...purchase, channel: 'caf' }).slice(0, -2), 'utf8'),
      Buffer.from([0xe9]),
      Buffer.from('"}', 'utf8'),
    ]);
    expect(purchaseBytes.toString('utf8')).toContain('caf\ufffd');
    const r1 = rejection(decodeBytes(purchaseBytes, null, rules, NOW));
    expect(r1.code).toBe('invalid_utf8');
    expect(r1.issues.map((i) => [i.field, i.rule])).toEqual([['', 'utf8']]);
    expect(r1.message).toMatch(/not valid UTF-8/);

    const cancellationBytes = Buffer.concat([
      Buffer.from(JSON.stringify({ ...cancellation, competitor: 'rival' }).slice(0, -2), 'utf8'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}', 'utf8'),
    ]);
    expect(rejection(decodeBytes(cancellationBytes, 'cancellation', rules, NOW)).code).toBe('invalid_utf8');
  });

  it('ill_formed_unicode: a lone surrogate written as a JSON escape is rejected with its field', () => {
    const text = JSON.stringify({ ...cancellation, competitor: 'x' }).replace('"x"', '"\\ud800"');
    expect(JSON.parse(text)).toMatchObject({ competitor: '\ud800' });
    expect(reason(bytes(text))).toEqual(['ill_formed_unicode', [['competitor', 'well_formed']]]);
    // Also in a field that is validated but never stored, and in a payload from the Schema Registry.
    expect(reason(decode({ type: 'feedback', ...common, score: 3, comment: 'ok \udc00' }))).toEqual(['ill_formed_unicode', [['comment', 'well_formed']]]);
    expect(reason(decode({ ...purchase, channel: 'a\ud83d' }))).toEqual(['ill_formed_unicode', [['channel', 'well_formed']]]);
  });

  it('well-formed text outside ASCII (a surrogate pair, accents) is accepted', () => {
    expect(input(bytes(JSON.stringify({ ...cancellation, competitor: 'café 😀 rival' })))).toMatchObject({ competitor: 'café 😀 rival' });
    expect(input(bytes(JSON.stringify({ ...cancellation, competitor: 'x' }).replace('"x"', '"\\ud83d\\ude00"')))).toMatchObject({ competitor: '😀' });
  });
});

describe('decode: cost to serve and service interactions', () => {
  const interaction = { type: 'interaction', ...common, kind: 'complaint', channel: 'phone', resolved: false };

  it("a purchase's and a return's cost_to_serve, converted like the amount; absent is null (the flat estimate applies)", () => {
    expect(input(decode({ ...purchase, currency: 'EUR', cost_to_serve: '2.00' }))).toMatchObject({ kind: 'purchase', costMinor: 220 });
    expect(input(decode({ ...purchase, cost_to_serve: '0' }))).toMatchObject({ costMinor: 0 });
    const ret = { type: 'return', ...common, amount: '5.00', currency: 'USD' };
    expect(input(decode(ret))).toMatchObject({ kind: 'return', costMinor: null });
    expect(input(decode({ ...ret, cost_to_serve: 3.5 }))).toMatchObject({ costMinor: 350 });
  });

  it('rejects a cost_to_serve that is negative, too precise or not an amount, naming the field', () => {
    const negative = rejection(decode({ ...purchase, cost_to_serve: '-1.00' }));
    expect([negative.code, negative.issues.map((i) => i.field)]).toEqual(['invalid_event', ['cost_to_serve']]);
    expect(reason(decode({ ...purchase, cost_to_serve: -2 }))).toEqual(['invalid_event', [['cost_to_serve', 'format']]]);
    // Too precise for the currency: the rule the amount itself gets, on the cost's field.
    const amountRule = rejection(decode({ ...purchase, amount: '1.001' })).issues[0]?.rule;
    expect(reason(decode({ ...purchase, cost_to_serve: '1.001' }))).toEqual(['invalid_event', [['cost_to_serve', amountRule]]]);
  });

  it('an interaction becomes an input without its free-text reason or channel', () => {
    const d = input(decode({ ...interaction, reason: 'parcel arrived broken', cost: '4.20', currency: 'EUR', case_id: 'T-17', order_id: 'o-1' }));
    expect(d).toEqual({
      kind: 'interaction',
      eventId: 'e-1',
      customerId: 'c-1',
      at: Date.parse('2026-03-01T10:00:00Z'),
      day: localDayOf('2026-03-01'),
      interactionKind: 'complaint',
      costMinor: 462,
      caseId: 'T-17',
      resolved: false,
    });
    expect(JSON.stringify(d)).not.toContain('parcel');
    expect(input(decode({ ...interaction, kind: 'support_contact', resolved: true, resolved_at: '2026-03-01T11:00:00Z' }))).toMatchObject({
      interactionKind: 'support_contact',
      costMinor: null,
      caseId: null,
      resolved: true,
    });
  });

  it.each([
    ['an unknown kind', { kind: 'praise' }, [['kind', 'enum']]],
    ['a missing channel', { channel: undefined }, [['channel', 'required']]],
    ['resolved not a boolean', { resolved: 'yes' }, [['resolved', 'type']]],
    ['a cost without a currency', { cost: '1.00' }, [['currency', 'consistency']]],
    ['resolved_at while unresolved', { resolved_at: '2026-03-01T11:00:00Z' }, [['resolved_at', 'consistency']]],
    ['resolved_at before occurred_at', { resolved: true, resolved_at: '2026-03-01T09:00:00Z' }, [['resolved_at', 'consistency']]],
    ['a reason over 2000 characters', { reason: 'x'.repeat(2001) }, [['reason', 'max']]],
    ['an unknown field', { severity: 3 }, [['severity', 'unknown_field']]],
  ])('rejects %s with a specific issue', (_what, patch, issues) => {
    expect(reason(decode({ ...interaction, ...patch }))).toEqual(['invalid_event', issues]);
  });

  it('rejects a negative or too precise cost, and a cost in a currency without a rate', () => {
    expect(reason(decode({ ...interaction, cost: -3, currency: 'USD' }))).toEqual(['invalid_event', [['cost', 'format']]]);
    const precise = rejection(decode({ ...interaction, cost: '3.001', currency: 'USD' }));
    expect(precise.issues.map((i) => [i.field, i.rule])).toEqual([['cost', rejection(decode({ ...purchase, amount: '1.001' })).issues[0]?.rule]]);
    expect(reason(decode({ ...interaction, cost: '3.00', currency: 'GBP' }))).toEqual(['unconvertible_currency', [['currency', 'convertible']]]);
  });

  it('names the interaction type among those expected for an unknown type', () => {
    expect(rejection(decode({ ...interaction, type: 'ticket' })).message).toContain('interaction');
  });
});
