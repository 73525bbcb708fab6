/**
 * Test-only high-precision BG/NBD quantities, computed from the paper's formulas
 * as printed (FHL 2005 eqs. 10 and 12): the 2F1 of eq. 10 by its defining series
 * in 70-digit fixed point with exact rational inputs, no transformation. For
 * x = 10 000 that series peaks around 10^3000 — BigInt does not mind.
 */
import type { BgNbdParams } from '../../../../src/domain/models/index.js';
import {
  FIXED_ONE,
  add,
  div,
  exact,
  fixedExp,
  fixedLn,
  fixedToNumber,
  hyp2f1Reference,
  int,
  sub,
  toFixed,
} from './high-precision.js';

/** (1 + u)^k in fixed point, u and k exact rationals. */
function onePlusPower(u: ReturnType<typeof exact>, k: ReturnType<typeof exact>): bigint {
  const lnBase = fixedLn(toFixed(add(int(1), u)));
  return fixedExp((lnBase * toFixed(k)) / FIXED_ONE);
}

/** P(alive | x, t_x, T) in fixed point. */
function probabilityAliveFixed(params: BgNbdParams, x: number, tx: number, T: number): bigint {
  if (x === 0) return FIXED_ONE;
  const alpha = exact(params.alpha);
  // ((α+T)/(α+t_x))^{r+x} = (1 + (T−t_x)/(α+t_x))^{r+x}
  const growth = onePlusPower(div(sub(exact(T), exact(tx)), add(alpha, exact(tx))), add(exact(params.r), int(x)));
  const ratio = div(exact(params.a), add(exact(params.b), int(x - 1)));
  const odds = (toFixed(ratio) * growth) / FIXED_ONE;
  return (FIXED_ONE * FIXED_ONE) / (FIXED_ONE + odds);
}

export function referenceProbabilityAlive(params: BgNbdParams, x: number, tx: number, T: number): number {
  return fixedToNumber(probabilityAliveFixed(params, x, tx, T));
}

/**
 * E[Y(t) | x, t_x, T] = P(alive) · (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^{r+x} 2F1(r+x, b+x; a+b+x−1; z)],
 * z = t/(α+T+t). Requires a ≠ 1.
 */
export function referenceConditionalExpectation(params: BgNbdParams, x: number, tx: number, T: number, t: number): number {
  const beta0 = add(exact(params.alpha), exact(T));
  const horizon = exact(t);
  const z = div(horizon, add(beta0, horizon));
  const k = add(exact(params.r), int(x));
  const bx = add(exact(params.b), int(x));
  const C = add(add(exact(params.a), exact(params.b)), int(x - 1));
  const F = hyp2f1Reference(k, bx, C, z);
  const power = onePlusPower(div(horizon, beta0), k); // ((α+T+t)/(α+T))^{r+x}
  const G = (F * FIXED_ONE) / power;
  const factor = toFixed(div(C, sub(exact(params.a), int(1))));
  const ifAlive = (factor * (FIXED_ONE - G)) / FIXED_ONE;
  return fixedToNumber((ifAlive * probabilityAliveFixed(params, x, tx, T)) / FIXED_ONE);
}

/** E[X(t)] (eq. 9) = the conditional expectation of a customer with x = 0, T = 0. */
export function referenceUnconditionalExpectation(params: BgNbdParams, t: number): number {
  return referenceConditionalExpectation(params, 0, 0, 0, t);
}
