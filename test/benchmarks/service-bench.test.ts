// The service benchmark's own arithmetic and parsing, without servers: what the
// figures in benchmarks/RESULTS.md rest on (percentiles, matching an emission to
// its cause, the options, a reproducible workload).
import { describe, expect, it } from 'vitest';
import { causeEventId, delayStats } from '../../benchmarks/service/measure/delay.js';
import { liveRatesOf } from '../../benchmarks/service/live-rates.js';
import { lastLateArrival, sentBy } from '../../benchmarks/service/recovery.js';
import { parseOptions } from '../../benchmarks/service/options.js';
import type { SystemResult } from '../../benchmarks/service/report.js';
import { toRecord, workloadEvents } from '../../benchmarks/workload.js';
import { decodeBytes } from '../../src/ingest/decode.js';
import { ingestRulesFrom } from '../../src/config/runtime-parameters.js';
import { loadSettings } from '../../src/config/index.js';

describe('delayStats', () => {
  it('takes nearest-rank percentiles, the maximum and the mean', () => {
    const values = Array.from({ length: 200 }, (_, i) => 200 - i); // 200 … 1, unsorted
    expect(delayStats(values)).toEqual({ emissions: 200, p50Ms: 100, p99Ms: 198, maxMs: 200, meanMs: 100.5 });
    expect(delayStats([7])).toEqual({ emissions: 1, p50Ms: 7, p99Ms: 7, maxMs: 7, meanMs: 7 });
  });

  it('has no figures without samples', () => {
    expect(delayStats([])).toEqual({ emissions: 0, p50Ms: null, p99Ms: null, maxMs: null, meanMs: null });
  });
});

describe('causeEventId', () => {
  const emission = (cause: unknown): Buffer => Buffer.from(JSON.stringify({ type: 'churn-risk', event_id: 'x', customer_id: 'c', cause, model_version: 'v' }));

  it('finds the causing event of an event-caused emission', () => {
    expect(causeEventId(emission({ kind: 'event', event_id: 'e-42', event_type: 'purchase' }))).toBe('e-42');
  });

  it('parses ids with escapes instead of cutting them short', () => {
    expect(causeEventId(emission({ kind: 'event', event_id: 'e"1', event_type: 'purchase' }))).toBe('e"1');
  });

  it('ignores timer-caused emissions and non-JSON', () => {
    expect(causeEventId(emission({ kind: 'timer', due_at: '2024-01-01T00:00:00Z' }))).toBeUndefined();
    expect(causeEventId(Buffer.from('not json'))).toBeUndefined();
  });
});

describe('bench options', () => {
  it('quick mode is small, and explicit values win over it', () => {
    const quick = parseOptions(['--quick']);
    const normal = parseOptions([]);
    expect(quick.events).toBeLessThan(normal.events);
    expect(quick.duration).toBeLessThan(normal.duration);
    expect(parseOptions(['--quick', '--events', '1234']).events).toBe(1234);
  });

  it('parses instances, systems and extra settings, and rejects nonsense', () => {
    const o = parseOptions(['--instances', '2', '--systems', 'clvstream,bare', '--set', 'RUN_BATCH_MAX_RECORDS=2000']);
    expect(o.instances).toBe(2);
    expect(o.systems).toEqual(['clvstream', 'bare']);
    expect(o.set).toEqual({ RUN_BATCH_MAX_RECORDS: '2000' });
    expect(o.cpuProf).toBeNull();
    expect(parseOptions(['--cpu-prof', 'prof']).cpuProf).toBe('prof');
    expect(() => parseOptions(['--systems', 'clvstream,fast'])).toThrow();
    expect(() => parseOptions(['--instances', '0'])).toThrow();
  });

  it('preloads only for clvstream alone, whose figures would otherwise not compare with an empty store', () => {
    expect(parseOptions([]).preload).toBe(0);
    expect(parseOptions(['--systems', 'clvstream', '--preload', '1500000']).preload).toBe(1_500_000);
    expect(() => parseOptions(['--preload', '1000'])).toThrow();
    expect(() => parseOptions(['--systems', 'clvstream,naive', '--preload', '1000'])).toThrow();
    expect(() => parseOptions(['--systems', 'clvstream', '--preload', '-1'])).toThrow();
  });
});

