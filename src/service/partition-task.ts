/**
 * What the runner keeps for one assigned partition p between batches: the
 * fencing epoch of its claim, the merge of its six input queues, per topic the
 * next offset to accept from a fetch and the next offset stored in Redis, and a
 * serial work chain — batches and sweeps of p load and write the same customers,
 * so they never overlap; different partitions run side by side.
 */
import { PartitionMerge, type SettleGate } from '../pipeline/partition-merge.js';
import type { BatchRecord } from './partition-processor.js';
import { systemScheduler, type Scheduler } from './scheduler.js';

/**
 * The other partitions' positions a partition knows are stored with its
 * commits as offsets of pseudo topics `~position:<partition>` (offsets only
 * move forward, as positions do), so a partition that restarts still knows
 * them while the others have nothing new to announce.
 */
const POSITION_TOPIC_PREFIX = '~position:';

export function positionTopic(partition: number): string {
  return `${POSITION_TOPIC_PREFIX}${partition}`;
}

/** The partition a position pseudo topic names, or undefined for any other topic. */
export function sourceOfPositionTopic(topic: string): number | undefined {
  if (!topic.startsWith(POSITION_TOPIC_PREFIX)) return undefined;
  const source = Number(topic.slice(POSITION_TOPIC_PREFIX.length));
  return Number.isSafeInteger(source) ? source : undefined;
}

export class PartitionTask {
  epoch = 0;
  watermarkDay: number | null = null;
  readonly merge: PartitionMerge<BatchRecord>;
  /** Next offset a fetched batch must start at, per topic (everything before is buffered or stored). */
  readonly fetchNext = new Map<string, bigint>();
  /** Next offset stored with the state in Redis, per topic. */
  readonly storedNext = new Map<string, bigint>();
  /** Last next-offset committed to Kafka's group offsets, per topic. */
  readonly kafkaCommitted = new Map<string, bigint>();
  /** Last high watermark a fetch reported, per topic (for lag). */
  readonly highWatermark = new Map<string, bigint>();
  /** Topics whose fetching is paused because the merge holds enough of them. */
  readonly paused = new Set<string>();
  /** A fetch started past `fetchNext` once at this offset: the broker no longer has the gap (retention). */
  readonly gapSeen = new Map<string, bigint>();
  /** Wall-clock ms of the last record taken in (idle detection for the wall-clock watermark). */
  lastInputWallMs: number;
  /** The position last announced to the other partitions (settle gate), and when. */
  announcedPosition = -Infinity;
  announcedAtMs = -Infinity;
  /** The smallest head announced initially (before any position was known), or null. */
  announcedInitial: number | null = null;
  /** The other partitions' positions as stored with this partition's commits. */
  readonly storedPositions = new Map<number, number>();
  /** Resolves true once claimed and positioned, false if the task was closed first. */
  readonly ready: Promise<boolean>;
  private settleReady!: (claimed: boolean) => void;
  private readonly abort = new AbortController();
  private chain: Promise<void> = Promise.resolve();
  private queued = new Set<string>();
  /** Cancels the waiting linger call, if one waits. */
  private linger: (() => void) | null = null;

  constructor(
    readonly partition: number,
    queueCount: number,
    mergeMaxWaitMs: number,
    nowMs: number,
    private readonly scheduler: Scheduler = systemScheduler(),
    gate: SettleGate | null = null,
  ) {
    this.merge = new PartitionMerge(queueCount, mergeMaxWaitMs, gate);
    this.lastInputWallMs = nowMs;
    this.ready = new Promise((resolve) => (this.settleReady = resolve));
  }

  get closed(): boolean {
    return this.abort.signal.aborted;
  }

  /** Aborts backoffs and pending work of this ownership. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Takes the positions a claim found stored (see positionTopic) into the merge. */
  adoptStoredPositions(stored: ReadonlyMap<string, string>): void {
    for (const [topic, value] of stored) {
      const source = sourceOfPositionTopic(topic);
      const position = Number(value);
      if (source === undefined || !Number.isFinite(position)) continue;
      this.storedPositions.set(source, position);
      this.merge.notePosition(source, position);
    }
  }

  markReady(claimed: boolean): void {
    this.settleReady(claimed);
  }

  /** The partition is no longer ours (revoked, fenced or shutting down): stop all work on it. */
  close(): void {
    this.linger?.();
    this.linger = null;
    this.abort.abort();
    this.settleReady(false);
    this.merge.clear();
  }

  /**
   * Runs `work` after everything queued before it. Work of the same `kind`
   * already waiting to start is not queued twice (a drain or sweep that has not
   * begun will see the newer input anyway).
   */
  enqueue(kind: string, work: () => Promise<void>): Promise<void> {
    if (this.queued.has(kind)) return this.chain;
    this.queued.add(kind);
    const next = this.chain.then(async () => {
      this.queued.delete(kind);
      if (!this.closed) await work();
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * Calls `then` after `ms`, unless a call is already waiting: input that
   * arrives while one waits is taken by it.
   */
  lingerThen(ms: number, then: () => void): void {
    if (this.linger !== null || this.closed) return;
    this.linger = this.scheduler.after(ms, () => {
      this.linger = null;
      if (!this.closed) then();
    });
  }

  /** Resolves when the work queued so far has finished. */
  idle(): Promise<void> {
    return this.chain;
  }
}
