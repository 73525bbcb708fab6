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

  it('cannot tell for days older than the bitmap', () => {
    expect(at(100, 116)).toBeNull(); // ages 384–400
    expect(at(100, 120)).toBeNull();
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

  it('has no rate without two whole periods in the window, and refuses a bad period', () => {
    expect(new RetentionCounter(DAY0, 200, 384).report().periods).toEqual([]);
    expect(() => new RetentionCounter(DAY0, 0, 384)).toThrow(RangeError);
    expect(() => new RetentionCounter(DAY0, 1.5, 384)).toThrow(RangeError);
  });
});
