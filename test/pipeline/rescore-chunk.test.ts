// The pure part of the background re-score (issue 26, point 4): a chunk of
// stored states re-scored with a new model version emits what changed with
// cause model_changed, at each customer's own evaluation day, and a chunk
// re-scored again — or with the version the states already had — emits nothing.
import { describe, expect, it } from 'vitest';
import type { ModelSnapshot } from '../../src/domain/model-snapshot.js';
import { cloneState, type CustomerState } from '../../src/domain/state.js';
import { dayToIso } from '../../src/domain/time.js';
import { MemoryProcessor } from '../../src/pipeline/memory-processor.js';
import { rescoreChunk } from '../../src/pipeline/rescore-chunk.js';
import { encodeState } from '../../src/state/codec.js';
import { ctx, ctxWith, purchase } from '../domain/fixtures.js';

const tightCuts: ModelSnapshot = {
  version: 'cuts-2',
  bgnbd: null,
  gammaGamma: null,
  cutPoints: { recency: [10, 20, 30, 40], frequency: [1, 1, 2, 2], monetary: [100, 200, 300, 400] },
};

function storedStates(): CustomerState[] {
  const p = new MemoryProcessor(ctx);
  p.apply(purchase('a', 0, 5_000));
  p.apply(purchase('b', 3, 90_000));
  p.apply(purchase('a', 20, 5_000));
  p.apply(purchase('c', 40, 700));
  return [...p.states.values()].map(cloneState);
}

describe('rescoreChunk', () => {
  it('emits the changes of every customer with cause model_changed and the new version, at its own day', () => {
    const states = storedStates();
    const days = new Map(states.map((s) => [s.customerId, s.asOfDay]));
    const { states: out, emissions } = rescoreChunk(states, ctxWith({}, tightCuts));
    expect([...out.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(new Set(emissions.map((e) => e.customer_id))).toEqual(new Set(['a', 'b', 'c']));
    for (const e of emissions) {
      expect(e.cause).toEqual({ kind: 'model_changed', model_version: 'cuts-2' });
      expect(e.model_version).toBe('cuts-2');
      expect(e.occurred_at).toBe(dayToIso(days.get(e.customer_id) as number));
    }
    for (const s of out.values()) expect(s.asOfDay).toBe(days.get(s.customerId));
  });

  it('emits nothing the second time, and nothing for the version the states were scored with', () => {
    const states = storedStates();
    const before = states.map((s) => encodeState(s));
    expect(rescoreChunk(states, ctx).emissions).toEqual([]);
    expect(states.map((s) => encodeState(s))).toEqual(before);
    const first = rescoreChunk(states, ctxWith({}, tightCuts));
    expect(first.emissions.length).toBeGreaterThan(0);
    const again = rescoreChunk([...first.states.values()], ctxWith({}, tightCuts));
    expect(again.emissions).toEqual([]);
  });
});
