/**
 * The partition driver: what happens to one partition's records between its
 * merge and Redis, whoever fetched them. It takes records off the merge in
 * batches, commits each through the partition processor (one fenced atomic
 * commit), retries a commit Redis refused with backoff, drops records a
 * commit found stored already, sweeps due checks in rounds, and asks for a
 * relay pass after each commit. The stream runner drives it with records
 * fetched from Kafka; the back-fill (app/redis-backfill.ts) with records read
 * from a file. It knows no Kafka client: its clock and timers come in as a
 * Scheduler, and what is Kafka's (pausing a topic, lag) is the caller's hook.
 */
import type { Logger } from 'pino';
import type { ReduceContext } from '../domain/reducer.js';
import { DAY_MS } from '../domain/time.js';
import { FencedError, OffsetOverlapError } from '../state/errors.js';
import type { BatchOutcome, BatchProgress, BatchRecord, SweepOutcome } from './partition-processor.js';
import { positionTopic, sourceOfPositionTopic, type PartitionTask } from './partition-task.js';
import { retry } from './retry.js';
import type { RunnerObserver } from './runner-observer.js';
import type { Scheduler } from './scheduler.js';

/** The part of PartitionProcessor the driver uses. */
export interface BatchCommitter {
  context: ReduceContext;
  processBatch(p: number, epoch: number, watermarkDay: number | null, records: readonly BatchRecord[], progress?: BatchProgress | null): Promise<BatchOutcome>;
  announce(p: number, epoch: number, announcement: { position: number; initial: boolean }, positions: ReadonlyMap<string, bigint>): Promise<void>;
  sweep(p: number, epoch: number, watermarkDay: number, limit: number, storeWatermark: boolean): Promise<SweepOutcome>;
}

/** One merge queue per topic read. */
export interface DriverSource {
  readonly topic: string;
  readonly queue: number;
}

export interface DriverPolicy {
  /** Records per batch at most. */
  readonly batchMaxRecords: number;
  /** Wait this long after a fetch before draining, so the other topics' fetches of the round join the batch (0: at once). */
  readonly lingerMs: number;
  /** An idle, caught-up partition moves its watermark to today's date after this long (0: never). */
  readonly idleWatermarkMs: number;
  /** Due customers per sweep round (one load, reduce and commit). */
  readonly sweepRoundCustomers: number;
  /** Sweep as soon as a batch moves the watermark to a new day (the service), or only when asked (the back-fill). */
  readonly sweepOnNewDay: boolean;
  /** Retry a commit that failed (the service), or pass the error on (the back-fill). */
  readonly retryCommits: boolean;
  /**
   * With a settle gate: announce the partition's position at least this often
   * while it holds the partition (a partition that restarted learns the others'
   * positions from these), and at most this often when only the clock moved it.
   */
  readonly announceIntervalMs: number;
}

export interface DriverOptions {
  readonly processor: () => BatchCommitter;
  readonly context: () => ReduceContext;
  readonly policy: DriverPolicy;
  readonly scheduler: Scheduler;
  readonly sources: () => readonly DriverSource[];
  readonly logger: Pick<Logger, 'warn' | 'error'>;
  readonly observer?: Pick<RunnerObserver, 'batchCommitted' | 'batchFailed' | 'sweepFailed' | 'swept' | 'recordsSkipped'>;
  /** False once a stop began: no further batches are taken, and a failed commit is given up. */
  readonly accepting: () => boolean;
  /** True while the owner runs: only then does a sweep with more due customers queue another round. */
  readonly running: () => boolean;
  /** Aborted when a stop begins: retry pauses end at once. */
  readonly stopSignal?: AbortSignal;
  /** A batch was committed and the task's offsets moved (the runner resumes paused topics and reports lag). */
  readonly committed?: (task: PartitionTask) => void;
  /** Asks for a relay pass of the task's outbox. */
  readonly relay?: (task: PartitionTask) => void;
  /** Another owner claimed the partition: the task is no longer ours. */
  readonly fenced: (task: PartitionTask, error: FencedError) => void;
  /** The latest error, for the owner's status. */
  readonly noteError?: (error: unknown) => void;
}

export class PartitionDriver {
  constructor(private readonly options: DriverOptions) {}

