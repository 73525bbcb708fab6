/**
 * Reports behind `GET /reports/:name`. The server depends only on the
 * `ReportProvider` function type; `stateReportProvider` is the implementation
 * over the Redis state, using the pure report functions of `domain/reports`
 * and the JSON shape of `clvstream report` (`app/report.ts`).
 *
 * | name | query | answer |
 * |---|---|---|
 * | `population` | `as_of` (YYYY-MM-DD, default: the latest partition watermark), `period_days` (1–366, default 30) | segments with customers, share, NPS and CLV; retention per period; lost customers by reason, competitor and churn level |
 *
 * Each report reads every customer state (SCAN, like `/segments`) and evaluates
 * it: O(customers), seconds per million. Results are cached per query for
 * 5 minutes by default and concurrent requests share one computation.
 */
import { reportJson } from '../report.js';
import { watermarkDay } from '../customer-lookup.js';
import type { DomainParameters } from '../../domain/parameters.js';
import type { ModelSnapshot } from '../../domain/model-snapshot.js';
import { PopulationReporter, retentionWindowDays } from '../../domain/reports/population-report.js';
import { RetentionCounter } from '../../domain/reports/retention.js';
import { dayToDate, localDayOf } from '../../domain/time.js';
import { scanCustomerStates } from '../../state/state-scan.js';
import type { PartitionStore } from '../../state/store.js';
import { Cached } from './cached.js';

/**
 * A report by name with the request's query parameters. Resolves to the report
 * (any JSON object), or null when there is no report of that name. Throws
 * `ReportRequestError` for bad parameters (→ 400).
 */
export type ReportProvider = (name: string, query: Readonly<Record<string, string>>) => Promise<Record<string, unknown> | null>;

/** A report's parameters are wrong: answered as 400 with this message. */
export class ReportRequestError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'ReportRequestError';
  }
}

export const REPORT_NAMES = ['population'] as const;

export interface StateReportsOptions {
  readonly store: PartitionStore;
  /** Partitions of the input topics (for the default as-of day: the latest watermark); null while unknown. */
  readonly partitionCount: number | (() => number | null);
  readonly model: () => ModelSnapshot;
  readonly parameters: DomainParameters;
  /** Default 5 minutes. */
  readonly cacheTtlMs?: number;
  /** SCAN COUNT hint; default 1,000. */
  readonly scanCount?: number;
  readonly now?: () => number;
  /** The simple CLV's yearly retention (CLV_RETENTION_SOURCE): measured costs a second scan. Default fixed. */
  readonly clvRetention?: 'fixed' | 'measured';
}

export function dateParam(name: string, value: string): number {
  const day = localDayOf(value);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || dayToDate(day) !== value) {
    throw new ReportRequestError(`${name} must be a calendar date like 2025-03-01`);
  }
  return day;
}

function integerParam(name: string, value: string, min: number, max: number): number {
  const n = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new ReportRequestError(`${name} must be an integer between ${min} and ${max}`);
  return n;
}

/** A report's default day: the latest watermark of any partition, else today (UTC). */
export async function defaultReportDay(options: StateReportsOptions): Promise<number> {
  const now = options.now ?? Date.now;
  const count = typeof options.partitionCount === 'function' ? options.partitionCount() : options.partitionCount;
  const days = count === null ? [] : await Promise.all(Array.from({ length: count }, (_, p) => watermarkDay(options.store, p)));
  const known = days.filter((d): d is number => d !== null);
  return known.length > 0 ? Math.max(...known) : localDayOf(new Date(now()).toISOString());
}

export function stateReportProvider(options: StateReportsOptions): ReportProvider {
  const now = options.now ?? Date.now;
  const cache = new Cached<Record<string, unknown>>(options.cacheTtlMs ?? 300_000, now);
  const defaultDay = () => defaultReportDay(options);

  const population = async (query: Readonly<Record<string, string>>): Promise<Record<string, unknown>> => {
    for (const key of Object.keys(query)) {
      if (key !== 'as_of' && key !== 'period_days') throw new ReportRequestError(`unknown parameter ${key} (as_of, period_days)`);
    }
    const asOf = query['as_of'];
    const period = query['period_days'];
    const day = asOf === undefined ? await defaultDay() : dateParam('as_of', asOf);
    const periodDays = period === undefined ? 30 : integerParam('period_days', period, 1, 366);
    const model = options.model();
    const key = `population/${day}/${periodDays}/${model.version}`;
    return cache.get(key, async () => {
      let measuredRetentionRate: number | null = null;
      if (options.clvRetention === 'measured') {
        const yearly = new RetentionCounter(day, 365, retentionWindowDays(options.parameters), 1);
        await scanCustomerStates(
          options.store,
          (states) => {
            for (const s of states) yearly.add(s);
          },
          { count: options.scanCount ?? 1_000 },
        );
        measuredRetentionRate = yearly.report().periods[0]?.rate ?? null;
      }
      const reporter = new PopulationReporter(day, model, options.parameters, { periodDays, measuredRetentionRate });
      await scanCustomerStates(
        options.store,
        (states) => {
          for (const s of states) reporter.add(s);
        },
        { count: options.scanCount ?? 1_000 },
      );
      return { name: 'population', ...reportJson(reporter.report(), options.parameters.baseCurrency) };
    });
  };

  return async (name, query) => {
    switch (name) {
      case 'population':
        return population(query);
      default:
        return null;
    }
  };
}
