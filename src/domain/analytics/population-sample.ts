/**
 * What a fit takes from each stored customer state, as of a day: the BTYD
 * summary (days, minor units; `btyd.ts`) for the models and R, F, M for the cut
 * points. A state only holds its customer's accumulated totals, so it can be
 * read "as of" a day only when nothing in it is later than that day:
 *
 * - no purchase yet (a prospect: feedback or a referral only) → not a customer yet;
 * - first purchase after the day → acquired later, not in the population;
 * - last purchase after the day → the totals include later purchases, which
 *   cannot be taken out (zbar needs amounts the state no longer has), so the
 *   customer is left out and counted.
 *
 * So `fit --state --as-of` is meant for "now" (or the stream's watermark); to fit
 * as of an earlier day, replay the events up to it (`backtest`).
 */
import { btydSummary } from '../btyd.js';
import type { CustomerState } from '../state.js';
import { RfmCollector } from './cut-points.js';
import { SummaryBuffer } from './population-fit.js';

export type Exclusion = 'no_purchase' | 'first_purchase_after_as_of' | 'purchases_after_as_of';

export class PopulationSample {
  readonly summaries = new SummaryBuffer();
  readonly rfm = new RfmCollector();
  readonly excluded: Record<Exclusion, number> = {
    no_purchase: 0,
    first_purchase_after_as_of: 0,
    purchases_after_as_of: 0,
  };

  constructor(readonly day: number) {}

  /** Adds one customer, or counts why it is left out; returns the reason or null. */
  add(s: CustomerState): Exclusion | null {
    const reason = exclusionOf(s, this.day);
    if (reason !== null) {
      this.excluded[reason]++;
      return reason;
    }
    const summary = btydSummary(s, this.day);
    if (summary === null || s.lastDay === null) throw new Error('unreachable: a buyer without a summary');
    this.summaries.push(summary.x, summary.tx, summary.T, summary.zbar);
    this.rfm.push(this.day - s.lastDay, s.orders, s.grossMinor - s.refundMinor);
    return null;
  }
}

export function exclusionOf(s: CustomerState, day: number): Exclusion | null {
  if (s.firstDay === null || s.lastDay === null) return 'no_purchase';
  if (s.firstDay > day) return 'first_purchase_after_as_of';
  if (s.lastDay > day) return 'purchases_after_as_of';
  return null;
}
