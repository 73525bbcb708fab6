import { describe, expect, it } from 'vitest';
import { formatAllocations, summariseAllocations, type HeapProfileNode } from '../../benchmarks/alloc/heap-profile.js';

const node = (url: string, functionName: string, selfSize: number, children: HeapProfileNode[] = []): HeapProfileNode => ({
  callFrame: { functionName, url, lineNumber: 0 },
  selfSize,
  children,
});

/** (root) → decodeState (state) → Buffer (node), and commit (state) → send (ioredis); decodeState appears twice. */
const PROFILE = {
  head: node('', '(root)', 0, [
    node('file:///app/dist/state/codec.js', 'decodeState', 3_000, [node('node:buffer', 'from', 1_000)]),
    node('file:///app/dist/state/store.js', 'commit', 2_000, [
      node('file:///app/node_modules/ioredis/built/Redis.js', 'send', 2_000),
      node('file:///app/dist/state/codec.js', 'decodeState', 2_000),
    ]),
  ]),
};

describe('allocation summary', () => {
  it('adds self bytes per area and per function and divides by the events', () => {
    const s = summariseAllocations(PROFILE, 10);
    expect(s.bytesPerEvent).toBe(1_000);
    expect(s.byArea).toEqual([
      { name: 'clvstream:state', bytesPerEvent: 700, share: 0.7 },
      { name: 'npm:ioredis', bytesPerEvent: 200, share: 0.2 },
      { name: 'node', bytesPerEvent: 100, share: 0.1 },
    ]);
    expect(s.byFunction[0]).toEqual({ name: 'decodeState state/codec.js:1', bytesPerEvent: 500, share: 0.5 });
    expect(s.byFunction.map((f) => f.name)).toEqual(['decodeState state/codec.js:1', 'commit state/store.js:1', 'send built/Redis.js:1', 'from node:buffer:1']);
  });

  it('keeps the largest `limit` rows and prints bytes per event and shares', () => {
    const s = summariseAllocations(PROFILE, 10, 1);
    expect(s.byFunction).toHaveLength(1);
    const text = formatAllocations(s);
    expect(text).toContain('allocated 1000 bytes per event');
    expect(text).toMatch(/500 B\s+50\.0 %\s+decodeState state\/codec\.js:1/);
  });

  it('reports nothing allocated as zero, not as a division by zero', () => {
    expect(summariseAllocations({ head: node('', '(root)', 0) }, 5)).toEqual({ bytesPerEvent: 0, byArea: [], byFunction: [] });
  });
});
