/**
 * The lost-customer list: who left, when, why and what it cost — one row per
 * customer, where the population report's loss analysis (population-report.ts)
 * counts groups. A customer has left when
 *
 * - the account is cancelled (a cancellation and no purchase since: churn level
 *   `churned`): left on the UTC date of the cancellation, with its reason and
 *   the competitor named; or
 * - the churn level is `lost` (or, with `minLevel`, at least that level: any of
 *   `at_risk`, `highly_at_risk`, `lost`): left on the last purchase day, the
 *   last sign of life, with the reasons that raised the level.
 *
 * Value lost = the predicted CLV (docs/domain.md, over the configured horizon)
 * the customer had on the day they left, as if they had stayed, less their
 * predicted CLV now (0 for a cancelled account). With a fitted model the first
 * takes P(alive) on that day into account, so a customer already fading when
 * they left loses less. Negative for a customer who cost more than they
 * brought. Minor units of the base currency.
 */
import { CHURN_LEVELS, type ChurnLevel, type ChurnReason } from '../../contracts/segments.js';
import type { CancellationReason } from '../../contracts/inbound.js';
import { isCancelled } from '../account.js';
import { btydSummary } from '../btyd.js';
import { simplePredictedClvMinor } from '../clv.js';
import type { DomainParameters } from '../parameters.js';
import type { ModelSnapshot } from '../model-snapshot.js';
import { evaluate, predictedClvMinor } from '../profile.js';
import { modelPredictedClvMinor } from '../model-prediction.js';
import type { CustomerState } from '../state.js';
import { DAY_MS } from '../time.js';

/** The churn levels a customer who has not cancelled may be listed from. */
export const LOST_MIN_LEVELS = ['at_risk', 'highly_at_risk', 'lost'] as const satisfies readonly ChurnLevel[];
export type LostMinLevel = (typeof LOST_MIN_LEVELS)[number];

export const LOST_SORT_KEYS = ['value_lost', 'left_on', 'clv_historic'] as const;
export type LostSortKey = (typeof LOST_SORT_KEYS)[number];

export interface LostCustomer {
  readonly customerId: string;
  /** `cancelled`: the account was cancelled; `churned`: the churn level says they went quiet. */
  readonly how: 'cancelled' | 'churned';
  readonly leftDay: number;
  readonly lastPurchaseDay: number | null;
  readonly churnLevel: ChurnLevel;
  readonly churnReasons: readonly ChurnReason[];
  readonly cancellationReason: CancellationReason | null;
  readonly competitor: string | null;
  readonly historicClvMinor: number;
  readonly predictedClvAtLeavingMinor: number;
  readonly valueLostMinor: number;
}

export interface LostListOptions {
  /** Lowest churn level listed for customers who have not cancelled; default `lost`. */
  readonly minLevel?: LostMinLevel;
}

export interface LostCollectOptions extends LostListOptions {
  /** Default `value_lost`. */
  readonly sort?: LostSortKey;
  /** Keep only the first `limit` rows of the sort (memory stays O(limit)); default: all. */
  readonly limit?: number;
}

/** Predicted CLV as of `day` as if the customer were still a customer (the cancellation ignored). */
function predictedIfStayed(s: CustomerState, day: number, model: ModelSnapshot, parameters: DomainParameters): number {
  const summary = btydSummary(s, day);
  if (summary === null) return 0;
  return modelPredictedClvMinor(s, summary, model, parameters) ?? simplePredictedClvMinor(s, summary, parameters);
}

/** The customer's row as of `day`, or null when they have not left. */
export function lostCustomer(
  s: CustomerState,
  day: number,
  model: ModelSnapshot,
  parameters: DomainParameters,
  options: LostListOptions = {},
): LostCustomer | null {
  if (s.lastDay === null) return null; // a prospect never was a customer
  const evaluatedAt = Math.max(day, s.asOfDay);
  const p = evaluate(s, evaluatedAt, model, parameters);
  const cancelled = isCancelled(s);
  const minIndex = CHURN_LEVELS.indexOf(options.minLevel ?? 'lost');
  if (!cancelled && CHURN_LEVELS.indexOf(p.churn.level) < minIndex) return null;
  // A cancellation's day is its UTC date: the state keeps its instant, not the sender's offset.
  const leftDay = cancelled ? Math.max(s.lastDay, Math.floor(s.cancelledAt! / DAY_MS)) : s.lastDay;
  const atLeaving = predictedIfStayed(s, Math.min(leftDay, evaluatedAt), model, parameters);
  return {
    customerId: s.customerId,
    how: cancelled ? 'cancelled' : 'churned',
    leftDay,
    lastPurchaseDay: s.lastDay,
    churnLevel: p.churn.level,
    churnReasons: p.churn.reasons,
    cancellationReason: cancelled ? s.cancelReason : null,
    competitor: cancelled ? s.competitor : null,
    historicClvMinor: p.historicClvMinor,
    predictedClvAtLeavingMinor: atLeaving,
    valueLostMinor: atLeaving - predictedClvMinor(s, p, model, parameters),
  };
}

const comparators: Record<LostSortKey, (a: LostCustomer, b: LostCustomer) => number> = {
  value_lost: (a, b) => b.valueLostMinor - a.valueLostMinor,
  left_on: (a, b) => b.leftDay - a.leftDay,
  clv_historic: (a, b) => b.historicClvMinor - a.historicClvMinor,
};

/** Sorted descending by `key`, ties by customer id, so the order never depends on the input's. */
export function sortLost(rows: LostCustomer[], key: LostSortKey = 'value_lost'): LostCustomer[] {
  const compare = comparators[key];
  return rows.sort((a, b) => compare(a, b) || (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
}

/**
 * Collects the rows of customers added page by page (states read from Redis,
 * or a replay's). With a limit it sorts and cuts whenever twice the limit has
 * gathered, so a million lost customers never sit in memory for a top 100.
 */
export class LostCustomerList {
  private rows: LostCustomer[] = [];
  private lost = 0;

  constructor(
    readonly day: number,
    private readonly model: ModelSnapshot,
    private readonly parameters: DomainParameters,
    private readonly options: LostCollectOptions = {},
  ) {
    const limit = options.limit;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  add(s: CustomerState): void {
    const row = lostCustomer(s, this.day, this.model, this.parameters, this.options);
    if (row === null) return;
    this.lost++;
    this.rows.push(row);
    const limit = this.options.limit;
    if (limit !== undefined && this.rows.length >= 2 * limit) this.rows = sortLost(this.rows, this.options.sort).slice(0, limit);
  }

  /** Every customer who has left, whether or not the limit lists them. */
  get total(): number {
    return this.lost;
  }

  list(): LostCustomer[] {
    const sorted = sortLost([...this.rows], this.options.sort);
    return this.options.limit === undefined ? sorted : sorted.slice(0, this.options.limit);
  }
}

export function lostCustomers(
  states: Iterable<CustomerState>,
  day: number,
  model: ModelSnapshot,
  parameters: DomainParameters,
  options: LostCollectOptions = {},
): LostCustomer[] {
  const list = new LostCustomerList(day, model, parameters, options);
  for (const s of states) list.add(s);
  return list.list();
}
