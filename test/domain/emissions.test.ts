import { describe, expect, it } from 'vitest';
import { churnRiskSchema, segmentChangedSchema, type ChurnRisk, type OutboundEvent, type SegmentChanged } from '../../src/contracts/outbound.js';
import { onTimer } from '../../src/domain/reducer.js';
import { dayToIso } from '../../src/domain/time.js';
import { atOf, ctx, DAY0, feedback, fold, purchase, timerAt } from './fixtures.js';

function expectValid(events: readonly OutboundEvent[]): void {
  for (const e of events) {
    const parsed = e.type === 'segment-changed' ? segmentChangedSchema.safeParse(e) : churnRiskSchema.safeParse(e);
    expect(parsed.error).toBeUndefined();
  }
}

describe('emissions', () => {
  const first = fold([purchase('c', 0, 10_000, { eventId: 'p-1' })]);

  it('a first purchase emits one segment-changed per dimension that changed, with sequential ids', () => {
    const e = first.emits as SegmentChanged[];
    expect(e.map((x) => [x.event_id, x.dimension, x.from, x.to])).toEqual([
      // R 5 (recency 0), F 1 (1 order), M 2 (10000 > 5000) → FM = round(1.5) = 2 → potential_loyalist
      ['seg:c:1', 'rfm_segment', null, 'potential_loyalist'],
      // not loyal (F 1), profitable (historic CLV 3000 > 0, no returns or discounts) → butterflies
      ['seg:c:2', 'value_quadrant', null, 'butterflies'],
      ['seg:c:3', 'relationship', 'prospect', 'customer'],
      // account_status stays active: no event; churn level stays active: no event
    ]);
    expect(first.state.emitted).toBe(3);
    expectValid(e);
  });

  it('carries the cause event, its time and a snapshot of the customer', () => {
    const e = first.emits[0] as SegmentChanged;
    expect(e.cause).toEqual({ kind: 'event', event_id: 'p-1', event_type: 'purchase' });
    expect(e.occurred_at).toBe(new Date(atOf(0)).toISOString());
    expect(e.customer_id).toBe('c');
    expect(e.model_version).toBe('unfitted');
    expect(e.snapshot).toEqual({
      recency_days: 0,
      frequency: 1,
      monetary_minor: 10_000,
      r_score: 5,
      f_score: 1,
      m_score: 2,
      clv_historic_minor: 3000, // margin 30 %
      // 3000 a purchase day × 1/90 purchase days a day × Σ length · 0.6^(t/365) · 1.1^(−t/365)
      // over 3 years of 91-day periods (docs/domain.md; test/domain/clv-definition.test.ts)
      clv_predicted_minor: 15_578,
      clv_total_minor: 18_578,
      p_alive: null,
      p_alive_reason: 'no_model',
      churn_level: 'active',
      currency: 'USD',
    });
    // one snapshot per reduction
    expect(first.emits[2]?.snapshot).toEqual(e.snapshot);
  });

  it('emits nothing when nothing changed', () => {
    const r = fold([feedback('c', 1, 8)], ctx, first.state).last;
    expect(r.emits).toEqual([]);
    expect(r.state.emitted).toBe(3);
  });

  it('a timer emits with the due day as time and a timer cause', () => {
    // day 31: R 4, FM 2 → potential_loyalist (no change); day 91: R 3 → need_attention
    expect(timerAt(first.state, 31).emits).toEqual([]);
    const r = onTimer(first.state, DAY0 + 91, ctx);
    expect(r.emits).toHaveLength(1);
    const e = r.emits[0] as SegmentChanged;
    expect([e.event_id, e.dimension, e.from, e.to]).toEqual(['seg:c:4', 'rfm_segment', 'potential_loyalist', 'need_attention']);
    expect(e.cause).toEqual({ kind: 'timer', due_at: dayToIso(DAY0 + 91) });
    expect(e.occurred_at).toBe(dayToIso(DAY0 + 91));
    expect(e.snapshot.recency_days).toBe(91);
    expectValid(r.emits);
  });

  it('churn-risk on a rise (with reasons) and on recovery (direction recovering, no reasons)', () => {
    const rise = timerAt(first.state, 136); // one-time buyer: 136 / 90 > 1.5
    const c = rise.emits.find((x): x is ChurnRisk => x.type === 'churn-risk');
    expect(c).toMatchObject({
      level: 'cooling',
      previous_level: 'active',
      direction: 'rising',
      reasons: ['inactivity'],
      cause: { kind: 'timer', due_at: dayToIso(DAY0 + 136) },
    });
    expect(c?.snapshot.churn_level).toBe('cooling');
    expect(c?.event_id).toBe(`churn:c:${rise.state.emitted}`);
    const back = fold([purchase('c', 140, 100, { eventId: 'p-2' })], ctx, rise.state).last;
    const rc = back.emits.find((x): x is ChurnRisk => x.type === 'churn-risk');
    expect(rc).toMatchObject({ level: 'active', previous_level: 'cooling', direction: 'recovering', reasons: [] });
    expect(rc?.cause).toEqual({ kind: 'event', event_id: 'p-2', event_type: 'purchase' });
    expectValid([...rise.emits, ...back.emits]);
  });

  it('numbers segment and churn events in one sequence, in emission order', () => {
    const rise = timerAt(first.state, 136);
    const back = fold([purchase('c', 140, 100)], ctx, rise.state).last;
    const all = [...first.emits, ...rise.emits, ...back.emits];
    expect(all.length).toBeGreaterThan(5);
    expect(all.map((e) => e.event_id)).toEqual(all.map((e, i) => `${e.type === 'churn-risk' ? 'churn' : 'seg'}:c:${i + 1}`));
  });

  it('the same input history always yields the same events', () => {
    const history = () => [purchase('c', 0, 100, { eventId: 'a' }), purchase('c', 40, 25_000, { eventId: 'b' }), feedback('c', 41, 10, { eventId: 'f' })];
    expect(fold(history()).emits).toEqual(fold(history()).emits);
  });
});
