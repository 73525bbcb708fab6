/**
 * One purchase-and-dropout model, whichever it is: the BG/NBD, the modified
 * BG/NBD (same four parameters r, α, a, b) or the Pareto/NBD (r, α, s, β).
 * Everything downstream of a fit — P(alive), the conditional expectations, the
 * discounted purchases of the CLV, E[X(t)] of a new customer — goes through
 * these functions, so a published Pareto/NBD is scored with its own formulas
 * and not mistaken for a BG/NBD with renamed parameters.
 *
 * Unit-agnostic like the models: α, β and every time share one unit.
 */
import {
  conditionalExpectedPurchases,
  conditionalExpectedPurchasesAt,
  expectedPurchases,
  probabilityAlive,
  type BgNbdParams,
} from './bgnbd.js';
import {
  mbgnbdConditionalExpectedPurchases,
  mbgnbdConditionalExpectedPurchasesAt,
  mbgnbdExpectedPurchases,
  mbgnbdProbabilityAlive,
} from './mbgnbd.js';
import {
  pnbdConditionalExpectedPurchases,
  pnbdConditionalExpectedPurchasesAt,
  pnbdExpectedPurchases,
  pnbdProbabilityAlive,
  type ParetoNbdParams,
} from './pnbd.js';

export type PurchaseModelKind = 'bgnbd' | 'mbgnbd' | 'pnbd';
export const PURCHASE_MODEL_KINDS: readonly PurchaseModelKind[] = ['bgnbd', 'mbgnbd', 'pnbd'];
export const PURCHASE_MODEL_NAMES: Readonly<Record<PurchaseModelKind, string>> = {
  bgnbd: 'BG/NBD',
  mbgnbd: 'modified BG/NBD',
  pnbd: 'Pareto/NBD',
};

export type PurchaseModel =
  | { readonly kind: 'bgnbd' | 'mbgnbd'; readonly params: BgNbdParams }
  | { readonly kind: 'pnbd'; readonly params: ParetoNbdParams };

/** The parameters in a fixed order (the order of the fits' log-parameters and covariances). */
export function parameterVector(m: PurchaseModel): number[] {
  return m.kind === 'pnbd' ? [m.params.r, m.params.alpha, m.params.s, m.params.beta] : [m.params.r, m.params.alpha, m.params.a, m.params.b];
}

/** The model of the same kind with the parameters of `values` (parameterVector's order). */
export function withParameters(m: PurchaseModel, values: ArrayLike<number>): PurchaseModel {
  const [r, alpha, third, fourth] = [values[0]!, values[1]!, values[2]!, values[3]!];
  return m.kind === 'pnbd' ? { kind: 'pnbd', params: { r, alpha, s: third, beta: fourth } } : { kind: m.kind, params: { r, alpha, a: third, b: fourth } };
}

/** Parameter names in parameterVector's order. */
export function parameterNames(kind: PurchaseModelKind): readonly string[] {
  return kind === 'pnbd' ? ['r', 'alpha', 's', 'beta'] : ['r', 'alpha', 'a', 'b'];
}

/** The same model with time measured in units `unitDays` times longer (α and β scale with the unit). */
export function inDays(m: PurchaseModel, unitDays: number): PurchaseModel {
  if (unitDays === 1) return m;
  return m.kind === 'pnbd'
    ? { kind: 'pnbd', params: { ...m.params, alpha: m.params.alpha * unitDays, beta: m.params.beta * unitDays } }
    : { kind: m.kind, params: { ...m.params, alpha: m.params.alpha * unitDays } };
}

/**
 * P(alive at T | x, t_x, T). The BG/NBD's is 1 for every one-time buyer (it
 * says nothing there); the other two fall with time for them too.
 */
export function modelProbabilityAlive(m: PurchaseModel, x: number, tx: number, T: number): number {
  switch (m.kind) {
    case 'bgnbd':
      return probabilityAlive(m.params, x, tx, T);
    case 'mbgnbd':
      return mbgnbdProbabilityAlive(m.params, x, tx, T);
    case 'pnbd':
      return pnbdProbabilityAlive(m.params, x, tx, T);
  }
}

/** E[Y(t) | x, t_x, T]: expected purchases in (T, T + t]. */
export function modelConditionalExpectedPurchases(m: PurchaseModel, x: number, tx: number, T: number, t: number): number {
  switch (m.kind) {
    case 'bgnbd':
      return conditionalExpectedPurchases(m.params, x, tx, T, t);
    case 'mbgnbd':
      return mbgnbdConditionalExpectedPurchases(m.params, x, tx, T, t);
    case 'pnbd':
      return pnbdConditionalExpectedPurchases(m.params, x, tx, T, t);
  }
}

/** E[Y(tᵢ) | x, t_x, T] for several horizons, written into `out` (no allocation). */
export function modelConditionalExpectedPurchasesAt(
  m: PurchaseModel,
  x: number,
  tx: number,
  T: number,
  horizons: ArrayLike<number>,
  out: Float64Array,
): void {
  switch (m.kind) {
    case 'bgnbd':
      return conditionalExpectedPurchasesAt(m.params, x, tx, T, horizons, out);
    case 'mbgnbd':
      return mbgnbdConditionalExpectedPurchasesAt(m.params, x, tx, T, horizons, out);
    case 'pnbd':
      return pnbdConditionalExpectedPurchasesAt(m.params, x, tx, T, horizons, out);
  }
}

/** E[X(t)]: expected repeat purchases in (0, t] of a customer just acquired. */
export function modelExpectedPurchases(m: PurchaseModel, t: number): number {
  switch (m.kind) {
    case 'bgnbd':
      return expectedPurchases(m.params, t);
    case 'mbgnbd':
      return mbgnbdExpectedPurchases(m.params, t);
    case 'pnbd':
      return pnbdExpectedPurchases(m.params, t);
  }
}
