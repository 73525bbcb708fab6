import { describe, expect, it } from 'vitest';
import { inboundSchemas, lenientInboundSchemas } from '../../src/contracts/inbound.js';

const purchase = {
  type: 'purchase',
  event_id: 'e-1',
  customer_id: 'c-1',
  occurred_at: '2026-03-01T12:00:00+01:00',
  amount: '12.50',
  currency: 'EUR',
};

function issues(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string; code: string }[] } }) {
  return (result.error?.issues ?? []).map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code }));
}

describe('inbound contracts', () => {
  it('accept a minimal valid event of every type', () => {
    const common = { event_id: 'e', customer_id: 'c', occurred_at: '2026-01-01T00:00:00Z' };
    expect(inboundSchemas.purchase.safeParse(purchase).success).toBe(true);
    expect(inboundSchemas.return.safeParse({ type: 'return', ...common, amount: 3, currency: 'USD' }).success).toBe(true);
    expect(inboundSchemas.referral.safeParse({ type: 'referral', ...common, referred_customer_id: 'd' }).success).toBe(true);
    expect(inboundSchemas.cancellation.safeParse({ type: 'cancellation', ...common, reason: 'price' }).success).toBe(true);
    expect(inboundSchemas.feedback.safeParse({ type: 'feedback', ...common, score: 0 }).success).toBe(true);
  });

  it('name the field and the rule of every violation', () => {
    const bad = { ...purchase, event_id: 'x'.repeat(129), occurred_at: '2026-03-01T12:00:00', currency: 'eur' };
    expect(issues(inboundSchemas.purchase.safeParse(bad))).toEqual([
      { path: 'event_id', message: 'must be at most 128 characters', code: 'too_big' },
      { path: 'occurred_at', message: expect.stringContaining('with a UTC offset') as string, code: 'invalid_format' },
      { path: 'currency', message: 'must be a three-letter upper-case ISO 4217 code', code: 'invalid_format' },
    ]);
  });

  it('reject NPS scores outside 0–10 and fractional ones', () => {
    const feedback = { type: 'feedback', event_id: 'e', customer_id: 'c', occurred_at: '2026-01-01T00:00:00Z' };
    expect(issues(inboundSchemas.feedback.safeParse({ ...feedback, score: 11 }))[0]?.message).toBe('must be between 0 and 10');
    expect(issues(inboundSchemas.feedback.safeParse({ ...feedback, score: 7.5 }))[0]?.message).toBe('must be an integer');
  });

  it('reject a self-referral on the referred field', () => {
    const referral = { type: 'referral', event_id: 'e', customer_id: 'c', occurred_at: '2026-01-01T00:00:00Z', referred_customer_id: 'c' };
    expect(issues(inboundSchemas.referral.safeParse(referral))).toEqual([
      { path: 'referred_customer_id', message: 'must differ from customer_id (self-referral)', code: 'custom' },
    ]);
  });

  it('reject unknown fields by default and drop them in lenient mode', () => {
    const withExtra = { ...purchase, discont: '1.00' };
    expect(issues(inboundSchemas.purchase.safeParse(withExtra))[0]?.code).toBe('unrecognized_keys');
    const lenient = lenientInboundSchemas.purchase.safeParse(withExtra);
    expect(lenient.success && !('discont' in lenient.data)).toBe(true);
  });

  it('reject identifiers with spaces or control characters', () => {
    expect(issues(inboundSchemas.purchase.safeParse({ ...purchase, customer_id: 'a b' }))[0]).toEqual({
      path: 'customer_id',
      message: 'must be printable ASCII without spaces',
      code: 'invalid_format',
    });
  });
});
