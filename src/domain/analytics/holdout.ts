/**
 * Calibration/holdout validation of a fitted BG/NBD (the check of Fader, Hardie
 * & Lee 2005): customers acquired by the end of the calibration period, their
 * calibration summary (x, t_x, T), and the repeat purchases they actually made
 * in the holdout period that follows, against the model's conditional
 * expectation E[Y(t) | x, t_x, T] for the holdout length t.
 *
 * Times in one unit (the commands use days). A holdout purchase is a purchase
 * *day* in (end of calibration, end of holdout], the same counting as x.
 */
import { modelConditionalExpectedPurchases, modelConditionalExpectedPurchasesAt, type PurchaseModel } from '../models/index.js';

export interface HoldoutCustomer {
  readonly x: number;
  readonly tx: number;
  readonly T: number;
  /** Holdout purchase days as offsets after the end of calibration (1 … horizon), any order. */
  readonly holdoutDays: readonly number[];
}

export interface HoldoutGroup {
  /** Calibration repeat purchases: "0", "1", …, or "7+" for the open top group. */
  readonly label: string;
  readonly customers: number;
  /** Holdout repeat purchases, summed over the group. */
  readonly actual: number;
  readonly predicted: number;
}

export interface HoldoutTable {
  readonly horizon: number;
  readonly groups: readonly HoldoutGroup[];
  readonly total: HoldoutGroup;
}

/** Groups 0, 1, …, topGroup − 1 and "topGroup+" (default 7+, as in the literature). */
export function calibrationHoldoutTable(customers: readonly HoldoutCustomer[], model: PurchaseModel, horizon: number, topGroup = 7): HoldoutTable {
  const groups = Array.from({ length: topGroup + 1 }, (_, i) => ({
    label: i === topGroup ? `${topGroup}+` : String(i),
    customers: 0,
    actual: 0,
    predicted: 0,
  }));
  const total = { label: 'total', customers: 0, actual: 0, predicted: 0 };
  for (const c of customers) {
    const group = groups[Math.min(c.x, topGroup)]!;
    const actual = c.holdoutDays.filter((d) => d > 0 && d <= horizon).length;
    const predicted = modelConditionalExpectedPurchases(model, c.x, c.tx, c.T, horizon);
    for (const g of [group, total]) {
      g.customers++;
      g.actual += actual;
      g.predicted += predicted;
    }
  }
  return { horizon, groups, total };
}

export interface TrackingPoint {
  /** Offset after the end of calibration. */
  readonly t: number;
  readonly actual: number;
  readonly predicted: number;
}

/** Cumulative holdout repeat purchases of the cohort at each of `points` (ascending offsets). */
export function cumulativeTracking(customers: readonly HoldoutCustomer[], model: PurchaseModel, points: readonly number[]): TrackingPoint[] {
  const actual = new Float64Array(points.length);
  const predicted = new Float64Array(points.length);
  const out = new Float64Array(points.length);
  // Identical summaries predict the same: one curve per distinct (x, t_x, T).
  const weights = new Map<string, { c: HoldoutCustomer; n: number }>();
  for (const c of customers) {
    const key = `${c.x}/${c.tx}/${c.T}`;
    const entry = weights.get(key);
    if (entry) entry.n++;
    else weights.set(key, { c, n: 1 });
    for (const d of c.holdoutDays) {
      // Counted at the first point at or after it; summed into cumulative counts below.
      const i = d > 0 ? points.findIndex((p) => d <= p) : -1;
      if (i >= 0) actual[i] = actual[i]! + 1;
    }
  }
  for (let i = 1; i < points.length; i++) actual[i] = actual[i]! + actual[i - 1]!;
  for (const { c, n } of weights.values()) {
    modelConditionalExpectedPurchasesAt(model, c.x, c.tx, c.T, points, out);
    for (let i = 0; i < points.length; i++) predicted[i] = predicted[i]! + n * out[i]!;
  }
  return points.map((t, i) => ({ t, actual: actual[i]!, predicted: predicted[i]! }));
}

/** 7, 14, … up to the horizon, plus the horizon itself when it is not a whole number of weeks. */
export function weeklyPoints(horizonDays: number): number[] {
  const points: number[] = [];
  for (let d = 7; d < horizonDays; d += 7) points.push(d);
  if (horizonDays > 0) points.push(horizonDays);
  return points;
}

/**
 * How far a model's holdout predictions are from what the cohort bought: the
 * totals, their relative error, and per customer the mean absolute error (the
 * figure to compare models by: it does not let one customer's excess hide
 * another's shortfall) and the root mean squared error (which weighs the big
 * misses, the heavy buyers, more).
 */
export interface HoldoutError {
  readonly customers: number;
  readonly actual: number;
  readonly predicted: number;
  /** (predicted − actual) / actual; null when nothing was bought. */
  readonly relativeError: number | null;
  readonly meanAbsoluteError: number;
  readonly rootMeanSquaredError: number;
}

export function holdoutError(customers: readonly HoldoutCustomer[], model: PurchaseModel, horizon: number): HoldoutError {
  let actual = 0;
  let predicted = 0;
  let absolute = 0;
  let squared = 0;
  for (const c of customers) {
    const a = c.holdoutDays.filter((d) => d > 0 && d <= horizon).length;
    const p = modelConditionalExpectedPurchases(model, c.x, c.tx, c.T, horizon);
    actual += a;
    predicted += p;
    absolute += Math.abs(p - a);
    squared += (p - a) * (p - a);
  }
  const n = customers.length;
  return {
    customers: n,
    actual,
    predicted,
    relativeError: actual === 0 ? null : (predicted - actual) / actual,
    meanAbsoluteError: n === 0 ? 0 : absolute / n,
    rootMeanSquaredError: n === 0 ? 0 : Math.sqrt(squared / n),
  };
}

/**
 * The purchase model with the smallest mean absolute holdout error per
 * customer (ties: the order given, BG/NBD first); null when none has an error.
 */
export function bestByHoldout<K extends string>(errors: Partial<Record<K, HoldoutError>>, order: readonly K[]): K | null {
  let best: K | null = null;
  for (const kind of order) {
    const e = errors[kind];
    if (e === undefined) continue;
    if (best === null || e.meanAbsoluteError < errors[best]!.meanAbsoluteError) best = kind;
  }
  return best;
}