  /**
   * A fetch brought records: drain them after the linger, so the other topics'
   * fetch responses of the same round (a partition's topics are led by
   * different brokers, each answering on its own wait) join the same batch
   * instead of making batches of their own. A full batch's worth drains at once.
   */
  drainSoon(task: PartitionTask): void {
    const { lingerMs, batchMaxRecords } = this.options.policy;
    if (lingerMs === 0 || this.bufferedRecords(task) >= batchMaxRecords) {
      this.scheduleDrain(task);
      return;
    }
    task.lingerThen(lingerMs, () => this.scheduleDrain(task));
  }

  bufferedRecords(task: PartitionTask): number {
    let n = 0;
    for (const source of this.options.sources()) n += task.merge.buffered(source.queue);
    return n;
  }

  scheduleDrain(task: PartitionTask): void {
    void task.enqueue('drain', () => this.drain(task)).catch((error: unknown) => this.options.logger.error({ partition: task.partition, err: error }, 'drain failed'));
  }

  /** Takes records off the task's merge in batches and commits them, until the merge must wait. */
  async drain(task: PartitionTask): Promise<void> {
    const max = this.options.policy.batchMaxRecords;
    while (!task.closed && this.options.accepting()) {
      const now = this.options.scheduler.now();
      const batch: BatchRecord[] = [];
      for (let next = task.merge.next(now); next !== undefined; next = batch.length < max ? task.merge.next(now) : undefined) {
        batch.push(next.item);
        if (batch.length >= max) break;
      }
      if (batch.length === 0) {
        // Waiting (for a fetch or the other partitions): what the others wait for is our position, so say it when it moved.
        await this.announceIfMoved(task);
        return;
      }
      const dayBefore = task.watermarkDay;
      if (!(await this.commitBatch(task, batch, this.progressOf(task, now)))) return;
      this.options.committed?.(task);
      this.options.relay?.(task);
      // A new watermark day can make checks due: sweep them after this drain
      // rather than at the next tick, in one burst with a second's worth of others.
      const newDay = task.watermarkDay !== null && (dayBefore === null || task.watermarkDay > dayBefore);
      if (newDay && this.options.policy.sweepOnNewDay) this.scheduleSweep(task);
    }
  }

  /**
   * Commits one batch, retrying while Redis is unavailable. False when the
   * partition is no longer ours, or when a stop began and the commit failed: a
   * stop does not wait for a partition a failing commit holds. Giving up is
   * exact: the script stores a batch's states and offsets together or not at
   * all, so the next owner starts from whichever Redis holds.
   */
  async commitBatch(task: PartitionTask, batch: BatchRecord[], progress: BatchProgress | null = null): Promise<boolean> {
    const p = task.partition;
    let records = batch;
    let started = 0;
    const result = await retry(
      async () => {
        started = performance.now();
        const processor = this.options.processor();
        processor.context = this.options.context();
        return await processor.processBatch(p, task.epoch, task.watermarkDay, records, progress);
      },
      {
        active: () => !task.closed,
        signal: this.options.stopSignal === undefined ? task.signal : AbortSignal.any([task.signal, this.options.stopSignal]),
        sleep: (ms, signal) => this.options.scheduler.sleep(ms, signal),
        onFailure: (error) => {
          if (error instanceof FencedError) {
            this.options.fenced(task, error);
            return 'give-up';
          }
          if (error instanceof OffsetOverlapError) {
            records = this.withoutStored(task, records, error.storedNext);
            return records.length === 0 ? 'give-up' : 'again';
          }
          if (!this.options.policy.retryCommits) return 'throw';
          this.options.noteError?.(error);
          this.options.observer?.batchFailed?.(p, error);
          if (!this.options.accepting()) {
            this.options.logger.warn({ partition: p, records: records.length, err: error }, 'batch commit failed while stopping; left to the next owner');
            return 'give-up';
          }
          this.options.logger.warn({ partition: p, records: records.length, err: error }, 'batch commit failed; retrying');
          return 'retry';
        },
      },
    );
    // Every record of the batch was stored already: nothing to commit, nothing lost.
    if (!result.done) return records.length === 0;
    const outcome = result.value;
    task.watermarkDay = outcome.watermarkDay;
    for (const failure of outcome.processingErrors) {
      // No customer id at warn level (docs/operations.md, Logging): the dead letter carries the message.
      this.options.logger.warn({ partition: p, topic: failure.topic, offset: failure.offset.toString(), error: failure.message }, 'input failed to reduce or store; dead-lettered (processing_error)');
    }
    for (const r of records) {
      if (r.topic === progress?.internalTopic) continue;
      const next = r.offset + 1n;
      if ((task.storedNext.get(r.topic) ?? -1n) < next) task.storedNext.set(r.topic, next);
    }
    if (progress !== null) this.noteProgress(task, progress);
    this.options.observer?.batchCommitted?.(p, records, outcome, (performance.now() - started) / 1000);
    return true;
  }

