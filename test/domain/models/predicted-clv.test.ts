import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  discountSchedule,
  conditionalExpectedPurchases,
  conditionalExpectedSpend,
  discountedExpectedPurchases,
  predictedClv,
  type BgNbdParams,
  type GammaGammaParams,
} from '../../../src/domain/models/index.js';

const relative = (actual: number, expected: number): number => Math.abs(actual - expected) / Math.abs(expected);
const bgnbd: BgNbdParams = { r: 0.243, alpha: 4.414 * 7, a: 0.793, b: 2.426 };
const gammaGamma: GammaGammaParams = { p: 6.25, q: 3.74, v: 15.44 };

describe('CLV schedule', () => {
  it('cuts the horizon into periods, the last one short, with end-of-period discount factors', () => {
    const s = discountSchedule({ horizonDays: 365, periodDays: 30, annualDiscountRate: 0.1 });
    expect(s.periodEnds.length).toBe(13);
    expect(s.periodEnds[0]).toBe(30);
    expect(s.periodEnds[11]).toBe(360);
    expect(s.periodEnds[12]).toBe(365);
    expect(s.discountFactors[12]).toBeCloseTo(1 / 1.1, 14);
    expect(discountSchedule({ horizonDays: 360, periodDays: 30, annualDiscountRate: 0 }).periodEnds.length).toBe(12);
  });

  it('rejects nonsensical settings', () => {
    expect(() => discountSchedule({ horizonDays: 0, periodDays: 30, annualDiscountRate: 0.1 })).toThrow(RangeError);
    expect(() => discountSchedule({ horizonDays: 365, periodDays: -1, annualDiscountRate: 0.1 })).toThrow(RangeError);
    expect(() => discountSchedule({ horizonDays: 365, periodDays: 30, annualDiscountRate: -1 })).toThrow(RangeError);
  });
});

describe('predicted CLV', () => {
  const customer = { x: 4, tx: 250, T: 300, zbar: 42 };

  it('is margin × expected spend × Σ period purchases × discount', () => {
    const schedule = discountSchedule({ horizonDays: 365, periodDays: 30, annualDiscountRate: 0.12 });
    let expected = 0;
    let previous = 0;
    schedule.periodEnds.forEach((end) => {
      const cumulative = conditionalExpectedPurchases(bgnbd, customer.x, customer.tx, customer.T, end);
      expected += (cumulative - previous) * (1.12 ** (-end / 365));
      previous = cumulative;
    });
    const spend = conditionalExpectedSpend(gammaGamma, customer.x, customer.zbar);
    expect(relative(predictedClv(bgnbd, gammaGamma, customer, 0.3, schedule), 0.3 * spend * expected)).toBeLessThan(1e-13);
  });

  it('without discounting is margin × spend × expected purchases over the horizon', () => {
    const schedule = discountSchedule({ horizonDays: 730, periodDays: 30, annualDiscountRate: 0 });
    const purchases = conditionalExpectedPurchases(bgnbd, customer.x, customer.tx, customer.T, 730);
    const spend = conditionalExpectedSpend(gammaGamma, customer.x, customer.zbar);
    expect(relative(predictedClv(bgnbd, gammaGamma, customer, 0.25, schedule), 0.25 * spend * purchases)).toBeLessThan(1e-12);
  });

  it('grows with the horizon, shrinks with the discount rate, and is 0 for a customer surely gone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 2000, noNaN: true }),
        fc.double({ min: 30, max: 3650, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (x, share, T, horizon, rate) => {
          const tx = x === 0 ? 0 : share * T;
          const base = discountedExpectedPurchases(bgnbd, x, tx, T, discountSchedule({ horizonDays: horizon, periodDays: 30, annualDiscountRate: rate }));
          const longer = discountedExpectedPurchases(bgnbd, x, tx, T, discountSchedule({ horizonDays: horizon + 90, periodDays: 30, annualDiscountRate: rate }));
          const dearer = discountedExpectedPurchases(bgnbd, x, tx, T, discountSchedule({ horizonDays: horizon, periodDays: 30, annualDiscountRate: rate + 0.05 }));
          expect(Number.isFinite(base) && base >= 0).toBe(true);
          expect(longer).toBeGreaterThanOrEqual(base * (1 - 1e-12));
          expect(dearer).toBeLessThanOrEqual(base * (1 + 1e-12));
        },
      ),
      { numRuns: 200 },
    );
    const schedule = discountSchedule({ horizonDays: 365, periodDays: 30, annualDiscountRate: 0.1 });
    // 10 000 purchases, the last 10 years ago: P(alive) underflows to 0.
    expect(predictedClv(bgnbd, { p: 1, q: 0.5, v: 1 }, { x: 10_000, tx: 1, T: 3650, zbar: 10 }, 0.3, schedule)).toBe(0);
  });

  it('is finite for the extreme customers (x = 10 000, 10-year horizon)', () => {
    const schedule = discountSchedule({ horizonDays: 3650, periodDays: 365, annualDiscountRate: 0.08 });
    for (const c of [
      { x: 10_000, tx: 3650, T: 3650, zbar: 25 },
      { x: 0, tx: 0, T: 0, zbar: 0 },
      { x: 1, tx: 0, T: 3650, zbar: 1e6 },
    ]) {
      const value = predictedClv(bgnbd, gammaGamma, c, 0.3, schedule);
      expect(Number.isFinite(value) && value >= 0, JSON.stringify(c)).toBe(true);
    }
  });
});
