/**
 * The bridge from a customer's BTYD summary to the fitted population model:
 * P(alive) and model-based predicted CLV, or null when the model is not fitted
 * (the reducer then falls back to the inactivity rule and the simple CLV).
 * Model parameters are in days and base-currency minor units.
 */
import type { BtydSummary } from './btyd.js';
import { customerMarginRate } from './clv.js';
import type { DomainConfig } from './config.js';
import type { ModelSnapshot } from './model-snapshot.js';
import { clvSchedule, predictedClv, probabilityAlive, type ClvSchedule } from './models/index.js';
import type { CustomerState } from './state.js';

export function pAliveOf(model: ModelSnapshot, summary: BtydSummary): number | null {
  return model.bgnbd === null ? null : probabilityAlive(model.bgnbd, summary.x, summary.tx, summary.T);
}

/** Discount factors and period ends depend only on the configuration: computed once per configuration. */
const schedules = new WeakMap<DomainConfig, ClvSchedule>();

function scheduleFor(config: DomainConfig): ClvSchedule {
  let schedule = schedules.get(config);
  if (schedule === undefined) {
    schedule = clvSchedule({
      horizonDays: config.clvHorizonDays,
      periodDays: config.clvPeriodDays,
      annualDiscountRate: config.annualDiscountRate,
    });
    schedules.set(config, schedule);
  }
  return schedule;
}

/** BG/NBD × Gamma-Gamma × the customer's margin rate, discounted; null before both models are fitted. */
export function modelPredictedClvMinor(
  s: CustomerState,
  summary: BtydSummary,
  model: ModelSnapshot,
  config: DomainConfig,
): number | null {
  if (model.bgnbd === null || model.gammaGamma === null) return null;
  const value = predictedClv(model.bgnbd, model.gammaGamma, summary, customerMarginRate(s, config), scheduleFor(config));
  return Math.round(value);
}
