/**
 * Gauss hypergeometric function 2F1(a, b; c; z) for real parameters and real
 * z < 1, returned as ln|F| (with the sign in `hyp2f1State.sign`) so that values
 * like 2F1(r+x, b+x; a+b+x−1; z) with x = 10 000 — around 10^3000 — stay finite.
 *
 * Route (A&S = Abramowitz & Stegun, chapter 15):
 * - z < 0: Pfaff, 2F1(a,b;c;z) = (1−z)^−a 2F1(a, c−b; c; z/(z−1)) (15.3.4), so the
 *   series never alternates in sign and the argument lands in (0, 1).
 * - 0 ≤ z < 1 and a+b−c > 0: Euler, 2F1 = (1−z)^{c−a−b} 2F1(c−a, c−b; c; z)
 *   (15.3.3). The (1−z) power carries the whole growth in log space and the
 *   remaining series has terms decaying at least like 1/n² at z = 1.
 * - then the defining series when it converges within a few hundred terms
 *   (small z, or c−a−b large so terms fall polynomially), otherwise the 1−z
 *   connection formula (15.3.6) whose two series converge like (1−z)ⁿ.
 * - 15.3.6 divides by Γ-poles when m = c−a−b is an integer. Within NEAR_INTEGER
 *   of one, the terms are paired so the poles cancel analytically
 *   (hypergeometric-degenerate.ts); further away the plain formula loses at
 *   most about two digits.
 * - if the two connection terms cancel badly (large a·b·(1−z)), the series is
 *   summed to convergence however long it takes: slow but right.
 */
import { gammaSign, isNonPositiveInteger, logGamma } from './special.js';
import { estimateSeriesTerms, gaussSeries, seriesState } from './hypergeometric-series.js';
import { degenerateState, logConnectionNearInteger } from './hypergeometric-degenerate.js';

/** Prefer the series below this many (estimated) terms; above, the 1−z formula. */
const SERIES_PREFERRED_TERMS = 300;
/** Hard cap for "sum it however long it takes". */
const SERIES_MAX_TERMS = 2_000_000;
/** Within this distance of an integer m, the paired (degenerate-case) form of 15.3.6. */
const NEAR_INTEGER = 0.1;
/**
 * Digits (in e-folds) we accept losing to cancellation in the connection
 * formula (large a·b·(1−z) makes its two terms huge and opposite); beyond, the
 * series is summed however long it takes.
 */
const MAX_CANCELLATION = Math.log(1e2);

/** Sign of the last value computed by `logHyp2f1` (±1, or 0 when F = 0). */
export const hyp2f1State = { sign: 1 };

/**
 * ln|2F1(a, b; c; z)| for z < 1 (and z = 1 when c − a − b > 0). Sign in
 * `hyp2f1State.sign`. NaN when c is a non-positive integer or z > 1.
 */
export function logHyp2f1(a: number, b: number, c: number, z: number): number {
  if (isNonPositiveInteger(c) || Number.isNaN(z) || z > 1) return fail();
  if (z === 1) return logGaussAtOne(a, b, c);
  if (z < 0) {
    // Pfaff with the parameter that leaves the smaller power outside.
    const w = z / (z - 1);
    const log1mz = Math.log1p(-z);
    if (Math.abs(a) <= Math.abs(b)) return -a * log1mz + logHyp2f1Unit(a, c - b, c, w, 1 / (1 - z));
    return -b * log1mz + logHyp2f1Unit(c - a, b, c, w, 1 / (1 - z));
  }
  return logHyp2f1Unit(a, b, c, z, 1 - z);
}

/** 2F1(a, b; c; z) as a number (±Infinity beyond the double range). */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  const logAbs = logHyp2f1(a, b, c, z);
  return hyp2f1State.sign * Math.exp(logAbs);
}

/**
 * ln|2F1| for 0 ≤ z < 1 with the complement w = 1 − z passed in by callers who
 * know it more accurately than 1 − z (t/(β+t) close to 1 in the BG/NBD).
 */
export function logHyp2f1Unit(a: number, b: number, c: number, z: number, w: number): number {
  if (z === 0) return done(0, 1);
  if (a + b - c > 0) {
    const logF = logHyp2f1Convergent(c - a, c - b, c, z, w);
    return (c - a - b) * Math.log(w) + logF;
  }
  return logHyp2f1Convergent(a, b, c, z, w);
}

/** 0 < z < 1 and c − a − b ≥ 0. */
function logHyp2f1Convergent(a: number, b: number, c: number, z: number, w: number): number {
  if (z <= 0.5 || estimateSeriesTerms(a, b, c, z) <= SERIES_PREFERRED_TERMS) {
    const value = logOfSeries(a, b, c, z, 10 * SERIES_PREFERRED_TERMS);
    if (!Number.isNaN(value)) return value;
  }
  const m = c - a - b;
  let logF = Number.NaN;
  let sign = Number.NaN;
  let cancellation = Number.POSITIVE_INFINITY;
  if (Math.abs(m - Math.round(m)) < NEAR_INTEGER) {
    logF = logConnectionNearInteger(a, b, c, w);
    sign = degenerateState.sign;
    cancellation = degenerateState.cancellation;
  }
  if (Number.isNaN(logF)) {
    logF = logConnection(a, b, c, w);
    sign = hyp2f1State.sign;
    cancellation = connectionState.cancellation;
  }
  if (cancellation <= MAX_CANCELLATION) return done(logF, sign);
  const bySeries = logOfSeries(a, b, c, z, SERIES_MAX_TERMS);
  return Number.isNaN(bySeries) ? done(logF, sign) : bySeries;
}

