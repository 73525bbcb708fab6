import { describe, expect, it } from 'vitest';
import { btydSummary } from '../../src/domain/btyd.js';
import { emptyState } from '../../src/domain/state.js';
import { DAY0, fold, purchase, timerAt } from './fixtures.js';

describe('BTYD summary (CDNOW convention, days)', () => {
  it('is null before the first purchase', () => {
    expect(btydSummary(emptyState('c'), DAY0)).toBeNull();
  });

  it('counts repeat purchase days, merges same-day purchases and leaves the first day out of zbar', () => {
    const { state } = fold([
      purchase('c', 0, 1000),
      purchase('c', 0, 500), // same day as the first: merges into day 0
      purchase('c', 7, 2000),
      purchase('c', 7, 1000), // same day: merges into day 7
      purchase('c', 21, 600),
    ]);
    // distinct days {0, 7, 21} → x = 3 − 1 = 2
    // t_x = 21 − 0 = 21; T at day 28 = 28
    // gross = 1000 + 500 + 2000 + 1000 + 600 = 5100; first day = 1000 + 500 = 1500
    // zbar = (5100 − 1500) / 2 = 1800
    expect(state.orders).toBe(5);
    expect(state.purchaseDays).toBe(3);
    expect(state.firstDayAmountMinor).toBe(1500);
    expect(btydSummary(state, DAY0 + 28)).toEqual({ x: 2, tx: 21, T: 28, zbar: 1800 });
  });

  it('gives a one-time buyer x = 0, t_x = 0 and zbar = 0 whatever the first-day amount', () => {
    const { state } = fold([purchase('c', 3, 4000), purchase('c', 3, 99)]);
    // one distinct day → x = 0; T at day 10 = 10 − 3 = 7
    expect(btydSummary(state, DAY0 + 10)).toEqual({ x: 0, tx: 0, T: 7, zbar: 0 });
  });

  it('is what the profile reports, with T measured at the evaluation day', () => {
    const { state } = fold([purchase('c', 0, 1000), purchase('c', 10, 3000), purchase('c', 30, 5001)]);
    // x = 2, t_x = 30, zbar = (3000 + 5001) / 2 = 4000.5 (exact mean, minor units)
    const at40 = timerAt(state, 40);
    expect(at40.profile?.summary).toEqual({ x: 2, tx: 30, T: 40, zbar: 4000.5 });
  });
});