  /**
   * The records after the stored offsets, once a commit was refused because
   * some are stored already (OffsetOverlapError; nothing was written). They
   * reached the merge twice, which the fetch placement exists to prevent: a
   * warning and `recordsSkipped` make it visible.
   */
  withoutStored(task: PartitionTask, records: readonly BatchRecord[], storedNext: ReadonlyMap<string, bigint>): BatchRecord[] {
    const kept: BatchRecord[] = [];
    const dropped = new Map<string, number>();
    for (const r of records) {
      if (r.offset >= (storedNext.get(r.topic) ?? 0n)) kept.push(r);
      else dropped.set(r.topic, (dropped.get(r.topic) ?? 0) + 1);
    }
    this.options.logger.warn({ partition: task.partition, records: records.length, dropped: Object.fromEntries(dropped), stored: Object.fromEntries([...storedNext].map(([t, o]) => [t, o.toString()])) }, 'batch repeats stored records; dropping those');
    for (const [topic, next] of storedNext) if ((task.storedNext.get(topic) ?? -1n) < next) task.storedNext.set(topic, next);
    for (const [topic, count] of dropped) this.options.observer?.recordsSkipped?.(topic, task.partition, 'already_stored', count);
    return kept;
  }

  /**
   * What a batch taken now commits for the settle gate: the internal topic's
   * resume offset when it moved, the partition's announcement when it says
   * something new, and the other partitions' positions that moved since last
   * stored (null without a gate).
   */
  progressOf(task: PartitionTask, nowMs: number): BatchProgress | null {
    const internalQueue = task.merge.internalQueue;
    if (internalQueue === null) return null;
    const internalTopic = this.options.sources().find((s) => s.queue === internalQueue)?.topic;
    if (internalTopic === undefined) return null;
    const resume = task.merge.internalResumeOffset();
    const announcement = task.merge.announcement(nowMs);
    return {
      internalTopic,
      internalResume: resume !== null && resume > (task.storedNext.get(internalTopic) ?? -1n) ? resume : null,
      announcement: announcement !== null && (announcement.initial || announcement.position > task.announcedPosition) ? announcement : null,
      positions: positionsToStore(task),
    };
  }

  private noteProgress(task: PartitionTask, progress: BatchProgress): void {
    if (progress.internalResume !== null) task.storedNext.set(progress.internalTopic, progress.internalResume);
    noteStored(task, progress.positions);
    if (progress.announcement !== null) noteAnnounced(task, progress.announcement, this.options.scheduler.now());
  }

  /**
   * Queues an announcement of the partition's position (settle gate) when it
   * is due: it moved and the last one is `announceIntervalMs` old, or nothing
   * was announced for that long (a heartbeat for partitions that restarted).
   */
  scheduleAnnounce(task: PartitionTask): void {
    if (task.merge.internalQueue === null) return;
    void task
      .enqueue('announce', async () => {
        if (this.options.scheduler.now() - task.announcedAtMs >= this.options.policy.announceIntervalMs) await this.announce(task);
      })
      .catch((error: unknown) => {
        this.options.noteError?.(error);
        this.options.logger.warn({ partition: task.partition, err: error }, 'announcing the partition position failed; the next tick retries');
      });
  }

  /** Announces the partition's position now (settle gate), unless nothing is known of it yet. Call it from the task's work queue. */
  async announce(task: PartitionTask): Promise<void> {
    const now = this.options.scheduler.now();
    const announcement = task.merge.announcement(now);
    if (announcement === null || task.closed) return;
    const positions = positionsToStore(task);
    try {
      await this.options.processor().announce(task.partition, task.epoch, announcement, positions);
    } catch (error) {
      if (!(error instanceof FencedError)) throw error;
      this.options.fenced(task, error);
      return;
    }
    noteStored(task, positions);
    noteAnnounced(task, announcement, now);
    this.options.relay?.(task);
  }

