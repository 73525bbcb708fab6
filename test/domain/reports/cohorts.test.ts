import { describe, expect, it } from 'vitest';
import { CohortCounter } from '../../../src/domain/reports/cohorts.js';
import { DAY0, fold, purchase } from '../fixtures.js';

describe('the cohort table', () => {
  // Years ending on DAY0 + 1094: [730, 1094] (0), [365, 729] (1), [0, 364] (2).
  const day = DAY0 + 1094;
  const states = [
    fold([purchase('A', 10, 100), purchase('A', 500, 100), purchase('A', 800, 100)]).state, // cohort 2, active in 1 and 0
    fold([purchase('B', 20, 100), purchase('B', 900, 100)]).state, // cohort 2, active in 0 only
    fold([purchase('C', 30, 100)]).state, // cohort 2, never again
    fold([purchase('D', 380, 100), purchase('D', 1000, 100)]).state, // cohort 1, active in 0
    fold([purchase('E', 700, 100)]).state, // cohort 1, not again
    fold([purchase('F', 1090, 100)]).state, // cohort 0
  ];

  it('groups customers by the year of their first purchase and shares them out over the later years', () => {
    const counter = new CohortCounter(day, 365, 3);
    for (const s of states) counter.add(s);
    const report = counter.report();
    expect(report.earlier).toBe(0);
    expect(report.cohorts).toEqual([
      {
        startDay: DAY0,
        endDay: DAY0 + 364,
        customers: 3,
        later: [
          { startDay: DAY0 + 365, endDay: DAY0 + 729, active: 1, unknown: 0, share: 1 / 3 },
          { startDay: DAY0 + 730, endDay: DAY0 + 1094, active: 2, unknown: 0, share: 2 / 3 },
        ],
      },
      { startDay: DAY0 + 365, endDay: DAY0 + 729, customers: 2, later: [{ startDay: DAY0 + 730, endDay: DAY0 + 1094, active: 1, unknown: 0, share: 0.5 }] },
      { startDay: DAY0 + 730, endDay: DAY0 + 1094, customers: 1, later: [] },
    ]);
  });

  it('counts customers older than the table as earlier, and refuses bad sizes', () => {
    const counter = new CohortCounter(day, 365, 2);
    for (const s of states) counter.add(s);
    expect(counter.report().earlier).toBe(3);
    expect(() => new CohortCounter(day, 0, 2)).toThrow(RangeError);
    expect(() => new CohortCounter(day, 365, 0)).toThrow(RangeError);
  });

  it("leaves a customer whose activity the state cannot tell out of that period's share", () => {
    // G: purchases on 10, 400 and 1000. Day 400 has left the bitmap (it covers 617–1000) but is counted: it lies somewhere in 11–616, which year 1 [365, 729] holds only part of.
    const g = fold([purchase('G', 10, 100), purchase('G', 400, 100), purchase('G', 1000, 100)]).state;
    const counter = new CohortCounter(day, 365, 3);
    counter.add(g);
    const [oldest] = counter.report().cohorts;
    expect(oldest!.later[0]).toEqual({ startDay: DAY0 + 365, endDay: DAY0 + 729, active: 0, unknown: 1, share: null });
    expect(oldest!.later[1]).toMatchObject({ active: 1, unknown: 0, share: 1 });
  });
});
