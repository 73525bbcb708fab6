/**
 * Model-based predicted customer lifetime value:
 *
 *   CLV = margin × E[spend per purchase | x, zbar]
 *         × Σₖ (E[Y(tₖ)] − E[Y(tₖ₋₁)]) · (1 + d)^(−tₖ/365)
 *
 * with E[Y(t)] the BG/NBD conditional expected purchases in (T, T+t], tₖ the
 * end of period k (k = 1..K, t₀ = 0, t_K = horizon) and d the annual discount
 * rate. Each period's purchases are discounted at its end — conservative by
 * about half a period of discounting.
 *
 * Units are explicit here: the BG/NBD parameters (α) and the customer's t_x, T
 * must be in **days**, like horizonDays and periodDays. Money is in whatever
 * unit zbar and the Gamma-Gamma v are in (the domain uses minor units).
 *
 * Cost: one P(alive) plus K conditional expectations, K = ceil(horizon/period).
 * The discount factors and period ends are precomputed once per schedule (the
 * `DiscountSchedule`), and the K expectations share one series pass (each term's
 * coefficient computed once for all periods), so 12 monthly periods cost a few
 * single expectations, not twelve. Periods whose series would be long (z close
 * to 1: long horizons, young customers with few purchases) each take the 1−z
 * route instead, which costs more per period: for a 10-year horizon prefer
 * quarterly or yearly periods (`npm run bench:models` measures both).
 */
import type { BgNbdParams } from './bgnbd.js';
import { probabilityAlive } from './bgnbd.js';
import { expectedPurchasesIfAliveCurve } from './bgnbd-expectation-curve.js';
import { mbgnbdProbabilityAlive } from './mbgnbd.js';
import { pnbdConditionalExpectedPurchasesAt } from './pnbd.js';
import type { PurchaseModel } from './purchase-model.js';
import type { GammaGammaParams } from './gamma-gamma.js';
import { conditionalExpectedSpend } from './gamma-gamma.js';

export interface DiscountScheduleOptions {
  readonly horizonDays: number;
  /** Length of one discounting period, e.g. 30. The last period is cut at the horizon. */
  readonly periodDays: number;
  /** e.g. 0.1 for 10 % a year. */
  readonly annualDiscountRate: number;
}

export interface DiscountSchedule extends DiscountScheduleOptions {
  /** End of each period, days after T. */
  readonly periodEnds: Float64Array;
  /** (1 + d)^(−end/365) for each period. */
  readonly discountFactors: Float64Array;
}

const DAYS_PER_YEAR = 365;

export function discountSchedule(options: DiscountScheduleOptions): DiscountSchedule {
  const { horizonDays, periodDays, annualDiscountRate } = options;
  if (!(Number.isFinite(horizonDays) && horizonDays > 0)) throw new RangeError(`horizonDays must be > 0, got ${horizonDays}`);
  if (!(Number.isFinite(periodDays) && periodDays > 0)) throw new RangeError(`periodDays must be > 0, got ${periodDays}`);
  if (!(Number.isFinite(annualDiscountRate) && annualDiscountRate > -1)) {
    throw new RangeError(`annualDiscountRate must be > −1, got ${annualDiscountRate}`);
  }
  // A horizon a hair above a whole number of periods (float noise) adds no period.
  const periods = Math.max(1, Math.ceil(horizonDays / periodDays - 1e-9));
  const periodEnds = new Float64Array(periods);
  const discountFactors = new Float64Array(periods);
  const logGrowth = Math.log1p(annualDiscountRate);
  for (let k = 0; k < periods; k++) {
    const end = k === periods - 1 ? horizonDays : (k + 1) * periodDays;
    periodEnds[k] = end;
    discountFactors[k] = Math.exp((-end / DAYS_PER_YEAR) * logGrowth);
  }
  return { horizonDays, periodDays, annualDiscountRate, periodEnds, discountFactors };
}

/**
 * Σₖ (E[Y(tₖ)] − E[Y(tₖ₋₁)])·discountₖ for one customer (times in days) under
 * any purchase model (purchase-model.ts).
 */
export function modelDiscountedExpectedPurchases(m: PurchaseModel, x: number, tx: number, T: number, schedule: DiscountSchedule): number {
  if (m.kind !== 'pnbd') return discountedExpectedPurchases(m.params, x, tx, T, schedule, m.kind);
  const periods = schedule.periodEnds.length;
  if (cumulative.length < periods) cumulative = new Float64Array(Math.max(periods, 2 * cumulative.length));
  pnbdConditionalExpectedPurchasesAt(m.params, x, tx, T, schedule.periodEnds, cumulative);
  let previous = 0;
  let total = 0;
  for (let k = 0; k < periods; k++) {
    total += (cumulative[k]! - previous) * schedule.discountFactors[k]!;
    previous = cumulative[k]!;
  }
  return total;
}

/**
 * Σₖ (E[Y(tₖ)] − E[Y(tₖ₋₁)])·discountₖ for one customer (times in days) of the
 * BG/NBD or the modified BG/NBD (mbgnbd.ts), whose expectations are the
 * BG/NBD's with b + 1 in place of b and whose P(alive) applies to one-time buyers too.
 */
export function discountedExpectedPurchases(
  params: BgNbdParams,
  x: number,
  tx: number,
  T: number,
  schedule: DiscountSchedule,
  kind: 'bgnbd' | 'mbgnbd' = 'bgnbd',
): number {
  const modified = kind === 'mbgnbd';
  const pAlive = modified ? mbgnbdProbabilityAlive(params, x, tx, T) : probabilityAlive(params, x, tx, T);
  if (pAlive === 0) return 0;
  const periods = schedule.periodEnds.length;
  if (cumulative.length < periods) cumulative = new Float64Array(Math.max(periods, 2 * cumulative.length));
  expectedPurchasesIfAliveCurve(params.r, params.a, modified ? params.b + 1 : params.b, x, params.alpha + T, schedule.periodEnds, cumulative);
  let previous = 0;
  let total = 0;
  for (let k = 0; k < periods; k++) {
    total += (cumulative[k]! - previous) * schedule.discountFactors[k]!;
    previous = cumulative[k]!;
  }
  return pAlive * total;
}

/** Scratch for the cumulative expectations at the period ends (grown once, reused). */
let cumulative = new Float64Array(16);

export interface ClvCustomer {
  readonly x: number;
  /** Days from the first to the last purchase. */
  readonly tx: number;
  /** Days from the first purchase to now. */
  readonly T: number;
  /** Mean value of the repeat purchases (ignored when x = 0). */
  readonly zbar: number;
}

/** Predicted CLV over the schedule's horizon, in the money unit of zbar and v. */
export function predictedClv(
  bgnbd: BgNbdParams,
  gammaGamma: GammaGammaParams,
  customer: ClvCustomer,
  margin: number,
  schedule: DiscountSchedule,
): number {
  const purchases = discountedExpectedPurchases(bgnbd, customer.x, customer.tx, customer.T, schedule);
  if (purchases === 0) return 0;
  return margin * conditionalExpectedSpend(gammaGamma, customer.x, customer.zbar) * purchases;
}
