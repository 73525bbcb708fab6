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
 * What a state knows. Its day bitmap holds the purchase days of the
 * `dayBits.length × 32` days up to its latest purchase (384 by default); it
 * also keeps its first and latest purchase days, and everything after the
 * latest purchase is known to be empty. And it counts its distinct purchase
 * days: those the bitmap and the first day do not account for ("hidden") lie
 * strictly between the first day and the bitmap's oldest day. So when nothing
 * is hidden — one-time buyers, and everyone whose purchases all fall within a
 * year or so of the latest — every day is known; a hidden day answers "bought"
 * for a period that holds its whole possible span, and "cannot tell" for a
 * period that holds part of it.
 *
 * Periods. Every day of the last 384 days before d is known for every customer,
 * so by default the periods that fit in that window are reported (L = 30 → 12
 * periods, 11 rates), and at least one rate however long the period (L = 365:
 * the latest year against the year before, which the counts above mostly
 * answer). A customer whose activity in a period cannot be told is counted as
 * `unknown` and left out of that rate.
 */
import type { CustomerState } from '../state.js';

function bit(bits: readonly number[], i: number): boolean {
  return (((bits[i >>> 5] ?? 0) >>> (i & 31)) & 1) === 1;
}

function popcount(word: number): number {
  let v = word >>> 0;
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Whether the customer bought on a day in [from, to]: true, false, or null when the state cannot tell. */
export function purchasedIn(s: CustomerState, from: number, to: number): boolean | null {
  const first = s.firstDay;
  const last = s.lastDay;
  if (first === null || last === null || to < first || from > last) return false;
  if (from <= first || to >= last) return true; // first ≤ to and last ≥ from here, so one of them is inside
  // from > first and to < last: the bitmap knows the days of its window.
  const window = s.dayBits.length * 32;
  const oldestInWindow = last - window + 1;
  for (let day = Math.max(from, oldestInWindow); day <= to; day++) {
    if (bit(s.dayBits, last - day)) return true;
  }
  if (from >= oldestInWindow) return false;
  // Days before the window: the purchase days neither the bitmap nor the first day account for lie in (first, oldestInWindow).
  let inWindow = 0;
  for (const word of s.dayBits) inWindow += popcount(word);
  const hidden = s.purchaseDays - inWindow - (first < oldestInWindow ? 1 : 0);
  if (hidden <= 0) return false;
  const spanFrom = first + 1;
  const spanTo = oldestInWindow - 1;
  if (from <= spanFrom && to >= spanTo) return true;
  return to < spanFrom || from > spanTo ? false : null;
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
  /** Oldest first. */
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
    /** Rates to report, newest back; default: the periods the window holds, at least one. */
    periods?: number,
  ) {
    if (!(Number.isInteger(periodDays) && periodDays >= 1)) throw new RangeError(`period must be a whole number of days ≥ 1, got ${periodDays}`);
    if (periods !== undefined && !(Number.isInteger(periods) && periods >= 1)) throw new RangeError(`periods must be a whole number ≥ 1, got ${periods}`);
    this.count = periods ?? Math.max(1, Math.floor(windowDays / periodDays) - 1);
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

/**
 * The retention of the latest year (365-day periods ending at `day`): the
 * share of the customers active in the year before who bought again in it;
 * null when nobody was active the year before.
 */
export function latestYearRetention(states: Iterable<CustomerState>, day: number, windowDays: number): number | null {
  const counter = new RetentionCounter(day, 365, windowDays, 1);
  for (const s of states) counter.add(s);
  return counter.report().periods[0]?.rate ?? null;
}
