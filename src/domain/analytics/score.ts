/**
 * Scores one customer summary with fitted parameters: P(alive) now and the
 * expected repeat purchases over the next `horizon` (BG/NBD or modified BG/NBD), and, with a
 * Gamma-Gamma model and a monetary value, the expected value of a future
 * purchase. Units are the parameters' (α in the summary's time unit, v in its
 * money unit).
 */
import {
  conditionalExpectedPurchases,
  conditionalExpectedSpend,
  mbgnbdConditionalExpectedPurchases,
  mbgnbdProbabilityAlive,
  probabilityAlive,
  type BgNbdParams,
  type GammaGammaParams,
  type PurchaseModelKind,
} from '../models/index.js';

export interface CustomerScore {
  readonly pAlive: number;
  readonly expectedPurchases: number;
  /** null without a Gamma-Gamma model or a monetary value. */
  readonly expectedSpend: number | null;
}

export function scoreCustomer(
  bgnbd: BgNbdParams,
  gammaGamma: GammaGammaParams | null,
  row: { readonly x: number; readonly tx: number; readonly T: number; readonly zbar: number | null },
  horizon: number,
  kind: PurchaseModelKind = 'bgnbd',
): CustomerScore {
  const modified = kind === 'mbgnbd';
  return {
    pAlive: (modified ? mbgnbdProbabilityAlive : probabilityAlive)(bgnbd, row.x, row.tx, row.T),
    expectedPurchases: (modified ? mbgnbdConditionalExpectedPurchases : conditionalExpectedPurchases)(bgnbd, row.x, row.tx, row.T, horizon),
    expectedSpend: gammaGamma === null || row.zbar === null ? null : conditionalExpectedSpend(gammaGamma, row.x, row.zbar),
  };
}
