import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hyp2f1, hyp2f1State, logHyp2f1 } from '../../../src/domain/models/hypergeometric.js';
import { logGamma } from '../../../src/domain/models/special.js';
import { exact, fixedLnAsNumber, fixedToNumber, hyp2f1Reference } from './reference/high-precision.js';

const relative = (actual: number, expected: number): number => Math.abs(actual - expected) / Math.abs(expected);

/** 2F1 by the 70-digit reference series (|z| < 1). */
function reference(a: number, b: number, c: number, z: number): number {
  return fixedToNumber(hyp2f1Reference(exact(a), exact(b), exact(c), exact(z)));
}

/** Arithmetic-geometric mean, for K(k) = π / (2 AGM(1, √(1−k²))). */
function agm(x: number, y: number): number {
  let [p, q] = [x, y];
  for (let i = 0; i < 60 && p !== q; i++) [p, q] = [(p + q) / 2, Math.sqrt(p * q)];
  return p;
}

describe('2F1 against closed forms', () => {
  it('2F1(1, 1; 2; z) = −ln(1−z)/z from z = −10⁶ to 1 − 10⁻¹²', () => {
    // c − a − b = 0: the degenerate (logarithmic) case of the 1−z formula.
    for (const z of [-1e6, -10, -0.999, -0.5, 1e-8, 0.3, 0.6, 0.9, 0.999, 0.999999, 1 - 1e-12]) {
      const expected = -Math.log1p(-z) / z;
      expect(relative(hyp2f1(1, 1, 2, z), expected), `z = ${z}`).toBeLessThan(1e-13);
    }
  });

  it('2F1(½, ½; 3/2; z²) = arcsin(z)/z and 2F1(½, 1; 3/2; −z²) = arctan(z)/z', () => {
    for (const z of [0.1, 0.5, 0.9, 0.99, 0.999999]) {
      expect(relative(hyp2f1(0.5, 0.5, 1.5, z * z), Math.asin(z) / z), `asin ${z}`).toBeLessThan(1e-13);
    }
    for (const z of [0.1, 1, 10, 1e4]) {
      expect(relative(hyp2f1(0.5, 1, 1.5, -z * z), Math.atan(z) / z), `atan ${z}`).toBeLessThan(1e-13);
    }
  });

  it('complete elliptic integral K(k) = (π/2) 2F1(½, ½; 1; k²) up to k² = 1 − 10⁻¹⁰', () => {
    for (const k2 of [0.5, 0.9, 0.99, 0.9999, 1 - 1e-10]) {
      const K = Math.PI / (2 * agm(1, Math.sqrt(1 - k2)));
      expect(relative((Math.PI / 2) * hyp2f1(0.5, 0.5, 1, k2), K), `k² = ${k2}`).toBeLessThan(1e-13);
    }
  });

  it("Gauss's sum at z = 1, the polynomial case and z = 0", () => {
    const gauss = Math.exp(logGamma(2.1) + logGamma(1.4) - logGamma(1.8) - logGamma(1.7));
    expect(relative(hyp2f1(0.3, 0.4, 2.1, 1), gauss)).toBeLessThan(1e-14);
    expect(logHyp2f1(0.3, 0.9, 1.1, 1)).toBeNaN(); // c − a − b < 0: diverges
    const [b, c, z] = [1.7, 2.3, 0.8];
    const poly = 1 - (3 * b * z) / c + (3 * b * (b + 1) * z * z) / (c * (c + 1)) - (b * (b + 1) * (b + 2) * z ** 3) / (c * (c + 1) * (c + 2));
    expect(relative(hyp2f1(-3, b, c, z), poly)).toBeLessThan(1e-14);
    expect(hyp2f1(2, 3, 4, 0)).toBe(1);
  });

  it('(1−z)^−a = 2F1(a, b; b; z) also through the series route', () => {
    for (const z of [-0.7, 0.2, 0.7, 0.95]) {
      expect(relative(hyp2f1(-1.3, 0.7, 0.7, z), (1 - z) ** 1.3), `z = ${z}`).toBeLessThan(1e-14);
    }
  });

  it('reports the sign of negative values', () => {
    // 2F1(−1, b; c; z) = 1 − b z / c = −1 for b z / c = 2.
    expect(hyp2f1(-1, 4, 1, 0.5)).toBeCloseTo(-1, 14);
    expect(hyp2f1State.sign).toBe(-1);
  });

  it('rejects c at a pole and z > 1', () => {
    expect(logHyp2f1(1, 1, -2, 0.5)).toBeNaN();
    expect(logHyp2f1(1, 1, 2, 1.5)).toBeNaN();
  });
});

describe('2F1 against a 70-digit reference series', () => {
  it('random parameters, z in (−0.95, 0.99)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 6, noNaN: true }),
        fc.double({ min: 0.05, max: 6, noNaN: true }),
        fc.double({ min: 0.1, max: 8, noNaN: true }),
        fc.double({ min: -0.95, max: 0.99, noNaN: true }),
        (a, b, c, z) => {
          const expected = reference(a, b, c, z);
          expect(relative(hyp2f1(a, b, c, z), expected)).toBeLessThan(2e-13);
        },
      ),
      { seed: 20240601, numRuns: 60 },
    );
  });

  it('c − a − b within 10⁻⁸ … 10⁻¹ of an integer (both sides), z close to 1', () => {
    for (const offset of [0, 1e-8, -1e-8, 1e-5, -1e-4, 0.05, -0.099, 0.1001]) {
      for (const M of [0, 1, 3]) {
        const [a, b, z] = [0.75, 1.6, 0.995];
        const c = a + b + M + offset;
        if (c - a - b < 0) continue;
        expect(relative(hyp2f1(a, b, c, z), reference(a, b, c, z)), `M=${M} offset=${offset}`).toBeLessThan(1e-13);
      }
    }
  });

  it('BG/NBD-shaped arguments: negative first parameter, z up to 0.999', () => {
    // 2F1(a−1, a+b−1−r; a+b+x−1; z) with CDNOW-like r, a, b.
    for (const x of [0, 1, 2, 7]) {
      for (const z of [0.5, 0.9, 0.999]) {
        const [A, B, C] = [0.793 - 1, 0.793 + 2.426 - 1 - 0.243, 0.793 + 2.426 + x - 1];
        expect(relative(hyp2f1(A, B, C, z), reference(A, B, C, z)), `x=${x} z=${z}`).toBeLessThan(1e-13);
      }
    }
  });

  it('stays finite in log space where the value is ~10^2993 (x = 10 000)', () => {
    const [a, b, c, z] = [10000.243, 10002.426, 10002.219, 0.4979];
    const logF = logHyp2f1(a, b, c, z);
    const expected = fixedLnAsNumber(hyp2f1Reference(exact(a), exact(b), exact(c), exact(z)));
    expect(Number.isFinite(logF)).toBe(true);
    expect(logF).toBeGreaterThan(6800);
    expect(Math.abs(logF - expected)).toBeLessThan(1e-12 * expected);
  });
});
