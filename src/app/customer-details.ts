/**
 * What the customer view leaves out, for the console's customer page: the
 * history the state keeps (distinct purchase days within the purchase-day
 * window, the latest orders and returns, the NPS answer, the cancellation) and
 * what the model predicts (expected purchases over the next 30, 90 and 365 days
 * with P(alive)). The state keeps no segment or churn-level history — only the
 * current values, which the view shows — so neither does this.
 */
import { formatMinorUnits } from '../contracts/minor-units.js';
import type { DomainParameters } from '../domain/parameters.js';
import { purchaseModelOf, type ModelSnapshot } from '../domain/model-snapshot.js';
import { modelConditionalExpectedPurchases } from '../domain/models/index.js';
import { dayToDate } from '../domain/time.js';
import type { CustomerLookup } from './customer-lookup.js';

/** Prediction horizons in days. */
export const PREDICTION_HORIZONS = [30, 90, 365] as const;

const round = (v: number): number => Math.round(v * 1e4) / 1e4;

/** Distinct purchase days the bitmap holds (bit i ⇔ a purchase on lastDay − i), oldest first. */
function purchaseDays(lastDay: number | null, bits: readonly number[]): number[] {
  if (lastDay === null) return [];
  const days: number[] = [];
  for (let i = bits.length * 32 - 1; i >= 0; i--) {
    if ((((bits[i >>> 5] ?? 0) >>> (i & 31)) & 1) === 1) days.push(lastDay - i);
  }
  return days;
}

export function customerDetails(found: CustomerLookup, model: ModelSnapshot, parameters: DomainParameters) {
  const { state: s, profile: p } = found;
  const money = (minor: number) => formatMinorUnits(minor, parameters.baseCurrency);
  const summary = p.summary;
  // The model in use, whichever it is (the BG/NBD's formulas would misstate a modified BG/NBD or a Pareto/NBD).
  const purchase = purchaseModelOf(model);
  const window = s.dayBits.length * 32;
  const days = purchaseDays(s.lastDay, s.dayBits);
  // The first purchase day is always known, even when it left the bitmap's window.
  if (s.firstDay !== null && !days.includes(s.firstDay)) days.unshift(s.firstDay);
  return {
    customer_id: s.customerId,
    as_of: dayToDate(found.day),
    partition: found.partition,
    purchase_days: days.map(dayToDate),
    purchase_day_window_days: window,
    recent_orders: s.recentOrders.map((o) => ({ date: dayToDate(o.day), amount: money(o.amountMinor), margin: money(o.marginMinor) })),
    recent_return_days: s.recentReturnDays.map(dayToDate),
    nps_answered_on: s.npsDay === null ? null : dayToDate(s.npsDay),
    cancelled_at: s.cancelledAt === null ? null : new Date(s.cancelledAt).toISOString(),
    predictions: {
      model_version: model.version,
      p_alive: p.pAlive,
      expected_purchases:
        purchase === null || summary === null
          ? []
          : PREDICTION_HORIZONS.map((days) => ({ days, expected: round(modelConditionalExpectedPurchases(purchase, summary.x, summary.tx, summary.T, days)) })),
    },
  };
}

export type CustomerDetails = ReturnType<typeof customerDetails>;
