/**
 * Issue 26: subscribers choose what is emitted — which dimensions give
 * segment-changed events and which churn levels give churn-risk events. The
 * default is everything; the state follows every change either way, so the same
 * settings always give the same output.
 */
import { describe, expect, it } from 'vitest';
import type { ChurnRisk, SegmentChanged } from '../../src/contracts/outbound.js';
import { loadSettings } from '../../src/config/index.js';
import { domainParametersFrom } from '../../src/config/runtime-parameters.js';
import { ctxWith, fold, purchase, timerAt, cancellation } from './fixtures.js';

const history = [purchase('c', 0, 5000), purchase('c', 20, 5000), purchase('c', 40, 5000), cancellation('c', 50), purchase('c', 60, 5000)];

describe('what is emitted', () => {
  it('default: every dimension and every churn level', () => {
    const all = fold(history);
    const dims = new Set(all.emits.filter((e): e is SegmentChanged => e.type === 'segment-changed').map((e) => e.dimension));
    expect(dims).toEqual(new Set(['rfm_segment', 'value_quadrant', 'relationship', 'account_status']));
    expect(all.emits.some((e) => e.type === 'churn-risk')).toBe(true);
  });

  it('only the chosen dimensions and churn levels; the state follows every change, ids stay consecutive', () => {
    const c = ctxWith({ emit: { dimensions: ['account_status'], churnLevels: ['churned', 'lost'] } });
    const all = fold(history);
    const chosen = fold(history, c);
    const seg = chosen.emits.filter((e): e is SegmentChanged => e.type === 'segment-changed');
    const churn = chosen.emits.filter((e): e is ChurnRisk => e.type === 'churn-risk');
    expect(seg.map((e) => e.dimension)).toEqual(['account_status', 'account_status']);
    expect(churn.map((e) => [e.previous_level, e.level])).toEqual([['active', 'churned']]);
    expect(chosen.emits.map((e) => e.event_id)).toEqual(chosen.emits.map((e, i) => `${e.type === 'churn-risk' ? 'churn' : 'seg'}:c:${i + 1}`));
    expect(chosen.emits.length).toBeLessThan(all.emits.length);
    // The state is the same as with everything emitted, except the emission sequence.
    expect({ ...chosen.state, emitted: 0 }).toEqual({ ...all.state, emitted: 0 });
    // Time-driven changes follow the same choice.
    const later = timerAt(chosen.state, 2000, c);
    expect(later.emits.every((e) => e.type === 'churn-risk' && ['churned', 'lost'].includes(e.level))).toBe(true);
  });

  it('is set by EMIT_DIMENSIONS and EMIT_CHURN_LEVELS, checked against the vocabulary', () => {
    const parameters = domainParametersFrom(loadSettings({ env: { EMIT_DIMENSIONS: 'relationship, account_status', EMIT_CHURN_LEVELS: 'lost,churned' } }));
    expect(parameters.emit).toEqual({ dimensions: ['relationship', 'account_status'], churnLevels: ['lost', 'churned'] });
    expect(domainParametersFrom(loadSettings({ env: {} })).emit.dimensions).toHaveLength(4);
    expect(() => loadSettings({ env: { EMIT_CHURN_LEVELS: 'lost,gone' } })).toThrow(/EMIT_CHURN_LEVELS/);
  });
});
