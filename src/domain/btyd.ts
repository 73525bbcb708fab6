/**
 * The buy-till-you-die summary of a customer as of a day, in the CDNOW convention:
 * x = repeat purchase days, t_x = days from the first to the last purchase day,
 * T = days from the first purchase day to the evaluation day, zbar = mean amount
 * of the repeat purchase days (the first day's purchases excluded; 0 when x = 0).
 */
import type { CustomerState } from './state.js';

export interface BtydSummary {
  readonly x: number;
  readonly tx: number;
  readonly T: number;
  /** Base-currency minor units. */
  readonly zbar: number;
}

export function btydSummary(s: CustomerState, day: number): BtydSummary | null {
  if (s.firstDay === null || s.lastDay === null) return null;
  const x = Math.max(0, s.purchaseDays - 1);
  return {
    x,
    tx: s.lastDay - s.firstDay,
    T: Math.max(0, day - s.firstDay),
    zbar: x > 0 ? (s.grossMinor - s.firstDayAmountMinor) / x : 0,
  };
}
