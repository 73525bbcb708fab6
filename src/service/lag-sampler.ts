/**
 * Consumer lag from the broker's log-end offsets, on a timer. The runner also
 * reports lag, but only when a batch commits: a stalled partition (a commit that
 * keeps failing, a stuck consumer) would show its last lag while the real one
 * grows. Every `intervalMs` this asks the broker for each source topic's log-end
 * offset (one ListOffsets per topic) and reads the next offset stored in Redis
 * with the state (one HMGET per assigned partition), and reports the difference
 * for the partitions this member owns.
 */
import type { PartitionStore } from '../state/store.js';
import { wrapRedisError } from '../state/errors.js';
import { META_FIELDS } from '../state/keys.js';

/** The part of kafkajs' Admin this uses: a topic's offsets per partition (decimal strings). */
export interface TopicOffsetsSource {
  fetchTopicOffsets(topic: string): Promise<{ partition: number; high: string; low: string }[]>;
}

export interface LagSamplerOptions {
  readonly offsets: TopicOffsetsSource;
  readonly store: PartitionStore;
  /** The topics the processor reads (inbound and internal), or a function giving them (known once the runner has started). */
  readonly topics: readonly string[] | (() => readonly string[]);
  /** Partitions this member owns now (the runner's assignment). */
  readonly assigned: () => readonly number[];
  /** Where the lag goes (`RuntimeMetrics.lag`). */
  readonly report: (topic: string, partition: number, lag: bigint) => void;
}

export class LagSampler {
  constructor(private readonly options: LagSamplerOptions) {}

  /** One round: log-end offsets from the broker, stored offsets from Redis, lag for each owned partition. */
  async sample(): Promise<void> {
    const { offsets, store } = this.options;
    const topics = typeof this.options.topics === 'function' ? this.options.topics() : this.options.topics;
    const owned = new Set(this.options.assigned());
    if (owned.size === 0) return;
    const ends = await Promise.all(topics.map(async (topic) => [topic, await offsets.fetchTopicOffsets(topic)] as const));
    const partitions = [...owned];
    const fields = topics.map((t) => `${META_FIELDS.offsetPrefix}${t}`);
    const stored = await Promise.all(
      partitions.map(async (p) => {
        try {
          return await store.redis.hmget(store.keys.meta(p), ...fields);
        } catch (err) {
          throw wrapRedisError(err, `reading the stored offsets of partition ${p}`);
        }
      }),
    );
    // Owned at the start and still owned now: never a series for a partition revoked meanwhile.
    const still = new Set(this.options.assigned());
    partitions.forEach((p, i) => {
      if (!still.has(p)) return;
      topics.forEach((topic, t) => {
        const end = ends.find(([name]) => name === topic)?.[1].find((o) => o.partition === p);
        if (end === undefined) return;
        const next = stored[i]?.[t];
        // Nothing stored yet: everything from the log start on is still to be processed.
        const from = next === null || next === undefined ? BigInt(end.low) : BigInt(next);
        const high = BigInt(end.high);
        this.options.report(topic, p, high > from ? high - from : 0n);
      });
    });
  }
}

/**
 * Samples every `intervalMs` (a round still running is not overlapped) until the
 * returned function is called. Failures go to `onError` and the next round tries
 * again. The returned stop resolves once a round in flight has ended, so the
 * caller may then close what the rounds use (the admin client, Redis).
 */
export function sampleLagEvery(sampler: LagSampler, intervalMs: number, onError: (error: unknown) => void): () => Promise<void> {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running !== null) return;
    running = sampler
      .sample()
      .catch(onError)
      .finally(() => (running = null));
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
