/**
 * The population model the reducer scores with: fitted purchase-model and
 * Gamma-Gamma parameters (time in days, money in base minor units) and RFM cut
 * points, under one version name that every emission carries. Absent parameters
 * mean "not fitted yet": the reducer then uses the simple CLV and the inactivity rule.
 */
import type { CutPoints } from './parameters.js';
import type { BgNbdParams, GammaGammaParams, ParetoNbdParams, PurchaseModel, PurchaseModelKind } from './models/index.js';

export type { BgNbdParams, GammaGammaParams, ParetoNbdParams, PurchaseModelKind };

export interface ModelSnapshot {
  readonly version: string;
  /**
   * Which purchase model scores: the BG/NBD (the default, and what every
   * version stored before the other models existed means), the modified
   * BG/NBD (parameters in `bgnbd`) or the Pareto/NBD (parameters in `pnbd`).
   */
  readonly purchaseModel?: PurchaseModelKind;
  /** r, α (days), a, b of the BG/NBD or the modified BG/NBD; null for the Pareto/NBD and before a fit. */
  readonly bgnbd: BgNbdParams | null;
  /** r, α (days), s, β (days) when `purchaseModel` is 'pnbd'. */
  readonly pnbd?: ParetoNbdParams | null;
  readonly gammaGamma: GammaGammaParams | null;
  /** Population quintile cut points; null → the configuration's defaults. */
  readonly cutPoints: CutPoints | null;
  /**
   * Covariances of the log-parameters (models/uncertainty.ts) of the purchase
   * model (r, α, a, b or r, α, s, β) and of the Gamma-Gamma (p, q, v), for the
   * customers' prediction intervals; absent in versions fitted before them.
   */
  readonly uncertainty?: {
    readonly purchase: readonly (readonly number[])[] | null;
    readonly gammaGamma: readonly (readonly number[])[] | null;
  };
}

export const UNFITTED_MODEL: ModelSnapshot = {
  version: 'unfitted',
  bgnbd: null,
  gammaGamma: null,
  cutPoints: null,
};

const purchaseModels = new WeakMap<ModelSnapshot, PurchaseModel | null>();

/** The fitted purchase model of a snapshot, or null before a fit (computed once per snapshot). */
export function purchaseModelOf(model: ModelSnapshot): PurchaseModel | null {
  let m = purchaseModels.get(model);
  if (m === undefined) {
    const kind = model.purchaseModel ?? 'bgnbd';
    if (kind === 'pnbd') m = model.pnbd === null || model.pnbd === undefined ? null : { kind, params: model.pnbd };
    else m = model.bgnbd === null ? null : { kind, params: model.bgnbd };
    purchaseModels.set(model, m);
  }
  return m;
}

/** The snapshot fields that name and hold a purchase model. */
export function snapshotParts(m: PurchaseModel): Pick<ModelSnapshot, 'purchaseModel' | 'bgnbd' | 'pnbd'> {
  return m.kind === 'pnbd' ? { purchaseModel: 'pnbd', bgnbd: null, pnbd: m.params } : { purchaseModel: m.kind, bgnbd: m.params };
}
