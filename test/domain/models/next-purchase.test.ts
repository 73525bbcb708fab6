import { describe, expect, it } from 'vitest';
import {
  expectedPurchasesWithRetention,
  logGamma,
  medianTimeToNextPurchaseAtRate,
  medianTimeToNextPurchaseIfAlive,
  noPurchaseWithinIfAlive,
} from '../../../src/domain/models/index.js';

/** Composite Simpson's rule over [a, b] with n (even) intervals. */
function simpson(f: (u: number) => number, a: number, b: number, n = 20_000): number {
  const h = (b - a) / n;
  let sum = f(a) + f(b);
  for (let i = 1; i < n; i++) sum += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (sum * h) / 3;
}

/**
 * P(W ≤ w) by integrating the exponential wait over the rate's posterior
 * Gamma(shape, rate) directly, in y = ln λ (smooth at both ends whatever the shape).
 */
function boughtWithinByIntegration(shape: number, rate: number, w: number): number {
  const logNorm = shape * Math.log(rate) - logGamma(shape);
  return simpson((y) => Math.exp(logNorm + shape * y - rate * Math.exp(y)) * -Math.expm1(-Math.exp(y) * w), -60, 12);
}

describe('the wait for the next purchase of a living customer', () => {
  // CDNOW's BG/NBD fit in days, and customers from a one-time buyer to a frequent one.
  const r = 0.243;
  const alpha = 4.414 * 7;
  const cases = [
    { x: 0, T: 10 },
    { x: 0, T: 300 },
    { x: 2, T: 90 },
    { x: 12, T: 400 },
    { x: 150, T: 3000 },
  ];

  it.each(cases)('x $x, T $T: half of the posterior mixture has bought by the median (numerical integration)', ({ x, T }) => {
    const median = medianTimeToNextPurchaseIfAlive(r, alpha, x, T);
    expect(median).toBeGreaterThan(0);
    expect(boughtWithinByIntegration(r + x, alpha + T, median)).toBeCloseTo(0.5, 8);
    expect(noPurchaseWithinIfAlive(r, alpha, x, T, median)).toBeCloseTo(0.5, 14);
  });

  it('the survival function agrees with the integral at other waits', () => {
    for (const w of [1, 30, 365, 5000]) {
      expect(1 - noPurchaseWithinIfAlive(r, alpha, 3, 200, w)).toBeCloseTo(boughtWithinByIntegration(r + 3, alpha + 200, w), 8);
    }
  });

  it('is the closed form (α + T)(2^(1/(r+x)) − 1), and shorter for a more frequent buyer', () => {
    expect(medianTimeToNextPurchaseIfAlive(1, 10, 1, 10)).toBeCloseTo(20 * (Math.SQRT2 - 1), 12);
    expect(medianTimeToNextPurchaseIfAlive(r, alpha, 10, 200)).toBeLessThan(medianTimeToNextPurchaseIfAlive(r, alpha, 2, 200));
  });

  it('at a known rate is the exponential median ln 2 / rate, and never at rate 0', () => {
    expect(medianTimeToNextPurchaseAtRate(1 / 45)).toBeCloseTo(45 * Math.LN2, 12);
    expect(medianTimeToNextPurchaseAtRate(0)).toBe(Infinity);
  });
});

describe('expected purchases with yearly retention', () => {
  it.each([
    { rate: 1 / 30, t: 30, retention: 0.6 },
    { rate: 1 / 30, t: 365, retention: 0.6 },
    { rate: 0.2, t: 1095, retention: 0.35 },
  ])('rate $rate over $t days at retention $retention is the integral of rate·retention^(u/365)', ({ rate, t, retention }) => {
    const integral = simpson((u) => rate * Math.pow(retention, u / 365), 0, t, 2_000);
    expect(expectedPurchasesWithRetention(rate, t, retention, 365)).toBeCloseTo(integral, 10);
  });

  it('is rate·t when nobody leaves, 0 when everybody has or nothing is bought', () => {
    expect(expectedPurchasesWithRetention(0.5, 90, 1, 365)).toBe(45);
    expect(expectedPurchasesWithRetention(0.5, 90, 0, 365)).toBe(0);
    expect(expectedPurchasesWithRetention(0, 90, 0.6, 365)).toBe(0);
  });
});
