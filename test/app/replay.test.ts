import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CustomerView } from '../../src/app/customer-view.js';
import { LineOutput } from '../../src/app/line-output.js';
import { replay } from '../../src/app/replay.js';
import { churnRiskSchema, segmentChangedSchema, type OutboundEvent } from '../../src/contracts/outbound.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import type { IngestRules } from '../../src/ingest/decode.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
  lines<T>(): T[] {
    return this.text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as T);
  }
}

const rules: IngestRules = {
  unknownFields: 'reject',
  earliestMs: Date.parse('1990-01-01T00:00:00Z'),
  maxFutureSkewMs: 300_000,
  maxMessageBytes: 4096,
  baseCurrency: 'USD',
  rates: { EUR: '1.1' },
};

async function run(lines: readonly string[] | Buffer, asOf: string | null, withCustomers = true, parameters = defaultDomainParameters) {
  const input = new PassThrough();
  input.end(Buffer.isBuffer(lines) ? lines : lines.join('\n') + '\n');
  const emissions = new Sink();
  const dead = new Sink();
  const customers = new Sink();
  const summary = await replay({
    input,
    emissions: LineOutput.toStream(emissions),
    deadLetters: LineOutput.toStream(dead),
    customers: withCustomers ? LineOutput.toStream(customers) : null,
    asOf,
    ctx: { model: UNFITTED_MODEL, parameters: parameters },
    rules,
    nowMs: Date.parse('2026-12-31T00:00:00Z'),
  });
  return {
    summary,
    emissions: emissions.lines<OutboundEvent>(),
    dead: dead.lines<{ line: number; code: string; issues: unknown[]; value: string; value_base64?: string }>(),
    customers: customers.lines<CustomerView>(),
  };
}

const ev = (o: Record<string, unknown>) => JSON.stringify(o);
const p = (id: string, customer: string, at: string, amount: string, extra: Record<string, unknown> = {}) =>
  ev({ type: 'purchase', event_id: id, customer_id: customer, occurred_at: at, amount, currency: 'USD', ...extra });

const LINES = [
  p('e1', 'alice', '2026-01-01T10:00:00Z', '100.00'), // line 1
  '{"type": "purchase",', // line 2: malformed
  '', // line 3: blank
  p('e2', 'alice', '2026-01-20T10:00:00Z', '50.00', { currency: 'EUR' }), // line 4: €50 × 1.1 = $55
  p('e1', 'alice', '2026-01-01T10:00:00Z', '100.00'), // line 5: duplicate
  ev({ type: 'feedback', event_id: 'f1', customer_id: 'bob', occurred_at: '2026-01-05T09:00:00Z', score: 3 }), // line 6
  p('e3', 'carol', '2026-01-10T10:00:00Z', '10.001'), // line 7: precision
  p('e4', 'alice', '2026-06-30T10:00:00Z', '20.00'), // line 8: after the as-of time
  ev({ type: 'referral', event_id: 'r1', customer_id: 'alice', occurred_at: '2026-01-02T00:00:00Z', referred_customer_id: 'dan' }), // line 9
  p('e5', 'erin', '2026-01-03T00:00:00Z', '5.00', { currency: 'GBP' }), // line 10: no rate
];

