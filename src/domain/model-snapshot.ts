/**
 * The population model the reducer scores with: fitted BG/NBD and Gamma-Gamma
 * parameters (time in days, money in base minor units) and RFM cut points, under
 * one version name that every emission carries. Absent parameters mean "not
 * fitted yet": the reducer then uses the simple CLV and the inactivity rule.
 */
import type { CutPoints } from './config.js';

export interface BgNbdParams {
  readonly r: number;
  readonly alpha: number;
  readonly a: number;
  readonly b: number;
}

export interface GammaGammaParams {
  readonly p: number;
  readonly q: number;
  readonly v: number;
}

export interface ModelSnapshot {
  readonly version: string;
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
