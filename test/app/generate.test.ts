import { describe, expect, it } from 'vitest';
import { INBOUND_TYPES, type InboundType, type PurchaseEvent } from '../../src/contracts/inbound.js';
import { syntheticTraffic, type GeneratedEvent, type TrafficOptions } from '../../src/app/generate.js';
import { runGenerator, type EventSink, type GenerateRunOptions } from '../../src/app/generate-run.js';
import { decodeBytes } from '../../src/ingest/decode.js';
import { GENERATED_TRAFFIC_RULES } from '../support/ingest-rules.js';

const OPTIONS: TrafficOptions = {
  seed: 42,
  customers: 300,
  startMs: Date.parse('2024-01-01T00:00:00Z'),
  currency: 'USD',
  idPrefix: 'gen42',
};

function take(n: number, options: TrafficOptions = OPTIONS): GeneratedEvent[] {
  const out: GeneratedEvent[] = [];
  for (const e of syntheticTraffic(options)) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

const sample = take(5000);

describe('synthetic traffic: the model', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(take(5000)).toEqual(sample);
    const other = take(200, { ...OPTIONS, seed: 43 });
    expect(other.map((e) => e.event)).not.toEqual(sample.slice(0, 200).map((e) => e.event));
  });

  it('emits every inbound type, purchases the most', () => {
    const counts = Object.fromEntries(INBOUND_TYPES.map((t) => [t, sample.filter((e) => e.type === t).length])) as Record<InboundType, number>;
    for (const type of INBOUND_TYPES) expect(counts[type], type).toBeGreaterThan(0);
    expect(counts.purchase).toBeGreaterThan(sample.length / 2);
    expect(counts.return).toBeLessThan(counts.purchase / 4);
  });

  it('every event decodes as a valid event of its topic, keyed by its customer', () => {
    const now = Date.parse('2100-01-01T00:00:00Z');
    for (const e of sample) {
      const decoded = decodeBytes(Buffer.from(JSON.stringify(e.event)), e.type, GENERATED_TRAFFIC_RULES, now);
      if (decoded.tag !== 'input') throw new Error(`${JSON.stringify(e.event)}: ${decoded.rejection.message}`);
      expect(decoded.input.kind).toBe(e.type);
      expect(e.key).toBe(e.event.customer_id);
      expect(Date.parse(e.event.occurred_at)).toBe(e.atMs);
    }
  });

  it('comes in event-time order with unique event ids', () => {
    for (let i = 1; i < sample.length; i++) expect(sample[i]!.atMs).toBeGreaterThanOrEqual(sample[i - 1]!.atMs);
    expect(new Set(sample.map((e) => e.event.event_id)).size).toBe(sample.length);
    expect(sample[0]!.atMs).toBeGreaterThanOrEqual(OPTIONS.startMs);
  });

  it('returns refer to an earlier order of the same customer and refund at most its amount', () => {
    const orders = new Map<string, PurchaseEvent>();
    let returns = 0;
    for (const { event } of sample) {
      if (event.type === 'purchase') orders.set(event.order_id ?? event.event_id, event);
      if (event.type !== 'return') continue;
      returns++;
      const order = orders.get(event.order_id ?? '');
      expect(order, `order of ${event.event_id}`).toBeDefined();
      expect(order!.customer_id).toBe(event.customer_id);
      expect(Number(event.amount)).toBeLessThanOrEqual(Number(order!.amount));
      expect(Date.parse(event.occurred_at)).toBeGreaterThan(Date.parse(order!.occurred_at));
    }
    expect(returns).toBeGreaterThan(0);
  });

  it('a referred customer is new: first seen after the referral, and not the referrer', () => {
    const firstSeen = new Map<string, number>();
    for (const e of sample) if (!firstSeen.has(e.event.customer_id)) firstSeen.set(e.event.customer_id, e.atMs);
    const referrals = sample.filter((e) => e.event.type === 'referral');
    expect(referrals.length).toBeGreaterThan(0);
    for (const r of referrals) {
      if (r.event.type !== 'referral') continue;
      expect(r.event.referred_customer_id).not.toBe(r.event.customer_id);
      const first = firstSeen.get(r.event.referred_customer_id);
      if (first !== undefined) expect(first).toBeGreaterThanOrEqual(r.atMs);
    }
  });

  it('cancellations carry a reason, and a competitor when the reason is competitor', () => {
    const cancellations = sample.flatMap((e) => (e.event.type === 'cancellation' ? [e.event] : []));
    expect(new Set(cancellations.map((c) => c.reason)).size).toBeGreaterThan(3);
    for (const c of cancellations) if (c.reason === 'competitor') expect(c.competitor).toBeTruthy();
  });

  it('service interactions: every kind, complaints far more often among customers who cancel, open cases resolved later, some costs of their own', () => {
    const interactions = sample.flatMap((e) => (e.event.type === 'interaction' ? [e.event] : []));
    expect(new Set(interactions.map((i) => i.kind)).size).toBe(6);
    const cancelledAt = new Map(sample.flatMap((e) => (e.event.type === 'cancellation' ? [[e.event.customer_id, e.atMs] as const] : [])));
    const complainers = new Set(interactions.filter((i) => i.kind === 'complaint').map((i) => i.customer_id));
    const customers = new Set(sample.map((e) => e.event.customer_id));
    const rate = (ids: string[]) => ids.filter((id) => complainers.has(id)).length / ids.length;
    const leavers = [...customers].filter((id) => cancelledAt.has(id));
    const stayers = [...customers].filter((id) => !cancelledAt.has(id));
    expect(leavers.length).toBeGreaterThan(20);
    expect(rate(leavers)).toBeGreaterThan(2 * rate(stayers));
    // Most complaints of a customer who cancels come before the cancellation.
    const before = interactions.filter((i) => i.kind === 'complaint' && cancelledAt.has(i.customer_id));
    expect(before.filter((i) => Date.parse(i.occurred_at) <= cancelledAt.get(i.customer_id)!).length).toBeGreaterThan(before.length / 2);
    // An open case is closed by a later complaint with its case id.
    const opened = interactions.filter((i) => i.kind === 'complaint' && !i.resolved && i.case_id !== undefined);
    const closing = new Map(interactions.filter((i) => i.resolved && i.case_id !== undefined).map((i) => [i.case_id, i]));
    expect(opened.length).toBeGreaterThan(0);
    const closed = opened.filter((o) => closing.has(o.case_id));
    expect(closed.length).toBeGreaterThan(0);
    for (const o of closed) expect(Date.parse(closing.get(o.case_id)!.occurred_at)).toBeGreaterThan(Date.parse(o.occurred_at));
    const costed = interactions.filter((i) => i.cost !== undefined);
    expect(costed.length).toBeGreaterThan(interactions.length / 5);
    expect(costed.length).toBeLessThan(interactions.length);
    expect(sample.some((e) => e.event.type === 'purchase' && e.event.cost_to_serve !== undefined)).toBe(true);
    expect(sample.some((e) => e.event.type === 'purchase' && e.event.cost_to_serve === undefined)).toBe(true);
  });

  it('leaves the other events as they were without interactions and costs (their own random stream and id series)', () => {
    const without = take(3000, { ...OPTIONS, population: { interactionShare: 0, complaintBeforeCancellationShare: 0, costedShare: 0 } });
    expect(without.every((e) => e.type !== 'interaction' && !('cost_to_serve' in e.event))).toBe(true);
    // The costs themselves come from the second stream too, so they differ with the interactions drawn: compare without them.
    const costless = (e: GeneratedEvent): GeneratedEvent => {
      if (!('cost_to_serve' in e.event)) return e;
      const { cost_to_serve: _cost, ...event } = e.event;
      return { ...e, event };
    };
    const others = sample.filter((e) => e.type !== 'interaction').slice(0, 3000).map(costless);
    expect(others).toEqual(without);
  });

  it('amounts use the currency precision (JPY has no decimals)', () => {
    const yen = take(300, { ...OPTIONS, currency: 'JPY' });
    const amounts = yen.flatMap((e) => (e.event.type === 'purchase' ? [e.event.amount] : []));
    expect(amounts.length).toBeGreaterThan(0);
    for (const a of amounts) expect(String(a)).toMatch(/^\d+$/);
  });

  it('rejects impossible options', () => {
    expect(() => take(1, { ...OPTIONS, customers: 0 })).toThrow(/customers/);
    expect(() => take(1, { ...OPTIONS, currency: 'XYZ' })).toThrow(/currency/);
    expect(() => take(1, { ...OPTIONS, idPrefix: 'has space' })).toThrow(/idPrefix/);
  });
});