describe('replay', () => {
  it('summarises what it applied, rejected, skipped and emitted', async () => {
    const { summary, emissions } = await run(LINES, '2026-03-31T23:59:59.999Z');
    expect(summary).toMatchObject({
      lines: 10,
      applied: { purchase: 2, feedback: 1, referral: 1, referral_attributed: 1 },
      duplicates: 1,
      rejected: { malformed_json: 1, invalid_event: 1, unconvertible_currency: 1 },
      skipped_after_as_of: 1,
      customers: 3, // alice, bob, dan (referred: a prospect)
      as_of: '2026-03-31T23:59:59.999Z',
    });
    expect(summary.emitted['segment-changed'] ?? 0).toBe(emissions.filter((e) => e.type === 'segment-changed').length);
    expect(summary.emitted['churn-risk'] ?? 0).toBe(emissions.filter((e) => e.type === 'churn-risk').length);
    expect(summary.segments['relationship']).toEqual({ client: 1, prospect: 2 });
    // alice on Mar 31: recency 70 → R 4; 2 orders → F 2; $155.00 net → M 3; FM = round(2.5) = 3
    expect(summary.segments['rfm_segment']).toEqual({ loyal_customers: 1, none: 2 });
    // alice: typical interval 19 days, 70 / 19 = 3.7 → at_risk; bob: a detractor prospect → cooling; dan: active
    expect(summary.churn_levels).toEqual({ at_risk: 1, cooling: 1, active: 1 });
    // Every timer-caused emission comes from a fired check (one check may emit several events).
    const checks = new Set(emissions.flatMap((e) => (e.cause.kind === 'timer' ? [`${e.customer_id} ${e.cause.due_at}`] : [])));
    expect(checks.size).toBeGreaterThan(0);
    expect(summary.due_checks_fired).toBeGreaterThanOrEqual(checks.size);
  });

  it('writes dead letters with their line, code, issues and the original text', async () => {
    const { dead } = await run(LINES, null);
    expect(dead.map((d) => [d.line, d.code])).toEqual([
      [2, 'malformed_json'],
      [7, 'invalid_event'],
      [10, 'unconvertible_currency'],
    ]);
    expect(dead[1]?.issues).toEqual([{ field: 'amount', rule: 'precision', message: 'has 3 decimals but USD allows at most 2' }]);
    expect(dead[0]?.value).toBe('{"type": "purchase",');
  });

  it('evaluates customers at the as-of day and writes their views', async () => {
    const { customers } = await run(LINES, '2026-03-31T23:59:59.999Z');
    const alice = customers.find((c) => c.customer_id === 'alice');
    expect(alice).toMatchObject({
      as_of: '2026-03-31',
      x: 1,
      t_x_days: 19,
      T_days: 89, // Jan 1 → Mar 31
      first_purchase: '2026-01-01',
      last_purchase: '2026-01-20',
      recency_days: 70,
      frequency: 2,
      gross_revenue: '155.00', // 100 + €50 × 1.1
      zbar: 55,
      referrals_made: 1,
    });
    expect(customers.find((c) => c.customer_id === 'dan')).toMatchObject({ referred_by: 'alice', relationship: 'prospect' });
  });

  it("a referral's effects take hold one settle day after their cause, at the end of the file too, never after the as-of time", async () => {
    const lines = [
      ev({ type: 'referral', event_id: 'r1', customer_id: 'alice', occurred_at: '2026-01-02T10:00:00Z', referred_customer_id: 'dan' }),
      p('d1', 'dan', '2026-01-03T12:00:00Z', '100.00'), // margin 30.00 × 0.1: a 3.00 credit taking hold 2026-01-04T12:00Z
    ];
    const at = async (asOf: string | null) => {
      const { summary, customers } = await run(lines, asOf);
      const alice = customers.find((c) => c.customer_id === 'alice');
      return [summary.applied['referral_credit'] ?? 0, alice?.referral_value, alice?.successful_referrals];
    };
    expect(await at(null)).toEqual([1, '3.00', 1]); // the last event's credit is applied at the end
    expect(await at('2026-01-04T11:59:59.999Z')).toEqual([0, '0.00', 0]);
    expect(await at('2026-01-04T12:00:00.000Z')).toEqual([1, '3.00', 1]);
  });

  it('without an as-of time evaluates at the watermark and applies everything', async () => {
    const { summary, customers } = await run(LINES, null);
    expect(summary.skipped_after_as_of).toBe(0);
    expect(summary.applied['purchase']).toBe(3);
    expect(customers.find((c) => c.customer_id === 'alice')?.as_of).toBe('2026-06-30');
  });

  it('emits valid, deterministic events: the same input gives the same output', async () => {
    const a = await run(LINES, '2026-03-31T23:59:59.999Z', false);
    const b = await run(LINES, '2026-03-31T23:59:59.999Z', false);
    expect(a.emissions).toEqual(b.emissions);
    expect(a.emissions.length).toBeGreaterThan(0);
    for (const e of a.emissions) {
      const parsed = e.type === 'segment-changed' ? segmentChangedSchema.safeParse(e) : churnRiskSchema.safeParse(e);
      expect(parsed.error).toBeUndefined();
    }
    // timers up to the as-of day ran: alice's R score dropped after 30 days (Jan 20 + 31 = Feb 20)
    expect(a.emissions.some((e) => e.customer_id === 'alice' && e.cause.kind === 'timer' && e.occurred_at === '2026-02-20T00:00:00.000Z')).toBe(true);
  });
});

