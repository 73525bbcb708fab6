/**
 * `GET /lost-customers`: the lost-customer list (domain/reports/lost-customers.ts)
 * over every customer state in Redis, as JSON or CSV. Like the reports it
 * reads every state (SCAN) and evaluates it: O(customers); results are cached
 * per query for 5 minutes by default and concurrent requests share one
 * computation. A limit keeps memory O(limit) however many have left.
 */
import { lostListJson, type LostListJson } from '../lost-customers.js';
import { LostCustomerList, type LostMinLevel, type LostSortKey } from '../../domain/reports/lost-customers.js';
import { scanCustomerStates } from '../../state/state-scan.js';
import { Cached } from './cached.js';
import { dateParam, defaultReportDay, type StateReportsOptions } from './report-provider.js';

export interface LostCustomersQuery {
  readonly as_of?: string;
  readonly sort?: LostSortKey;
  readonly min_level?: LostMinLevel;
  /** Whole number 1–100,000; default 1,000. */
  readonly limit?: string;
}

export type LostCustomersProvider = (query: LostCustomersQuery) => Promise<LostListJson>;

/** Rows answered when the query names no limit: the whole list of a large base would be a very large answer. */
export const DEFAULT_LOST_LIMIT = 1_000;

export function stateLostCustomersProvider(options: StateReportsOptions): LostCustomersProvider {
  const cache = new Cached<LostListJson>(options.cacheTtlMs ?? 300_000, options.now ?? Date.now);
  return async (query) => {
    const day = query.as_of === undefined ? await defaultReportDay(options) : dateParam('as_of', query.as_of);
    const sort = query.sort ?? 'value_lost';
    const minLevel = query.min_level ?? 'lost';
    const limit = query.limit === undefined ? DEFAULT_LOST_LIMIT : Number(query.limit);
    const model = options.model();
    return cache.get(`lost/${day}/${sort}/${minLevel}/${limit}/${model.version}`, async () => {
      const list = new LostCustomerList(day, model, options.parameters, { sort, minLevel, limit });
      await scanCustomerStates(
        options.store,
        (states) => {
          for (const s of states) list.add(s);
        },
        { count: options.scanCount ?? 1_000 },
      );
      return lostListJson(list.list(), list.total, day, sort, options.parameters.baseCurrency);
    });
  };
}
