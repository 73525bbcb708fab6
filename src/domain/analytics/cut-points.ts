/**
 * RFM cut points of a population: the 20th, 40th, 60th and 80th percentiles of
 * recency (days since the last purchase), frequency (orders) and monetary value
 * (net revenue, minor units) over the customers who have bought.
 *
 * Percentiles by the nearest-rank method: cut k (k = 1..4) is the smallest value
 * v such that at least k/5 of the customers have a value ≤ v, i.e. the
 * ⌈k·n/5⌉-th smallest value. Cut points are therefore values that occur in the
 * population (integers for integer measures), and `rfm.ts` gives a value equal
 * to a cut the lower score. With many ties (most customers have one order) cuts
 * repeat, e.g. frequency [1, 1, 1, 2]: the scores then skip the tied ranks.
 */
import type { CutPoints } from '../parameters.js';

/** The four nearest-rank quintile bounds of `values`; sorts `values` in place. Empty input → null. */
export function quintileBounds(values: Float64Array): number[] | null {
  const n = values.length;
  if (n === 0) return null;
  values.sort();
  // k·n is an integer, so k·n / 5 is exact when it is whole: no float noise in the rank.
  return [1, 2, 3, 4].map((k) => values[Math.max(0, Math.ceil((k * n) / 5) - 1)]!);
}

/** Collects R, F, M of the buyers, then gives the population's cut points. */
export class RfmCollector {
  private recency: number[] = [];
  private frequency: number[] = [];
  private monetary: number[] = [];

  get buyers(): number {
    return this.recency.length;
  }

  push(recencyDays: number, orders: number, netRevenueMinor: number): void {
    this.recency.push(recencyDays);
    this.frequency.push(orders);
    this.monetary.push(netRevenueMinor);
  }

  /** Null before the first buyer. */
  cutPoints(): CutPoints | null {
    const recency = quintileBounds(Float64Array.from(this.recency));
    const frequency = quintileBounds(Float64Array.from(this.frequency));
    const monetary = quintileBounds(Float64Array.from(this.monetary));
    if (recency === null || frequency === null || monetary === null) return null;
    return { recency, frequency, monetary };
  }
}
