/**
 * Test-only high-precision reference: every double input is converted exactly to
 * a rational (num/den BigInts), sums run in BigInt fixed point with 70 decimal
 * digits after the point, and only the final result is rounded to a double.
 * Slow (milliseconds to a second per value) and deliberately naive: the defining
 * series of 2F1, no transformation, so it checks the production code's
 * transformations instead of sharing them.
 */
const DIGITS = 70n;
const ONE = 10n ** DIGITS;

export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

/** The exact value of a finite double as a rational. */
export function exact(x: number): Rational {
  if (!Number.isFinite(x)) throw new RangeError(`not finite: ${x}`);
  let scaled = x;
  let shift = 0n;
  while (!Number.isInteger(scaled)) {
    scaled *= 2; // exact: doubling a double never rounds below the overflow threshold
    shift++;
  }
  return { num: BigInt(scaled), den: 1n << shift };
}

export const add = (p: Rational, q: Rational): Rational => ({ num: p.num * q.den + q.num * p.den, den: p.den * q.den });
export const sub = (p: Rational, q: Rational): Rational => ({ num: p.num * q.den - q.num * p.den, den: p.den * q.den });
export const mul = (p: Rational, q: Rational): Rational => ({ num: p.num * q.num, den: p.den * q.den });
export const div = (p: Rational, q: Rational): Rational => {
  const sign = q.num < 0n ? -1n : 1n;
  return { num: sign * p.num * q.den, den: sign * p.den * q.num };
};
export const int = (n: number): Rational => ({ num: BigInt(n), den: 1n });

/** Fixed point: the bigint f stands for f / 10^70. */
export const toFixed = (q: Rational): bigint => (q.num * ONE) / q.den;
const fixedMul = (f: bigint, g: bigint): bigint => (f * g) / ONE;
const fixedDiv = (f: bigint, g: bigint): bigint => (f * ONE) / g;
const abs = (f: bigint): bigint => (f < 0n ? -f : f);

function bitLength(f: bigint): number {
  return abs(f).toString(2).length;
}

/** A fixed-point value to the nearest double (via its logarithm beyond the double range of f itself). */
export function fixedToNumber(f: bigint): number {
  const n = Number(f);
  if (Number.isFinite(n)) return n / 1e70;
  return (f < 0n ? -1 : 1) * Math.exp(fixedLnAsNumber(abs(f)));
}

/** ln of a positive fixed-point value, as a double (works for 10^±5000 too). */
export function fixedLnAsNumber(f: bigint): number {
  return Number((fixedLn(f) * 10n ** 20n) / ONE) / 1e20;
}

/** 2·atanh(y) = ln((1+y)/(1−y)) for |y| ≤ 1/3, by its odd power series. */
function twoAtanh(y: bigint): bigint {
  const y2 = fixedMul(y, y);
  let power = y;
  let sum = 0n;
  for (let k = 1n; power !== 0n; k += 2n) {
    sum += power / k;
    power = fixedMul(power, y2);
  }
  return 2n * sum;
}

const LN2 = twoAtanh(ONE / 3n);

/** ln of a positive fixed-point value: f = 2^k · u with u in [1, 2), ln u = 2 atanh((u−1)/(u+1)). */
export function fixedLn(f: bigint): bigint {
  if (f <= 0n) throw new RangeError('ln of a non-positive value');
  const k = bitLength(f) - bitLength(ONE);
  let u = k >= 0 ? f >> BigInt(k) : f << BigInt(-k);
  let shift = BigInt(k);
  while (u >= 2n * ONE) {
    u /= 2n;
    shift++;
  }
  while (u < ONE) {
    u *= 2n;
    shift--;
  }
  return shift * LN2 + twoAtanh(fixedDiv(u - ONE, u + ONE));
}

/** e^v for a fixed-point v: v = k ln2 + r with |r| ≤ ln2/2, Taylor for e^r, then shift. */
export function fixedExp(v: bigint): bigint {
  let k = v / LN2;
  let r = v - k * LN2;
  if (r > LN2 / 2n) {
    r -= LN2;
    k++;
  } else if (r < -LN2 / 2n) {
    r += LN2;
    k--;
  }
  let term = ONE;
  let sum = ONE;
  for (let n = 1n; term !== 0n; n++) {
    term = fixedMul(term, r) / n;
    sum += term;
  }
  return k >= 0n ? sum << k : sum >> -k;
}

/**
 * 2F1(a, b; c; z) by brute force over its defining series, |z| < 1, exact
 * rational parameters. Stops when the fixed-point term underflows to zero past
 * every sign change of the Pochhammer factors.
 */
export function hyp2f1Reference(a: Rational, b: Rational, c: Rational, z: Rational, maxTerms = 3_000_000): bigint {
  let term = ONE;
  let sum = ONE;
  const last = Math.max(0, -Number(a.num) / Number(a.den), -Number(b.num) / Number(b.den), -Number(c.num) / Number(c.den));
  const fixedDen = a.den * b.den * z.den;
  for (let n = 0n; n < BigInt(maxTerms); n++) {
    const numerator = (a.num + n * a.den) * (b.num + n * b.den) * z.num * c.den;
    const denominator = (c.num + n * c.den) * (n + 1n) * fixedDen;
    term = (term * numerator) / denominator;
    sum += term;
    if (term === 0n && Number(n) > last) return sum;
  }
  throw new Error('reference series did not converge');
}

export { ONE as FIXED_ONE };
