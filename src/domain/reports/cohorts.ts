/**
 * The cohort table: customers grouped by the period of their first purchase,
 * and for each later period the share of the cohort active in it (bought on
 * at least one of its days). Periods of L days end at the report day d, as in
 * retention.ts: period 0 is [d − L + 1, d], period 1 the L days before, …; the
 * table holds the cohorts of the latest `periods` periods, oldest first, each
 * followed by its later periods up to period 0.
 *
 * Activity is `purchasedIn` of retention.ts, with its limits: a customer whose
 * activity in a period the state cannot tell is counted as `unknown` there and
 * left out of that share (share = active / (customers − unknown)).
 */
import type { CustomerState } from '../state.js';
import { purchasedIn } from './retention.js';

export interface CohortCell {
  readonly startDay: number;
  readonly endDay: number;
  readonly active: number;
  readonly unknown: number;
  /** active / (cohort customers − unknown); null when nobody's activity is known. */
  readonly share: number | null;
}

export interface Cohort {
  /** The period of the first purchase (inclusive days). */
  readonly startDay: number;
  readonly endDay: number;
  readonly customers: number;
  /** The later periods, oldest first, up to the one ending on the report day. */
  readonly later: readonly CohortCell[];
}

export interface CohortReport {
  readonly periodDays: number;
  /** Oldest cohort first. */
  readonly cohorts: readonly Cohort[];
  /** Customers whose first purchase is older than the oldest cohort (not in the table). */
  readonly earlier: number;
}

export class CohortCounter {
  private readonly customers: Int32Array;
  /** active[c][k], unknown[c][k]: cohort c (periods back), later period k < c. */
  private readonly active: Int32Array[];
  private readonly unknown: Int32Array[];
  private earlier = 0;

  constructor(
    private readonly day: number,
    private readonly periodDays: number,
    private readonly periods: number,
  ) {
    if (!(Number.isInteger(periodDays) && periodDays >= 1)) throw new RangeError(`period must be a whole number of days ≥ 1, got ${periodDays}`);
    if (!(Number.isInteger(periods) && periods >= 1)) throw new RangeError(`periods must be a whole number ≥ 1, got ${periods}`);
    this.customers = new Int32Array(periods);
    this.active = Array.from({ length: periods }, (_, c) => new Int32Array(c));
    this.unknown = Array.from({ length: periods }, (_, c) => new Int32Array(c));
  }

  private bounds(k: number): [number, number] {
    const end = this.day - k * this.periodDays;
    return [end - this.periodDays + 1, end];
  }

  add(s: CustomerState): void {
    if (s.firstDay === null || s.firstDay > this.day) return;
    const c = Math.floor((this.day - s.firstDay) / this.periodDays);
    if (c >= this.periods) {
      this.earlier++;
      return;
    }
    this.customers[c]!++;
    for (let k = 0; k < c; k++) {
      const bought = purchasedIn(s, ...this.bounds(k));
      if (bought === null) this.unknown[c]![k]!++;
      else if (bought) this.active[c]![k]!++;
    }
  }

  report(): CohortReport {
    const cohorts: Cohort[] = [];
    for (let c = this.periods - 1; c >= 0; c--) {
      const [startDay, endDay] = this.bounds(c);
      const customers = this.customers[c]!;
      const later: CohortCell[] = [];
      for (let k = c - 1; k >= 0; k--) {
        const [from, to] = this.bounds(k);
        const active = this.active[c]![k]!;
        const unknown = this.unknown[c]![k]!;
        const known = customers - unknown;
        later.push({ startDay: from, endDay: to, active, unknown, share: known === 0 ? null : active / known });
      }
      cohorts.push({ startDay, endDay, customers, later });
    }
    return { periodDays: this.periodDays, cohorts, earlier: this.earlier };
  }
}
