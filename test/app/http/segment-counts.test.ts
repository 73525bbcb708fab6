import { describe, expect, it } from 'vitest';
import type { CustomerState } from '../../../src/domain/state.js';
import { Cached } from '../../../src/app/http/cached.js';
import { ScanSegmentCounts } from '../../../src/app/http/segment-counts.js';
import { KeySpace } from '../../../src/state/keys.js';
import type { PartitionStore } from '../../../src/state/store.js';
import { heavyState, typicalState } from '../../state/fixtures.js';

/** A standalone-Redis stand-in: SCAN pages over the keys of `states`, loadStates from the map. */
function fakeStore(states: Map<string, CustomerState>, extraKeys: string[] = [], pageSize = 2) {
  const ks = new KeySpace('t');
  const calls = { scans: 0 };
  const byKey = new Map<string, CustomerState>();
  for (const [key, s] of states) byKey.set(key, s);
  const keys = [...states.keys(), ...extraKeys];
  const redis = {
    scan: (cursor: string, ...args: unknown[]) => {
      calls.scans++;
      expect(args).toEqual(['MATCH', ks.allCustomersPattern(), 'COUNT', 50]);
      const start = Number(cursor);
      const next = start + pageSize >= keys.length ? '0' : String(start + pageSize);
      return Promise.resolve([next, keys.slice(start, start + pageSize)]);
    },
  };
  const store = {
    redis,
    keys: ks,
    loadStates: (p: number, ids: Iterable<string>) => {
      const out = new Map<string, CustomerState>();
      for (const id of ids) {
        const s = byKey.get(ks.customer(p, id));
        if (s !== undefined) out.set(id, s);
      }
      return Promise.resolve(out);
    },
  } as unknown as PartitionStore;
  return { store, calls };
}

describe('ScanSegmentCounts', () => {
  const ks = new KeySpace('t');
  const a = typicalState('C-a');
  const b = typicalState('C-b');
  const c = heavyState('C-c');
  const states = new Map([
    [ks.customer(0, 'C-a'), a],
    [ks.customer(3, 'C-b'), b],
    [ks.customer(5, 'C-c'), c],
  ]);

  it('counts stored segment values and churn levels of every partition', async () => {
    const { store } = fakeStore(states, [ks.meta(0)]);
    const counts = await new ScanSegmentCounts(store, { scanCount: 50, now: () => 1_000 }).counts();
    expect(counts.customers).toBe(3);
    expect(counts.source).toBe('scan');
    expect(counts.computed_at).toBe(new Date(1_000).toISOString());
    for (const dimension of ['rfm_segment', 'value_quadrant', 'relationship', 'account_status'] as const) {
      const expected: Record<string, number> = {};
      for (const s of [a, b, c]) expected[s.segments[dimension] ?? 'none'] = (expected[s.segments[dimension] ?? 'none'] ?? 0) + 1;
      expect(counts.segments[dimension]).toEqual(expected);
    }
    expect(Object.values(counts.churn_levels).reduce((x, y) => x + y, 0)).toBe(3);
  });

  it('serves a cached result within the TTL and shares one scan between concurrent requests', async () => {
    let now = 0;
    const { store, calls } = fakeStore(states, [], 10);
    const provider = new ScanSegmentCounts(store, { scanCount: 50, cacheTtlMs: 60_000, now: () => now });
    const [x, y] = await Promise.all([provider.counts(), provider.counts()]);
    expect(x).toBe(y);
    expect(calls.scans).toBe(1);
    now = 59_999;
    await provider.counts();
    expect(calls.scans).toBe(1);
    now = 60_000;
    await provider.counts();
    expect(calls.scans).toBe(2);
  });
});

describe('Cached', () => {
  it('does not cache failures and bounds the number of keys', async () => {
    const cache = new Cached<number>(1_000, () => 0, 2);
    await expect(cache.get('a', () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await cache.get('a', () => Promise.resolve(1))).toBe(1);
    expect(await cache.get('a', () => Promise.resolve(2))).toBe(1);
    await cache.get('b', () => Promise.resolve(3));
    await cache.get('c', () => Promise.resolve(4));
    expect(await cache.get('a', () => Promise.resolve(5))).toBe(5); // 'a' was dropped as the oldest
  });
});
