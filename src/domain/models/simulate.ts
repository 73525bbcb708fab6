/**
 * Seeded synthetic customers drawn from the BG/NBD and Gamma-Gamma processes:
 * for benchmarks, parameter-recovery tests and demo data. Deterministic for a
 * seed (no Math.random), so still pure.
 *
 * The generator is xoshiro128** seeded through a splitmix-style mixer: 32-bit
 * integer operations only (fast in JS), period 2^128 − 1, good equidistribution.
 */
import type { BgNbdParams } from './bgnbd.js';
import type { GammaGammaParams } from './gamma-gamma.js';

/** Uniform draws in (0, 1) — never exactly 0, so ln(u) is always finite. */
export type Random = () => number;

function rotateLeft(v: number, k: number): number {
  return (v << k) | (v >>> (32 - k));
}

export function seededRandom(seed: number): Random {
  let mix = seed >>> 0;
  const next = (): number => {
    mix = (mix + 0x9e3779b9) | 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  };
  let s0 = next();
  let s1 = next();
  let s2 = next();
  let s3 = next();
  return () => {
    const result = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotateLeft(s3, 11);
    return (result + 0.5) / 4294967296;
  };
}

/** Standard normal by Marsaglia's polar method (one of the pair is discarded: simpler, still cheap). */
export function standardNormal(random: Random): number {
  for (;;) {
    const u = 2 * random() - 1;
    const v = 2 * random() - 1;
    const s = u * u + v * v;
    if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
  }
}

/** Gamma(shape, rate) by Marsaglia & Tsang (2000); shape < 1 via Gamma(shape+1)·U^(1/shape). */
export function gammaDraw(shape: number, rate: number, random: Random): number {
  if (shape < 1) return gammaDraw(shape + 1, rate, random) * Math.pow(random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = standardNormal(random);
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    if (Math.log(random()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

export function betaDraw(a: number, b: number, random: Random): number {
  const g = gammaDraw(a, 1, random);
  return g / (g + gammaDraw(b, 1, random));
}

export interface SimulatedCustomer {
  readonly x: number;
  readonly t_x: number;
  readonly T: number;
}

/**
 * One customer observed for T after the first purchase: Poisson purchases at
 * rate λ ~ Gamma(r, α); after each repeat purchase, gone with probability
 * p ~ Beta(a, b).
 */
export function simulateBgNbdCustomer(params: BgNbdParams, T: number, random: Random): SimulatedCustomer {
  const lambda = gammaDraw(params.r, params.alpha, random);
  const p = betaDraw(params.a, params.b, random);
  let t = 0;
  let x = 0;
  let tx = 0;
  for (;;) {
    t -= Math.log(random()) / lambda;
    if (t > T) break;
    x++;
    tx = t;
    if (random() < p) break;
  }
  return { x, t_x: tx, T };
}

/**
 * Mean of x transaction values of one customer: ν ~ Gamma(q, v), values ~
 * Gamma(p, ν), so their sum is one Gamma(p·x, ν) draw. 0 when x = 0.
 */
export function simulateMeanSpend(params: GammaGammaParams, x: number, random: Random): number {
  if (x === 0) return 0;
  const nu = gammaDraw(params.q, params.v, random);
  return gammaDraw(params.p * x, nu, random) / x;
}
