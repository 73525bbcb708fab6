/**
 * Customer counts per segment, per dimension: what `GET /segments` shows.
 *
 * `SegmentCountsProvider` is the interface the HTTP server depends on. The
 * first implementation, `ScanSegmentCounts`, reads the whole population from
 * Redis with `scanCustomerStates` (state-scan.ts): SCAN with a bounded COUNT
 * (default 1,000 keys per call) over the customer keys of every partition — on
 * each master of a cluster — one MGET per partition and page, decode, count. It
 * counts the *stored* segment values, i.e. what the last segment-changed /
 * churn-risk events said, not a re-evaluation.
 *
 * Cost: O(customers) on every refresh — every state crosses the network and is
 * decoded, seconds per million customers (benchmarks/RESULTS.md). Redis stays responsive (SCAN and MGET of one page are short
 * commands) but the work is real, so the result is cached (default 60 s) and
 * concurrent requests share one scan. Counters maintained at commit time would
 * make this O(segments); the runtime may provide such a provider instead.
 */
import { CHURN_LEVELS, SEGMENT_DIMENSIONS, type SegmentDimension } from '../../contracts/segments.js';
import type { CustomerState } from '../../domain/state.js';
import { scanCustomerStates } from '../../state/state-scan.js';
import type { PartitionStore } from '../../state/store.js';
import { Cached } from './cached.js';

export interface SegmentCounts {
  /** Customers counted. */
  readonly customers: number;
  /** Per dimension, customers per value; `none` counts customers without a value (e.g. no purchase yet). */
  readonly segments: Readonly<Record<SegmentDimension, Readonly<Record<string, number>>>>;
  /** Customers per churn level. */
  readonly churn_levels: Readonly<Record<string, number>>;
  /** When the counts were computed (ISO-8601). */
  readonly computed_at: string;
  /** How they were computed: `scan` (this module) or another provider's name. */
  readonly source: string;
}

export interface SegmentCountsProvider {
  counts(): Promise<SegmentCounts>;
}

export interface ScanSegmentCountsOptions {
  /** SCAN COUNT hint per call (keys per page); default 1,000. */
  readonly scanCount?: number;
  /** How long a result is served before the next request rescans; default 60 s. */
  readonly cacheTtlMs?: number;
  readonly now?: () => number;
}

/** Counts of one pass, filled in as states arrive. */
export class SegmentTally {
  private customers = 0;
  private readonly segments = Object.fromEntries(SEGMENT_DIMENSIONS.map((d): [SegmentDimension, Record<string, number>] => [d, {}])) as Record<
    SegmentDimension,
    Record<string, number>
  >;
  private readonly churn: Record<string, number> = Object.fromEntries(CHURN_LEVELS.map((l) => [l, 0]));

  add(state: Pick<CustomerState, 'segments' | 'churnLevel'>): void {
    this.customers++;
    for (const dimension of SEGMENT_DIMENSIONS) {
      const value = state.segments[dimension] ?? 'none';
      const counts = this.segments[dimension];
      counts[value] = (counts[value] ?? 0) + 1;
    }
    this.churn[state.churnLevel] = (this.churn[state.churnLevel] ?? 0) + 1;
  }

  result(computedAt: Date, source: string): SegmentCounts {
    return { customers: this.customers, segments: this.segments, churn_levels: this.churn, computed_at: computedAt.toISOString(), source };
  }
}

export class ScanSegmentCounts implements SegmentCountsProvider {
  private readonly scanCount: number;
  private readonly now: () => number;
  private readonly cache: Cached<SegmentCounts>;

  constructor(
    private readonly store: PartitionStore,
    options: ScanSegmentCountsOptions = {},
  ) {
    this.scanCount = options.scanCount ?? 1_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.scanCount) || this.scanCount < 1) throw new RangeError('scanCount must be a positive integer');
    this.cache = new Cached(options.cacheTtlMs ?? 60_000, this.now);
  }

  counts(): Promise<SegmentCounts> {
    return this.cache.get('', () => this.scan());
  }

  private async scan(): Promise<SegmentCounts> {
    const tally = new SegmentTally();
    await scanCustomerStates(
      this.store,
      (states) => {
        for (const s of states) tally.add(s);
      },
      { count: this.scanCount },
    );
    return tally.result(new Date(this.now()), 'scan');
  }
}
