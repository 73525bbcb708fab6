import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  digamma,
  expm1OverEpsilon,
  gammaSign,
  logBeta,
  logGamma,
  logistic,
  softplus,
} from '../../../src/domain/models/special.js';

const relative = (actual: number, expected: number): number => Math.abs(actual - expected) / Math.abs(expected);

describe('log-gamma, log-beta, digamma (stdlib)', () => {
  it('matches closed forms', () => {
    expect(logGamma(1)).toBe(0);
    expect(logGamma(2)).toBe(0);
    expect(relative(logGamma(0.5), 0.5 * Math.log(Math.PI))).toBeLessThan(1e-15);
    expect(relative(logGamma(10), Math.log(362880))).toBeLessThan(1e-15);
    // ln Γ(10001) = ln(10000!) = 82108.9278368143534…
    expect(relative(logGamma(10001), 82108.92783681436)).toBeLessThan(1e-15);
    expect(relative(digamma(1), -0.5772156649015329)).toBeLessThan(1e-15);
  });

  it('keeps ln B(a, b + x) accurate for large x', () => {
    // B(1, n) = 1/n exactly.
    expect(relative(logBeta(1, 10002.426), -Math.log(10002.426))).toBeLessThan(1e-14);
    // B(2, n) = 1/(n(n+1)).
    expect(relative(logBeta(2, 9999.5), -Math.log(9999.5 * 10000.5))).toBeLessThan(1e-14);
  });

  it('knows the sign of Γ on the negative axis', () => {
    expect(gammaSign(3.2)).toBe(1);
    expect(gammaSign(-0.5)).toBe(-1);
    expect(gammaSign(-1.5)).toBe(1);
    expect(gammaSign(-2.5)).toBe(-1);
    expect(gammaSign(-2)).toBeNaN();
  });
});

describe('numerically careful helpers', () => {
  it('softplus and logistic do not overflow and are consistent', () => {
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-1000)).toBe(0);
    expect(logistic(1000)).toBe(1);
    expect(logistic(-1000)).toBe(0);
    fc.assert(
      fc.property(fc.double({ min: -700, max: 700, noNaN: true }), (d) => {
        const h = 1e-5 * Math.max(1, Math.abs(d));
        const derivative = (softplus(d + h) - softplus(d - h)) / (2 * h);
        return Math.abs(derivative - logistic(d)) < 1e-6 && logistic(d) >= 0 && logistic(d) <= 1;
      }),
    );
  });

  it('(e^{εL} − 1)/ε is continuous at ε = 0', () => {
    expect(expm1OverEpsilon(0, -3)).toBe(-3);
    expect(relative(expm1OverEpsilon(1e-300, -3), -3)).toBeLessThan(1e-15);
    expect(relative(expm1OverEpsilon(1e-9, -3), -3 * (1 - 1.5e-9))).toBeLessThan(1e-15);
  });
});