function logOfSeries(a: number, b: number, c: number, z: number, maxTerms: number): number {
  const s = gaussSeries(a, b, c, z, maxTerms);
  if (Number.isNaN(s)) return Number.NaN;
  return done(Math.log(Math.abs(s)) + seriesState.logScale, Math.sign(s));
}

const connectionState = { cancellation: 0 };

interface ConnectionCoefficients {
  a: number;
  b: number;
  c: number;
  /** ln|Γ(c)Γ(m) / (Γ(c−a)Γ(c−b))| and its sign (0 when a 1/Γ factor vanishes). */
  log1: number;
  sign1: number;
  /** ln|Γ(c)Γ(−m) / (Γ(a)Γ(b))| and its sign. */
  log2: number;
  sign2: number;
}

/**
 * The Γ factors depend on (a, b, c) only, and callers evaluate the same
 * (a, b, c) at several z in a row (one customer, several horizons): a small
 * ring memo saves most log-gamma calls.
 */
const CACHE_SIZE = 8;
const coefficientCache: ConnectionCoefficients[] = Array.from({ length: CACHE_SIZE }, () => ({
  a: Number.NaN,
  b: Number.NaN,
  c: Number.NaN,
  log1: 0,
  sign1: 0,
  log2: 0,
  sign2: 0,
}));
let cacheNext = 0;

function connectionCoefficients(a: number, b: number, c: number): ConnectionCoefficients {
  for (const k of coefficientCache) if (k.a === a && k.b === b && k.c === c) return k;
  const k = coefficientCache[cacheNext]!;
  cacheNext = (cacheNext + 1) % CACHE_SIZE;
  const m = c - a - b;
  k.a = a;
  k.b = b;
  k.c = c;
  // 1/Γ vanishes at non-positive integers: the corresponding term drops out.
  const zero1 = isNonPositiveInteger(c - a) || isNonPositiveInteger(c - b);
  k.log1 = zero1 ? Number.NEGATIVE_INFINITY : logGamma(c) + logGamma(m) - logGamma(c - a) - logGamma(c - b);
  k.sign1 = zero1 ? 0 : gammaSign(c) * gammaSign(m) * gammaSign(c - a) * gammaSign(c - b);
  const zero2 = isNonPositiveInteger(a) || isNonPositiveInteger(b);
  k.log2 = zero2 ? Number.NEGATIVE_INFINITY : logGamma(c) + logGamma(-m) - logGamma(a) - logGamma(b);
  k.sign2 = zero2 ? 0 : gammaSign(c) * gammaSign(-m) * gammaSign(a) * gammaSign(b);
  return k;
}

/**
 * A&S 15.3.6 with w = 1 − z, m = c − a − b not an integer:
 * F = Γ(c)Γ(m)/(Γ(c−a)Γ(c−b)) F(a,b;1−m;w) + w^m Γ(c)Γ(−m)/(Γ(a)Γ(b)) F(c−a,c−b;1+m;w).
 * Records in connectionState.cancellation how many e-folds the two terms lost.
 */
function logConnection(a: number, b: number, c: number, w: number): number {
  const m = c - a - b;
  const k = connectionCoefficients(a, b, c);
  let log1 = Number.NEGATIVE_INFINITY;
  let sign1 = 0;
  if (k.sign1 !== 0) {
    const s1 = gaussSeries(a, b, 1 - m, w, SERIES_MAX_TERMS);
    log1 = k.log1 + Math.log(Math.abs(s1)) + seriesState.logScale;
    sign1 = k.sign1 * Math.sign(s1);
  }
  let log2 = Number.NEGATIVE_INFINITY;
  let sign2 = 0;
  if (k.sign2 !== 0) {
    const s2 = gaussSeries(c - a, c - b, 1 + m, w, SERIES_MAX_TERMS);
    log2 = k.log2 + m * Math.log(w) + Math.log(Math.abs(s2)) + seriesState.logScale;
    sign2 = k.sign2 * Math.sign(s2);
  }
  return logSignedSum(log1, sign1, log2, sign2);
}

/** ln|s1 e^l1 + s2 e^l2| with the sign to hyp2f1State and the loss to connectionState. */
function logSignedSum(l1: number, s1: number, l2: number, s2: number): number {
  const top = Math.max(l1, l2);
  if (top === Number.NEGATIVE_INFINITY || Number.isNaN(top)) {
    connectionState.cancellation = 0;
    return Number.isNaN(top) ? fail() : done(top, 0);
  }
  const v = s1 * Math.exp(l1 - top) + s2 * Math.exp(l2 - top);
  connectionState.cancellation = v === 0 ? Number.POSITIVE_INFINITY : -Math.log(Math.abs(v));
  return done(top + Math.log(Math.abs(v)), Math.sign(v));
}

/** Gauss's sum 2F1(a,b;c;1) = Γ(c)Γ(c−a−b) / (Γ(c−a)Γ(c−b)) for c − a − b > 0. */
function logGaussAtOne(a: number, b: number, c: number): number {
  const m = c - a - b;
  if (!(m > 0)) return fail();
  if (isNonPositiveInteger(c - a) || isNonPositiveInteger(c - b)) return done(Number.NEGATIVE_INFINITY, 0);
  const sign = gammaSign(c) * gammaSign(c - a) * gammaSign(c - b);
  return done(logGamma(c) + logGamma(m) - logGamma(c - a) - logGamma(c - b), sign);
}

function done(logAbs: number, sign: number): number {
  hyp2f1State.sign = sign;
  return logAbs;
}

function fail(): number {
  hyp2f1State.sign = Number.NaN;
  return Number.NaN;
}