  /** Announces the partition's position if it says something not announced yet (settle gate; no-op without one). */
  private async announceIfMoved(task: PartitionTask): Promise<void> {
    const announcement = task.merge.announcement(this.options.scheduler.now());
    if (announcement === null) return;
    const moved = announcement.initial ? task.announcedInitial === null || announcement.position < task.announcedInitial : announcement.position > task.announcedPosition;
    if (moved) await this.announce(task);
  }

  /** Queues a sweep behind the partition's work; a round that leaves more due customers queues the next. */
  scheduleSweep(task: PartitionTask): void {
    void task
      .enqueue('sweep', async () => {
        const outcome = await this.sweep(task);
        if (outcome?.more === true && this.options.running()) this.scheduleSweep(task);
      })
      .catch((error: unknown) => {
        this.options.noteError?.(error);
        this.options.observer?.sweepFailed?.(task.partition, error);
        this.options.logger.warn({ partition: task.partition, err: error }, 'sweep failed');
      });
  }

  /**
   * One sweep round: fires the due checks of customers no batch touched, up
   * to the watermark, for at most `sweepRoundCustomers` customers. Rounds are
   * queued one at a time behind the partition's work, so a batch that arrived
   * meanwhile goes first and a burst of due checks delays live events by one
   * round, not by all of them. An idle, caught-up partition lets wall-clock
   * time move its watermark (after `idleWatermarkMs`), so customers still turn
   * "at risk" when the whole partition goes quiet. Null when there is nothing
   * to sweep or the partition was lost.
   */
  async sweep(task: PartitionTask): Promise<SweepOutcome | null> {
    let watermark = task.watermarkDay;
    let storeWatermark = false;
    const { idleWatermarkMs, sweepRoundCustomers } = this.options.policy;
    const now = this.options.scheduler.now();
    if (idleWatermarkMs > 0 && now - task.lastInputWallMs >= idleWatermarkMs && this.caughtUp(task)) {
      const today = Math.floor(now / DAY_MS);
      if (watermark === null || today > watermark) {
        watermark = today;
        storeWatermark = true;
      }
    }
    if (watermark === null || task.closed) return null;
    const processor = this.options.processor();
    processor.context = this.options.context();
    try {
      const outcome = await processor.sweep(task.partition, task.epoch, watermark, sweepRoundCustomers, storeWatermark);
      if (storeWatermark) task.watermarkDay = watermark;
      if (outcome.customers > 0) this.options.observer?.swept?.(task.partition, outcome);
      return outcome;
    } catch (error) {
      if (!(error instanceof FencedError)) throw error;
      this.options.fenced(task, error);
      return null;
    }
  }

  /** Nothing buffered and every topic at its high watermark as last seen. */
  caughtUp(task: PartitionTask): boolean {
    return this.options.sources().every((s) => task.merge.buffered(s.queue) === 0 && (task.fetchNext.get(s.topic) ?? 0n) >= (task.highWatermark.get(s.topic) ?? 0n));
  }
}

/** Positions that moved since they were last stored, as offsets of their pseudo topics (stored offsets only move forward). */
function positionsToStore(task: PartitionTask): Map<string, bigint> {
  const out = new Map<string, bigint>();
  task.merge.knownPositions().forEach((position, source) => {
    if (position === -Infinity) return;
    // Compared as stored: a position past the largest storable one is stored once, not again with every commit.
    const stored = Math.max(0, Math.min(position, Number.MAX_SAFE_INTEGER));
    if (stored > (task.storedPositions.get(source) ?? -Infinity)) out.set(positionTopic(source), BigInt(stored));
  });
  return out;
}

/** What the task last announced, and when. */
function noteAnnounced(task: PartitionTask, announcement: { position: number; initial: boolean }, nowMs: number): void {
  if (announcement.initial) task.announcedInitial = Math.min(task.announcedInitial ?? Infinity, announcement.position);
  else if (announcement.position > task.announcedPosition) task.announcedPosition = announcement.position;
  task.announcedAtMs = nowMs;
}

/**
 * After a commit that carried positions, applied or not: a commit found
 * applied before (a retry after a lost reply) stored them too, and a later
 * commit must not carry them again as its only offsets (it would be taken
 * for a repeat and not applied).
 */
function noteStored(task: PartitionTask, positions: ReadonlyMap<string, bigint>): void {
  for (const [topic, offset] of positions) {
    const source = sourceOfPositionTopic(topic);
    if (source !== undefined) task.storedPositions.set(source, Number(offset));
  }
}
