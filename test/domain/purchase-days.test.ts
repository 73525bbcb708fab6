import { describe, expect, it } from 'vitest';
import { btydSummary } from '../../src/domain/btyd.js';
import { placePurchaseDay } from '../../src/domain/purchase-days.js';
import { emptyState } from '../../src/domain/state.js';
import { DAY0, fold, purchase } from './fixtures.js';

const WINDOW = 384; // defaultDomainParameters.memory.latePurchaseDays = 12 words × 32 bits

describe('late purchases and the purchase-day bitmap', () => {
  it('a purchase before the first day becomes the new first day and the old first day a repeat day', () => {
    const { state, last } = fold([purchase('c', 10, 700), purchase('c', 5, 300)]);
    // days {5, 10}: x = 1, t_x = 10 − 5 = 5, first-day amount is now day 5's 300
    // zbar = (700 + 300 − 300) / 1 = 700
    expect(last.flags).toEqual(['late']);
    expect(state.firstDay).toBe(DAY0 + 5);
    expect(state.lastDay).toBe(DAY0 + 10);
    expect(state.firstDayAmountMinor).toBe(300);
    expect(btydSummary(state, DAY0 + 20)).toEqual({ x: 1, tx: 5, T: 15, zbar: 700 });
  });

  it('a late purchase on an already counted day inside the window merges; on an unseen day it adds a day', () => {
    const { state, reductions } = fold([
      purchase('c', 0, 100),
      purchase('c', 50, 100),
      purchase('c', 100, 100),
      purchase('c', 50, 100), // late, seen day → same day
      purchase('c', 70, 100), // late, unseen day → new day
    ]);
    expect(reductions[3]?.flags).toEqual(['late']);
    expect(reductions[4]?.flags).toEqual(['late']);
    // distinct days {0, 50, 70, 100} → 4 purchase days, x = 3
    expect(state.purchaseDays).toBe(4);
    expect(state.latePurchasesBeyondWindow).toBe(0);
    // zbar = (500 − 100) / 3
    expect(btydSummary(state, DAY0 + 100)?.zbar).toBeCloseTo(400 / 3, 10);
  });

  it('keeps days exactly across 32-bit word boundaries when the window ages', () => {
    // lastDay moves 0 → 5 → 40 (a shift of 35 = one word and 3 bits)
    const { state } = fold([purchase('c', 0, 1), purchase('c', 5, 1), purchase('c', 40, 1), purchase('c', 5, 1), purchase('c', 6, 1)]);
    // day 5 is recognised as seen (age 35), day 6 is new → {0, 5, 6, 40}
    expect(state.purchaseDays).toBe(4);
  });

  it('carries bits from one 32-bit word into the next when the shift is not a whole word', () => {
    // day 1 sits at bit 30 when the last day is 31; moving to day 34 (shift 3) carries it to bit 33 of word 1
    const { state, last } = fold([purchase('c', 0, 1), purchase('c', 1, 1), purchase('c', 31, 1), purchase('c', 34, 1), purchase('c', 1, 1)]);
    expect(last.flags).toEqual(['late']);
    expect(state.purchaseDays).toBe(4); // {0, 1, 31, 34}: the late day 1 was recognised
  });

  it('is exact up to window − 1 days late and counts-and-flags beyond the window', () => {
    const last = 400;
    const start = fold([purchase('c', 0, 1), purchase('c', last, 1)]).state;
    // age 383 = WINDOW − 1: exact (new day, then recognised when repeated)
    const exact = fold([purchase('c', last - (WINDOW - 1), 1), purchase('c', last - (WINDOW - 1), 1)], undefined, start);
    expect(exact.reductions.map((r) => r.flags)).toEqual([['late'], ['late']]);
    expect(exact.state.purchaseDays).toBe(3);
    // age 384 = WINDOW: not in the bitmap → counted as a new day and flagged, each time
    const beyond = fold([purchase('c', last - WINDOW, 1), purchase('c', last - WINDOW, 1)], undefined, start);
    expect(beyond.reductions.map((r) => r.flags)).toEqual([
      ['late', 'late_beyond_window'],
      ['late', 'late_beyond_window'],
    ]);
    // documented limitation: the repeat of an unverifiable day is counted again
    expect(beyond.state.purchaseDays).toBe(4);
    expect(beyond.state.latePurchasesBeyondWindow).toBe(2);
  });

  it('recognises the first day however old it is (it is kept outside the bitmap)', () => {
    const { state, last } = fold([purchase('c', 0, 100), purchase('c', 1000, 100), purchase('c', 0, 50)]);
    expect(last.flags).toEqual(['late']);
    expect(state.purchaseDays).toBe(2);
    expect(state.firstDayAmountMinor).toBe(150);
  });

  it('reports the placement directly', () => {
    const s = emptyState('c');
    expect(placePurchaseDay(s, DAY0 + 10, 1, WINDOW)).toBe('new-day');
    expect(placePurchaseDay(s, DAY0 + 10, 1, WINDOW)).toBe('same-day');
    expect(placePurchaseDay(s, DAY0 + 20, 1, WINDOW)).toBe('new-day');
    expect(placePurchaseDay(s, DAY0 + 15, 1, WINDOW)).toBe('new-day');
    expect(placePurchaseDay(s, DAY0 + 15, 1, WINDOW)).toBe('same-day');
    expect(placePurchaseDay(s, DAY0 + 1, 1, WINDOW)).toBe('new-day');
    expect(placePurchaseDay(s, DAY0 + 20 + WINDOW, 1, WINDOW)).toBe('new-day');
    // day 15 is now WINDOW + 5 days old: unverifiable
    expect(placePurchaseDay(s, DAY0 + 15, 1, WINDOW)).toBe('new-day-unverified');
    expect(s.purchaseDays).toBe(6);
  });
});