describe('replay: text the codecs cannot store is dead-lettered at the edge, as on Kafka', () => {
  const cancellation = (id: string, competitor: string) =>
    ev({ type: 'cancellation', event_id: id, customer_id: 'c1', occurred_at: '2026-01-02T10:00:00Z', reason: 'competitor', competitor });

  it('a lone surrogate in a cancellation\'s competitor is rejected; the purchases around it are applied', async () => {
    const lone = cancellation('x1', 'X').replace('"X"', '"\\ud800"');
    const out = await run([p('a1', 'c1', '2026-01-01T10:00:00Z', '10.00'), lone, p('a2', 'c1', '2026-01-03T10:00:00Z', '12.00')], null);
    expect(out.dead.map((d) => [d.line, d.code])).toEqual([[2, 'ill_formed_unicode']]);
    expect(out.summary.applied).toEqual({ purchase: 2 });
    expect(out.customers.find((c) => c.customer_id === 'c1')).toBeDefined();
  });

  it('bytes that are not UTF-8 are rejected with the original bytes, never stored as U+FFFD', async () => {
    const bad = (text: string, bytes: number[]) => {
      const [before, after] = text.split('@@') as [string, string];
      return Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);
    };
    const purchase = bad(p('b1', 'c2', '2026-01-01T10:00:00Z', '10.00', { channel: 'caf@@' }), [0xe9]);
    const cancel = bad(cancellation('b2', 'rival@@'), [0xff, 0xfe]);
    const good = Buffer.from(p('b3', 'c2', '2026-01-02T10:00:00Z', '5.00'));
    const out = await run(Buffer.concat([purchase, Buffer.from('\r\n'), cancel, Buffer.from('\n'), good, Buffer.from('\n')]), null);
    expect(out.dead.map((d) => [d.line, d.code])).toEqual([
      [1, 'invalid_utf8'],
      [2, 'invalid_utf8'],
    ]);
    expect(Buffer.from(out.dead[0]?.value_base64 ?? '', 'base64').equals(purchase)).toBe(true);
    expect(Buffer.from(out.dead[1]?.value_base64 ?? '', 'base64').equals(cancel)).toBe(true);
    expect(out.summary.applied).toEqual({ purchase: 1 });
  });
});

describe('replay: an input that makes the reducer throw is dead-lettered, as in the service', () => {
  it('dead-letters it (processing_error, the message only) and goes on as if it had not arrived', async () => {
    // A fault in the referral rule, on a valid event.
    const config = Object.defineProperty({ ...defaultDomainParameters }, 'referralValueMinor', {
      get: () => {
        throw new TypeError('boom in the referral rule');
      },
    });
    const referral = ev({ type: 'referral', event_id: 'r1', customer_id: 'c1', occurred_at: '2026-01-02T10:00:00Z', referred_customer_id: 'c9' });
    const before = p('a1', 'c1', '2026-01-01T10:00:00Z', '10.00');
    const after = p('a2', 'c1', '2026-01-03T10:00:00Z', '12.00');
    const out = await run([before, referral, after], null, true, config);
    expect(out.dead.map((d) => [d.line, d.code, d.value])).toEqual([[2, 'processing_error', referral]]);
    expect(out.summary.rejected).toEqual({ processing_error: 1 });
    expect(out.summary.applied).toEqual({ purchase: 2 });
    const without = await run([before, after], null);
    expect(out.customers).toEqual(without.customers);
    expect(out.emissions).toEqual(without.emissions);
  });
});
