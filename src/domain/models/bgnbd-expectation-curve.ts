/**
 * The BG/NBD "expected purchases if alive" at several horizons t₁ < t₂ < … for
 * one customer — what the predicted CLV needs for its discounting periods.
 *
 * All horizons share the series coefficients of S (see bgnbd-expectation.ts):
 * only z = t/(β₀+t) changes. So the S-series is summed for all of them at once:
 * each coefficient ratio (ε+n)(β+n)/((C+n)(n+1)) — the division, the costly
 * part — is computed once per n and applied to every horizon still summing.
 * Horizons leave the active set as their own tail bound is met (smaller z first,
 * so the active set is a suffix). Horizons whose series would be too long go
 * through the single-horizon route (1−z transformations) one by one.
 *
 * Times in any one unit; writes `out` (length ≥ horizons.length), no allocation
 * once the scratch buffers have grown to the number of horizons.
 */
import { expm1OverEpsilon } from './special.js';
import { estimateSeriesTerms, seriesTailConverged } from './hypergeometric-series.js';
import { expectedPurchasesIfAlive } from './bgnbd-expectation.js';

const PREFERRED_TERMS = 300;
const MAX_TERMS = 3000;

let zs = new Float64Array(16);
let terms = new Float64Array(16);
let sums = new Float64Array(16);

function ensureScratch(n: number): void {
  if (zs.length >= n) return;
  const size = Math.max(n, 2 * zs.length);
  zs = new Float64Array(size);
  terms = new Float64Array(size);
  sums = new Float64Array(size);
}

/** Increasing horizons expected (any order works, but then fewer share the series). */
export function expectedPurchasesIfAliveCurve(
  r: number,
  a: number,
  b: number,
  x: number,
  beta0: number,
  horizons: ArrayLike<number>,
  out: Float64Array,
): void {
  const count = horizons.length;
  ensureScratch(count);
  const C = a + b + x - 1;
  const epsilon = a - 1;
  const beta = a + b - 1 - r;
  // Horizons [0, shared) go through the shared series; the rest one by one. The
  // estimated length grows with z, so when the last horizon qualifies, all do.
  const lastHorizon = count > 0 ? horizons[count - 1]! : 0;
  const allShared = estimateSeriesTerms(epsilon, beta, C, lastHorizon / (beta0 + lastHorizon)) <= PREFERRED_TERMS;
  let shared = 0;
  while (shared < count) {
    const t = horizons[shared]!;
    if (!(t > 0)) break;
    const z = t / (beta0 + t);
    if (!allShared && estimateSeriesTerms(epsilon, beta, C, z) > PREFERRED_TERMS) break;
    zs[shared] = z;
    terms[shared] = beta * z; // C·S starts at n = 1 with β z (see bgnbd-expectation.ts)
    sums[shared] = beta * z;
    shared++;
  }
  let first = 0; // lowest index still summing
  const p = epsilon + beta - C - 1;
  const q = epsilon * beta - C;
  const positiveFrom = Math.max(1, 1 - Math.min(epsilon, beta, C));
  for (let n = 1; first < shared && n <= MAX_TERMS; n++) {
    const ratio = ((epsilon + n) * (beta + n)) / ((C + n) * (n + 1));
    for (let k = first; k < shared; k++) {
      const term = terms[k]! * ratio * zs[k]!;
      terms[k] = term;
      sums[k] = sums[k]! + term;
    }
    while (first < shared && (terms[first] === 0 || seriesTailConverged(terms[first]!, sums[first]!, n + 1, zs[first]!, p, q, C, positiveFrom))) {
      first++;
    }
  }
  for (let k = 0; k < count; k++) {
    const t = horizons[k]!;
    if (k >= first || !(t > 0)) {
      // Not shared, not converged within MAX_TERMS, or t ≤ 0: the single-horizon route.
      out[k] = expectedPurchasesIfAlive(r, a, b, x, beta0, t);
      continue;
    }
    const L = -Math.log1p(t / beta0);
    out[k] = -C * expm1OverEpsilon(epsilon, L) - Math.exp(epsilon * L) * sums[k]!;
  }
}