/** A sink that records batches with the fake clock's time. */
function recordingSink(clock: () => number): EventSink & { sent: { at: number; events: GeneratedEvent[] }[]; closed: boolean } {
  const sink = {
    sent: [] as { at: number; events: GeneratedEvent[] }[],
    closed: false,
    send(events: readonly GeneratedEvent[]) {
      sink.sent.push({ at: clock(), events: [...events] });
      return Promise.resolve();
    },
    close() {
      sink.closed = true;
      return Promise.resolve();
    },
  };
  return sink;
}

/** A fake clock whose sleep advances time instantly. */
function fakeTime(start = 1_000_000) {
  let now = start;
  return {
    clock: () => now,
    sleep: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
  };
}

const base = (overrides: Partial<GenerateRunOptions> & Pick<GenerateRunOptions, 'sink'>): GenerateRunOptions => ({
  events: syntheticTraffic(OPTIONS),
  maxEvents: 1000,
  pacing: null,
  endMs: null,
  ...overrides,
});

describe('synthetic traffic: the run', () => {
  it('without pacing stops at the count, in order, in batches', async () => {
    const time = fakeTime();
    const sink = recordingSink(time.clock);
    const summary = await runGenerator(base({ sink, maxEvents: 1234, batchSize: 500, ...time }));
    expect(summary.events).toBe(1234);
    expect(summary.stopped_by).toBe('count');
    expect(sink.sent.map((b) => b.events.length)).toEqual([500, 500, 234]);
    expect(sink.sent.flatMap((b) => b.events)).toEqual(sample.slice(0, 1234));
    expect(Object.values(summary.by_type).reduce((a, b) => a + b, 0)).toBe(1234);
    expect(summary.first_event_at).toBe(sample[0]!.event.occurred_at);
  });

  it('stops before the first event after the end time', async () => {
    const endMs = sample[99]!.atMs;
    const sink = recordingSink(Date.now);
    const summary = await runGenerator(base({ sink, maxEvents: 5000, endMs }));
    expect(summary.stopped_by).toBe('end');
    const sent = sink.sent.flatMap((b) => b.events);
    expect(sent.every((e) => e.atMs <= endMs)).toBe(true);
    expect(sent.length).toBeGreaterThanOrEqual(100);
    expect(sample[sent.length]!.atMs).toBeGreaterThan(endMs);
  });

  it('paced: sends about rate events per second and ends with the duration', async () => {
    const time = fakeTime();
    const sink = recordingSink(time.clock);
    const started = time.clock();
    const summary = await runGenerator(
      base({ sink, maxEvents: 200, pacing: { rate: 20, durationMs: 10_000, notAfterNow: false }, ...time }),
    );
    expect(summary.events).toBe(200);
    expect(summary.stopped_by).toBe('count');
    for (const batch of sink.sent) {
      const sentBefore = sink.sent.filter((b) => b.at < batch.at).reduce((n, b) => n + b.events.length, 0);
      // Never ahead of the pace: by time t at most rate × t events.
      expect(sentBefore + batch.events.length).toBeLessThanOrEqual(Math.floor(((batch.at - started) / 1000) * 20));
    }
    expect(sink.sent.at(-1)!.at - started).toBeGreaterThanOrEqual(9_900);
    expect(sink.sent.at(-1)!.at - started).toBeLessThanOrEqual(10_100);
  });

  it('paced against the wall clock: holds back events from the future and stops at the deadline', async () => {
    // The wall clock sits just after the 50th event: the rest is in the future.
    const time = fakeTime(sample[49]!.atMs);
    const sink = recordingSink(time.clock);
    const summary = await runGenerator(
      base({ sink, maxEvents: 10_000, pacing: { rate: 1000, durationMs: 5_000, notAfterNow: true }, ...time }),
    );
    expect(summary.stopped_by).toBe('deadline');
    const sent = sink.sent.flatMap((b) => b.events);
    for (const batch of sink.sent) for (const e of batch.events) expect(e.atMs).toBeLessThanOrEqual(batch.at);
    expect(sent.length).toBeGreaterThanOrEqual(50);
    expect(sent.length).toBeLessThan(10_000);
  });

  it('stops when aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    const sink = recordingSink(Date.now);
    const summary = await runGenerator(base({ sink, signal: abort.signal }));
    expect(summary).toMatchObject({ events: 0, stopped_by: 'signal' });
  });
});
