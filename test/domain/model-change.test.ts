/**
 * Issue 26, point 4 (the domain's part): a new model version re-scores a
 * customer without a new event; what changed is emitted with cause
 * `model_changed` and the new version, and repeating the re-score emits
 * nothing (so a runtime that re-scores a customer twice — a crash, a scan that
 * returns a key twice — neither loses nor repeats a change).
 */
import { describe, expect, it } from 'vitest';
import { churnRiskSchema, segmentChangedSchema, type OutboundEvent, type SegmentChanged } from '../../src/contracts/outbound.js';
import type { ModelSnapshot } from '../../src/domain/model-snapshot.js';
import { onModelChange } from '../../src/domain/reducer.js';
import { DAY0, ctxWith, fold, purchase } from './fixtures.js';

function expectValid(events: readonly OutboundEvent[]): void {
  for (const e of events) {
    const parsed = e.type === 'segment-changed' ? segmentChangedSchema.safeParse(e) : churnRiskSchema.safeParse(e);
    expect(parsed.error).toBeUndefined();
  }
}

const fitted: ModelSnapshot = {
  version: 'fit-2',
  purchaseModel: 'bgnbd',
  bgnbd: { r: 0.243, alpha: 4.414 * 7, a: 0.793, b: 2.426 },
  gammaGamma: null,
  cutPoints: { recency: [10, 20, 30, 40], frequency: [1, 1, 2, 2], monetary: [100, 200, 300, 400] },
};

describe('re-scoring on a model change', () => {
  const { state } = fold([purchase('c', 0, 5000), purchase('c', 30, 5000), purchase('c', 60, 5000)]);

  it('emits the changes with cause model_changed and the new version, as of the given day', () => {
    const r = onModelChange(state, DAY0 + 61, ctxWith({}, fitted));
    expect(r.emits.length).toBeGreaterThan(0);
    for (const e of r.emits) {
      expect(e.cause).toEqual({ kind: 'model_changed', model_version: 'fit-2' });
      expect(e.model_version).toBe('fit-2');
      expect(e.occurred_at).toBe('2026-03-03T00:00:00.000Z');
    }
    // New cut points: 3 orders and 15,000 of revenue are now the top scores.
    const rfm = r.emits.find((e): e is SegmentChanged => e.type === 'segment-changed' && e.dimension === 'rfm_segment');
    expect(rfm?.to).toBe('champions');
    expectValid(r.emits);
    expect(r.state.segments.rfm_segment).toBe('champions');
  });

  it('a repeated re-score with the same version emits nothing; time never moves back', () => {
    const once = onModelChange(state, DAY0 + 61, ctxWith({}, fitted));
    const twice = onModelChange(once.state, DAY0 + 61, ctxWith({}, fitted));
    expect(twice.emits).toEqual([]);
    expect(onModelChange(once.state, DAY0 + 10, ctxWith({}, fitted)).state.asOfDay).toBe(DAY0 + 61);
  });
});
