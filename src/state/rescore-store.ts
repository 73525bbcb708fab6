/**
 * The stored side of a partition's re-score after a model change: the list of
 * its customers still to re-score with one version (keys.ts: `rescore`, meta
 * fields rsv and rst), staged whole by a fenced script (lua/rescore-stage-2.lua)
 * and trimmed only by the commit that re-scores its head (CommitBatch.rescore).
 * The list is the cursor: it moves in the same atomic commit as the states and
 * outbox records of the chunk, so a crash resumes after the last committed chunk.
 *
 * Staging reads the partition's customer ids with SCAN: every key that exists
 * for the whole scan is returned at least once (repeats are dropped here); a
 * customer created meanwhile was written by a batch that already used the new
 * version, so it needs no re-score.
 */
import { wrapRedisError } from './errors.js';
import { META_FIELDS, assertModelVersion, assertPartition } from './keys.js';
import { runScript } from './scripts.js';
import { mastersOf } from './state-scan.js';
import type { PartitionStore } from './store.js';

/** Where a partition's re-score stands, as Redis holds it. */
export interface RescoreProgress {
  /** The version whose list is complete (being worked on, or done); null while none is. */
  readonly version: string | null;
  /** Customers the list held when staged. */
  readonly total: number;
  /** Customers still to re-score. */
  readonly remaining: number;
}

/** Ids appended per staging script call. */
const STAGE_PAGE_IDS = 5_000;

export class RescoreStore {
  constructor(private readonly store: PartitionStore) {}

  async progress(p: number): Promise<RescoreProgress> {
    assertPartition(p);
    const { redis, keys } = this.store;
    try {
      const [[version, total], remaining] = await Promise.all([
        redis.hmget(keys.meta(p), META_FIELDS.rescoreVersion, META_FIELDS.rescoreTotal),
        redis.llen(keys.rescore(p)),
      ]);
      return version === null || version === undefined ? { version: null, total: 0, remaining: 0 } : { version, total: Number(total ?? 0), remaining };
    } catch (err) {
      throw wrapRedisError(err, `reading the re-score progress of partition ${p}`);
    }
  }

  /** The next `count` customers to re-score (the list's head). */
  async head(p: number, count: number): Promise<string[]> {
    assertPartition(p);
    try {
      return await this.store.redis.lrange(this.store.keys.rescore(p), 0, count - 1);
    } catch (err) {
      throw wrapRedisError(err, `reading the re-score list of partition ${p}`);
    }
  }

  /**
   * Replaces p's re-score list by every customer of p, for `version`; resolves
   * with their number. Fenced: throws FencedError when `epoch` is no longer p's
   * (a page written before stays unused: the list counts only once complete).
   */
  async stage(p: number, epoch: number, version: string, signal?: AbortSignal): Promise<number> {
    assertPartition(p);
    assertModelVersion(version);
    const ids = await this.customerIds(p, signal);
    const { keys, redis } = this.store;
    let length = 0;
    for (let start = 0; start === 0 || start < ids.length; start += STAGE_PAGE_IDS) {
      signal?.throwIfAborted();
      const page = ids.slice(start, start + STAGE_PAGE_IDS);
      const first = start === 0 ? '1' : '0';
      const last = start + STAGE_PAGE_IDS >= ids.length ? '1' : '0';
      const rest = await runScript(redis, 'rescore-stage', [keys.meta(p), keys.rescore(p)], [String(epoch), version, first, last, ...page], { partition: p, epoch });
      length = Number(rest[0]);
    }
    return length;
  }

  /** Every customer id of partition p, once each (SCAN on each master of a cluster). */
  private async customerIds(p: number, signal?: AbortSignal): Promise<string[]> {
    const { keys } = this.store;
    const seen = new Set<string>();
    for (const node of await mastersOf(this.store.redis)) {
      let cursor = '0';
      do {
        signal?.throwIfAborted();
        let page: string[];
        try {
          [cursor, page] = await node.scan(cursor, 'MATCH', keys.customerPattern(p), 'COUNT', 1000);
        } catch (err) {
          throw wrapRedisError(err, `scanning the customers of partition ${p}`);
        }
        for (const key of page) {
          const id = keys.customerIdOf(p, key);
          if (id !== undefined) seen.add(id);
        }
      } while (cursor !== '0');
    }
    return [...seen];
  }
}
