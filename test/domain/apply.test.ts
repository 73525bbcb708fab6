import { describe, expect, it } from 'vitest';
import { netMarginMinor } from '../../src/domain/clv.js';
import { cancellation, ctx, ctxWith, feedback, fold, purchase, returned } from './fixtures.js';

describe('money sums (base-currency minor units, margin rate 0.3)', () => {
  it('adds gross, discount and margin: the configured rate when the event has no margin, else its own', () => {
    const { state } = fold([
      purchase('c', 0, 10_000, { orderId: 'A', discountMinor: 1500 }), // margin = round(10000 × 0.3) = 3000
      purchase('c', 1, 2500, { orderId: 'B', marginMinor: 1000 }), // per-event margin 1000
      purchase('c', 2, 1234, { orderId: 'C' }), // round(1234 × 0.3) = round(370.2) = 370
    ]);
    expect(state.orders).toBe(3);
    expect(state.grossMinor).toBe(13_734); // 10000 + 2500 + 1234
    expect(state.discountMinor).toBe(1500);
    expect(state.marginMinor).toBe(4370); // 3000 + 1000 + 370
  });

  it('a margin of zero on the event is used as such (not replaced by the rate)', () => {
    const { state } = fold([purchase('c', 0, 5000, { marginMinor: 0 })]);
    expect(state.marginMinor).toBe(0);
  });

  it('refunds take back the matched order margin pro rata, unmatched ones the configured rate and are flagged', () => {
    const { state, reductions } = fold([
      purchase('c', 0, 10_000, { orderId: 'A' }), // margin 3000
      purchase('c', 1, 2500, { orderId: 'B', marginMinor: 1000 }),
      returned('c', 2, 4000, 'A'), // 4000 × 3000 / 10000 = 1200
      returned('c', 3, 1250, 'B'), // 1250 × 1000 / 2500 = 500
      returned('c', 4, 1000, 'nope'), // unknown order: round(1000 × 0.3) = 300
      returned('c', 5, 333, null), // no order: round(333 × 0.3) = round(99.9) = 100
    ]);
    expect(reductions.map((r) => r.flags)).toEqual([[], [], [], [], ['unmatched_return'], ['unmatched_return']]);
    expect(state.returns).toBe(4);
    expect(state.unmatchedReturns).toBe(2);
    expect(state.refundMinor).toBe(6583); // 4000 + 1250 + 1000 + 333
    expect(state.refundMarginMinor).toBe(2100); // 1200 + 500 + 300 + 100
    expect(netMarginMinor(state)).toBe(1900); // 4000 − 2100
    expect(state.grossMinor).toBe(12_500); // refunds never change gross
  });

  it('rounds a pro rata refund margin to the nearest minor unit', () => {
    // 1000 × 333 / 999 = 333.33… → 333
    const { state } = fold([purchase('c', 0, 999, { orderId: 'A', marginMinor: 333 }), returned('c', 1, 1000, 'A')]);
    expect(state.refundMarginMinor).toBe(333);
  });

  it('a return of a free order (amount 0, allowed by ingest) keeps the money sums integral', () => {
    // The order's margin is 0 (ingest caps margin at the amount), so there is no margin to take back.
    const { state } = fold([purchase('c', 0, 0, { orderId: 'free' }), returned('c', 1, 500, 'free')]);
    expect(state.refundMinor).toBe(500);
    expect(state.refundMarginMinor).toBe(0);
    expect(Number.isSafeInteger(state.refundMarginMinor)).toBe(true);
  });

  it('matches a return to an order that arrives later only if the order came first (documented: flagged)', () => {
    const { state, reductions } = fold([returned('c', 2, 1000, 'A'), purchase('c', 0, 10_000, { orderId: 'A' })]);
    expect(reductions[0]?.flags).toEqual(['unmatched_return']);
    expect(state.refundMarginMinor).toBe(300); // the configured rate, not the order's margin
  });

  it('remembers only the latest orders by (day, id): a return of an evicted order is unmatched', () => {
    const c = ctxWith({ memory: { ...ctx.parameters.memory, recentOrders: 2 } });
    const start = fold(
      [
        purchase('c', 0, 1000, { orderId: 'old' }),
        purchase('c', 2, 1000, { orderId: 'x' }),
        purchase('c', 1, 1000, { orderId: 'mid' }), // late, but newer than 'old': kept, 'old' evicted
      ],
      c,
    ).state;
    const evicted = fold([returned('c', 3, 1000, 'old')], c, start);
    expect(evicted.last.flags).toEqual(['unmatched_return']);
    const kept = fold([returned('c', 3, 1000, 'mid')], c, start);
    expect(kept.last.flags).toEqual([]);
  });
});

describe('latest-wins facts compare event times, not arrival', () => {
  it('feedback: an older answer arriving late does not replace a newer one', () => {
    const { state } = fold([feedback('c', 6, 9), feedback('c', 5, 3)]);
    expect(state.npsScore).toBe(9);
    expect(state.npsDay).toBeGreaterThan(0);
  });

  it('cancellation: the latest cancellation is kept', () => {
    const late = cancellation('c', 3);
    const first = cancellation('c', 8);
    const { state } = fold([first, late]);
    expect(state.cancelledAt).toBe(first.at);
  });
});

describe('regressions: arrival order never decides', () => {
  it('caps the margin a refund takes back at what its order earned', () => {
    // Order A: 1000, margin 300. A refund of 1500 (more than the order) takes back 300, not 450.
    const { state } = fold([purchase('c', 0, 1000, { orderId: 'A' }), returned('c', 1, 1500, 'A')]);
    expect(state.refundMarginMinor).toBe(300);
    expect(state.refundMinor).toBe(1500);
  });

  it('two NPS answers at the same instant: the lower score wins in either arrival order', () => {
    const a = feedback('c', 3, 9, { eventId: 'f1' });
    const b = feedback('c', 3, 4, { eventId: 'f2' });
    expect(fold([a, b]).state.npsScore).toBe(4);
    expect(fold([b, a]).state.npsScore).toBe(4);
  });

  it('two cancellations at the same instant: the same reason wins in either arrival order', () => {
    const a = { ...cancellation('c', 3, { eventId: 'x1' }), reason: 'price' as const };
    const b = { ...cancellation('c', 3, { eventId: 'x2' }), reason: 'competitor' as const };
    expect(fold([a, b]).state.cancelReason).toBe('competitor');
    expect(fold([b, a]).state.cancelReason).toBe('competitor');
  });
});
