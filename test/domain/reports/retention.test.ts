import { describe, expect, it } from 'vitest';
import { purchasedIn, RetentionCounter } from '../../../src/domain/reports/retention.js';
import { DAY0, fold, purchase } from '../fixtures.js';

describe('purchasedIn', () => {
  const { state } = fold([purchase('A', 0, 1_000), purchase('A', 420, 1_000), purchase('A', 450, 1_000), purchase('A', 500, 1_000)]);
  const at = (from: number, to: number) => purchasedIn(state, DAY0 + from, DAY0 + to);

  it('knows the first and latest purchase days, and that nothing follows the latest', () => {
    expect(at(0, 0)).toBe(true);
    expect(at(-10, -1)).toBe(false);
    expect(at(500, 500)).toBe(true);
    expect(at(501, 900)).toBe(false);
  });

  it('reads the days in between from the 384-day bitmap', () => {
    expect(at(450, 450)).toBe(true);
    expect(at(421, 449)).toBe(false);
    expect(at(440, 460)).toBe(true);
    expect(at(117, 130)).toBe(false); // ages 370–383: inside the window
  });

  it('knows days older than the bitmap when its purchase-day count has no day left to place there', () => {
    // 4 purchase days: the first day and the three the bitmap holds.
    expect(at(100, 116)).toBe(false); // ages 384–400
    expect(at(100, 120)).toBe(false);
    expect(at(1, 420)).toBe(true); // a known purchase day inside answers anyway
  });
});

describe('RetentionCounter', () => {
  it('counts customers active in the previous period and again in this one', () => {
    const day = DAY0 + 89; // periods of 30 days: [60, 89], [30, 59], [0, 29]
    const counter = new RetentionCounter(day, 30, 90);
    const states = [
      fold([purchase('A', 5, 100), purchase('A', 40, 100), purchase('A', 70, 100)]).state, // active in all three
      fold([purchase('B', 10, 100), purchase('B', 35, 100)]).state, // periods 0 and 1
      fold([purchase('C', 45, 100)]).state, // period 1 only
      fold([purchase('D', 80, 100)]).state, // new in the last period
    ];
    for (const s of states) counter.add(s);
    const report = counter.report();
    expect(report).toEqual({
      periodDays: 30,
      windowDays: 90,
      periods: [
        { startDay: DAY0 + 30, endDay: DAY0 + 59, activeAtStart: 2, retained: 2, rate: 1, unknown: 0 },
        { startDay: DAY0 + 60, endDay: DAY0 + 89, activeAtStart: 3, retained: 1, rate: 1 / 3, unknown: 0 },
      ],
    });
  });

  it('reports at least one rate whatever the period, and refuses a bad period', () => {
    expect(new RetentionCounter(DAY0, 200, 384).report().periods).toHaveLength(1);
    expect(new RetentionCounter(DAY0, 365, 384, 4).report().periods).toHaveLength(4);
    expect(() => new RetentionCounter(DAY0, 365, 384, 0)).toThrow(RangeError);
    expect(() => new RetentionCounter(DAY0, 0, 384)).toThrow(RangeError);
    expect(() => new RetentionCounter(DAY0, 1.5, 384)).toThrow(RangeError);
  });
});

describe('yearly retention (periods longer than half the purchase-day memory)', () => {
  // Regression: `report --period-days 365` answered that the memory holds fewer than two periods.
  it('reports the latest year against the one before from a 384-day memory', () => {
    const day = DAY0 + 729; // years [365, 729] and [0, 364]
    const counter = new RetentionCounter(day, 365, 384);
    const states = [
      fold([purchase('A', 10, 100), purchase('A', 400, 100)]).state, // both years
      fold([purchase('B', 20, 100), purchase('B', 300, 100)]).state, // the first year only
      fold([purchase('C', 100, 100), purchase('C', 200, 100), purchase('C', 700, 100)]).state, // both: 200 is outside C's bitmap, counted as hidden
      fold([purchase('D', 500, 100)]).state, // new in the latest year
    ];
    for (const s of states) counter.add(s);
    const report = counter.report();
    expect(report.periods).toHaveLength(1);
    expect(report.periods[0]).toMatchObject({ startDay: DAY0 + 365, endDay: DAY0 + 729, activeAtStart: 3, retained: 2, unknown: 0 });
  });
});

describe('purchasedIn beyond the bitmap', () => {
  it('knows there is nothing more when every purchase day is accounted for', () => {
    // First day 0, then 600 and 650: the bitmap (ages 0–383) holds 600 and 650, the first day is known: nothing in 1–266.
    const { state } = fold([purchase('E', 0, 1_000), purchase('E', 600, 1_000), purchase('E', 650, 1_000)]);
    expect(purchasedIn(state, DAY0 + 1, DAY0 + 266)).toBe(false);
  });

  it('places hidden purchase days between the first day and the bitmap: true when the period holds that whole span', () => {
    // Purchases on 0, 100 and 700: day 100 left the bitmap (ages > 383 from 700) but is counted in the purchase days.
    const { state } = fold([purchase('F', 0, 1_000), purchase('F', 100, 1_000), purchase('F', 700, 1_000)]);
    expect(purchasedIn(state, DAY0 + 1, DAY0 + 316)).toBe(true); // holds all of 1–316
    expect(purchasedIn(state, DAY0 + 50, DAY0 + 150)).toBeNull(); // part of it: cannot tell
  });
});
