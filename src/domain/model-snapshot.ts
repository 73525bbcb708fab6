/**
 * The population model the reducer scores with: fitted purchase-model and
 * Gamma-Gamma parameters (time in days, money in base minor units) and RFM cut
 * points, under one version name that every emission carries. Absent parameters
 * mean "not fitted yet": the reducer then uses the simple CLV and the inactivity rule.
 */
import type { CutPoints } from './config.js';
import type { BgNbdParams, GammaGammaParams, PurchaseModelKind } from './models/index.js';

export type { BgNbdParams, GammaGammaParams, PurchaseModelKind };

export interface ModelSnapshot {
  readonly version: string;
  /**
   * Which model `bgnbd` holds the parameters of: the BG/NBD (the default, and
   * what every version stored before the modified BG/NBD existed means) or the
   * modified BG/NBD.
   */
  readonly purchaseModel?: PurchaseModelKind;
  /** r, α (days), a, b of the purchase model (`purchaseModel`). */
  readonly bgnbd: BgNbdParams | null;
  readonly gammaGamma: GammaGammaParams | null;
  /** Population quintile cut points; null → the configuration's defaults. */
  readonly cutPoints: CutPoints | null;
}

export const UNFITTED_MODEL: ModelSnapshot = {
  version: 'unfitted',
  bgnbd: null,
  gammaGamma: null,
  cutPoints: null,
};