describe('workload', () => {
  const take = (seed: number, n: number) => {
    const out = [];
    const events = workloadEvents({ seed, customers: 500 });
    for (let i = 0; i < n; i++) out.push(toRecord(events.next().value as never));
    return out;
  };

  it('is reproducible for a seed and different for another', () => {
    const a = take(3, 300).map((r) => r.value.toString());
    expect(take(3, 300).map((r) => r.value.toString())).toEqual(a);
    expect(take(4, 300).map((r) => r.value.toString())).not.toEqual(a);
  });

  it('is valid inbound traffic in event-time order, keyed by customer, on the topic of its type', () => {
    const rules = ingestRulesFrom(loadSettings({ env: {} }));
    const records = take(5, 2_000);
    for (let i = 1; i < records.length; i++) expect((records[i] as { atMs: number }).atMs).toBeGreaterThanOrEqual((records[i - 1] as { atMs: number }).atMs);
    for (const r of records) {
      const decoded = decodeBytes(r.value, r.type, rules, Date.parse('2100-01-01'));
      expect(decoded.tag, r.value.toString()).toBe('input');
      if (decoded.tag === 'input') expect(decoded.input.customerId).toBe(r.key);
    }
    expect(new Set(records.map((r) => r.type)).size).toBeGreaterThanOrEqual(4);
  });
});

describe('the live rates (a quarter and a half of the slower calibrated system)', () => {
  const calibrated = (name: string, eventsPerSecond: number | null): SystemResult => ({ name, throughput: { eventsPerSecond } }) as unknown as SystemResult;

  it('takes the slower system and keeps a quarter and a half apart even when it is slow', () => {
    const rates = liveRatesOf({ rate: null }, [calibrated('clvstream ×1', 906), calibrated('kafka-streams ×1', 252)]);
    expect(rates.map((r) => r.eventsPerSecond)).toEqual([60, 130]);
    expect(rates[0]?.source).toContain('kafka-streams ×1');
    expect(liveRatesOf({ rate: null }, [calibrated('clvstream ×1', 14_167), calibrated('kafka-streams ×1', 20_000)]).map((r) => r.eventsPerSecond)).toEqual([3_500, 7_100]);
  });

  it('uses --rate alone when given, and a fixed default without a calibration', () => {
    expect(liveRatesOf({ rate: 500 }, [calibrated('clvstream ×1', 906)]).map((r) => r.eventsPerSecond)).toEqual([500]);
    expect(liveRatesOf({ rate: null }, [calibrated('clvstream ×1', null)]).map((r) => r.eventsPerSecond)).toEqual([1_000]);
  });
});

describe('recovery figures', () => {
  it('counts what was sent by a time from the history of sends', () => {
    const history = [
      { at: 1_000, read: 0 },
      { at: 1_500, read: 100 },
      { at: 2_000, read: 250 },
    ];
    expect(sentBy(history, 999)).toBe(0);
    expect(sentBy(history, 1_500)).toBe(100);
    expect(sentBy(history, 1_999)).toBe(100);
    expect(sentBy(history, 5_000)).toBe(250);
  });

  it('finds the last slow emission after the kill, ignoring slow ones before it and fast ones after', () => {
    const samples = [
      { arrival: 900, delay: 5_000 }, // before the kill
      { arrival: 1_200, delay: 3_000 },
      { arrival: 1_800, delay: 2_500 },
      { arrival: 2_400, delay: 200 },
    ];
    expect(lastLateArrival(samples, 1_000, 1_000)).toBe(1_800);
    expect(lastLateArrival(samples, 1_000, 2_800)).toBe(1_200);
    expect(lastLateArrival(samples, 1_000, 10_000)).toBe(1_000);
  });
});
