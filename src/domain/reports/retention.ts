/**
 * Period-over-period retention from the purchase-day memory of each state.
 *
 * Definition. Periods of L days end at the report day d: period 0 is
 * [d − L + 1, d], period 1 the L days before it, and so on. A customer is
 * *active in a period* when they bought on at least one day of it (purchase
 * days only: returns, feedback and cancellations do not count). The retention
 * of period k is the share of customers active in period k + 1 (the period
 * before it: "active at its start") who are active in period k again ("still
 * active at its end"). Customers acquired during period k are not in its base.
 *
 * Limits. A state knows its purchase days exactly only within its day bitmap:
 * the `dayBits.length × 32` days up to its latest purchase (384 by default),
 * plus its first and latest purchase days; everything after the latest
 * purchase is known to be empty. So every day of the last 384 days before d is
 * known for every customer, and only the periods that fit entirely in that
 * window are reported (L = 30 → 12 periods, 11 rates). A customer whose
 * activity in a period cannot be known (possible only with a smaller bitmap)
 * is counted as `unknown` and left out of that rate.
 */
import type { CustomerState } from '../state.js';

function bit(bits: readonly number[], i: number): boolean {
  return (((bits[i >>> 5] ?? 0) >>> (i & 31)) & 1) === 1;
}

/** Whether the customer bought on a day in [from, to]: true, false, or null when the state cannot tell. */
export function purchasedIn(s: CustomerState, from: number, to: number): boolean | null {
  const first = s.firstDay;
  const last = s.lastDay;
  if (first === null || last === null || to < first || from > last) return false;
  if (from <= first || to >= last) return true; // first ≤ to and last ≥ from here, so one of them is inside
  // from > first and to < last: only the bitmap knows.
  const window = s.dayBits.length * 32;
  let unknown = false;
  for (let day = from; day <= to; day++) {
    const age = last - day;
    if (age >= window) unknown = true;
    else if (bit(s.dayBits, age)) return true;
  }
  return unknown ? null : false;
}

export interface RetentionPeriod {
  /** First and last day (inclusive) of the period. */
  readonly startDay: number;
  readonly endDay: number;
  /** Customers active in the previous period. */
  readonly activeAtStart: number;
  /** Of those, active in this period too. */
  readonly retained: number;
  /** retained / activeAtStart; null when nobody was active at the start. */
  readonly rate: number | null;
  /** Customers whose activity in either period the state cannot tell (left out). */
  readonly unknown: number;
}

export interface RetentionReport {
  readonly periodDays: number;
  /** Days before the report day in which every state knows its purchase days. */
  readonly windowDays: number;
  /** Oldest first; empty when the window holds fewer than two periods. */
  readonly periods: readonly RetentionPeriod[];
}

export class RetentionCounter {
  private readonly count: number;
  private readonly activeAtStart: Int32Array;
  private readonly retained: Int32Array;
  private readonly unknown: Int32Array;

  constructor(
    private readonly day: number,
    private readonly periodDays: number,
    private readonly windowDays: number,
  ) {
    if (!(Number.isInteger(periodDays) && periodDays >= 1)) throw new RangeError(`period must be a whole number of days ≥ 1, got ${periodDays}`);
    this.count = Math.max(0, Math.floor(windowDays / periodDays) - 1);
    this.activeAtStart = new Int32Array(this.count);
    this.retained = new Int32Array(this.count);
    this.unknown = new Int32Array(this.count);
  }

  private bounds(k: number): [number, number] {
    const end = this.day - k * this.periodDays;
    return [end - this.periodDays + 1, end];
  }

  add(s: CustomerState): void {
    if (s.firstDay === null || this.count === 0) return;
    // activity[k] for periods 0..count (period count is only ever a base).
    let later = purchasedIn(s, ...this.bounds(0));
    for (let k = 0; k < this.count; k++) {
      const before = purchasedIn(s, ...this.bounds(k + 1));
      if (before === null || (before && later === null)) this.unknown[k]!++;
      else if (before) {
        this.activeAtStart[k]!++;
        if (later) this.retained[k]!++;
      }
      later = before;
    }
  }

  report(): RetentionReport {
    const periods: RetentionPeriod[] = [];
    for (let k = this.count - 1; k >= 0; k--) {
      const [startDay, endDay] = this.bounds(k);
      const activeAtStart = this.activeAtStart[k]!;
      const retained = this.retained[k]!;
      periods.push({ startDay, endDay, activeAtStart, retained, rate: activeAtStart === 0 ? null : retained / activeAtStart, unknown: this.unknown[k]! });
    }
    return { periodDays: this.periodDays, windowDays: this.windowDays, periods };
  }
}
