/**
 * The background re-score after a model change, per owned partition: when the
 * current model version (parameters or cut points) is not the one the
 * partition's customers were last re-scored with, the partition's customer ids
 * are staged in Redis as its re-score list (rescore-store.ts), and the list is
 * worked off in chunks on the partition's serial queue — between its batches
 * and sweeps, never beside them — at most RESCORE_CUSTOMERS_PER_SECOND.
 *
 * Exactly once: each chunk's states, its `model_changed` emissions (outbox) and
 * the list's advance are one fenced commit, so a crash resumes at the first
 * customer not committed, and nothing is emitted twice. A newer version stages
 * the list afresh; the old list's remaining customers are re-scored with the
 * newer version instead.
 */
import type { Logger } from 'pino';
import type { OutboundEvent } from '../contracts/outbound.js';
import type { ReduceContext } from '../domain/reducer.js';
import { FencedError } from '../state/errors.js';
import type { RescoreStore } from '../state/rescore-store.js';
import type { PartitionProcessor } from './partition-processor.js';
import type { PartitionTask } from './partition-task.js';

/** One partition's re-score as /status and the metrics show it. */
export interface RescoreStatus {
  readonly partition: number;
  /** The version being (or last) re-scored with; null until Redis has been read. */
  readonly version: string | null;
  readonly total: number;
  readonly remaining: number;
  /** staging: listing the customers; running: chunks to go; done: every customer re-scored with `version`. */
  readonly state: 'unknown' | 'staging' | 'running' | 'done';
}

export interface RescoreObserver {
  /** A chunk was committed: `customers` re-scored, `emissions` their changes. */
  rescored?(partition: number, customers: number, emissions: readonly OutboundEvent[], remaining: number): void;
  rescoreFailed?(partition: number, error: unknown): void;
}

export interface RescorerOptions {
  readonly store: RescoreStore;
  readonly processor: () => PartitionProcessor;
  readonly context: () => ReduceContext;
  readonly chunkCustomers: number;
  readonly customersPerSecond: number;
  readonly logger: Logger;
  readonly observer?: RescoreObserver;
  /** Asks for a relay pass of the task's outbox (after a chunk that emitted). */
  readonly relay: (task: PartitionTask) => void;
  /** Called when a chunk or the staging finds the partition claimed by another member. */
  readonly onFenced: (task: PartitionTask) => void;
  /** False once the runner stops: no further chunk is started. */
  readonly active: () => boolean;
  readonly now?: () => number;
}

/** The pause after a chunk of `customers` that began at `startedMs`, to keep to `perSecond`. */
export function pauseAfterChunk(customers: number, perSecond: number, startedMs: number, nowMs: number): number {
  return Math.max(0, startedMs + (customers * 1000) / perSecond - nowMs);
}

class PartitionRescore {
  version: string | null = null;
  state: RescoreStatus['state'] = 'unknown';
  total = 0;
  remaining = 0;
  busy = false;
  timer: NodeJS.Timeout | null = null;

  constructor(readonly task: PartitionTask) {}
}

export class Rescorer {
  private readonly partitions = new Map<number, PartitionRescore>();
  private readonly now: () => number;

  constructor(private readonly options: RescorerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Where every partition held stands. */
  status(): RescoreStatus[] {
    return [...this.partitions.values()]
      .filter((r) => !r.task.closed)
      .map((r) => ({ partition: r.task.partition, version: r.version, total: r.total, remaining: r.remaining, state: r.state }))
      .sort((a, b) => a.partition - b.partition);
  }

  /** Starts or continues p's re-score if it needs one and nothing of it is under way (the runner calls this on every tick). */
  poke(task: PartitionTask): void {
    if (task.epoch === 0 || task.closed || !this.options.active()) return;
    let r = this.partitions.get(task.partition);
    if (r === undefined || r.task !== task) {
      if (r?.timer) clearTimeout(r.timer);
      r = new PartitionRescore(task);
      this.partitions.set(task.partition, r);
    }
    if (r.busy || r.timer !== null) return;
    const version = this.options.context().model.version;
    if (r.version !== version || r.state === 'unknown') {
      r.busy = true;
      void this.prepare(r, version).finally(() => {
        r.busy = false;
        if (r.state === 'running') this.poke(task);
      });
    } else if (r.state === 'running') {
      r.busy = true;
      void task
        .enqueue('rescore', () => this.chunk(r, version))
        .catch((error: unknown) => this.failed(r, error))
        .finally(() => (r.busy = false));
    }
  }

  /** The runner stops: no chunk is started after this. */
  close(): void {
    for (const r of this.partitions.values()) if (r.timer) clearTimeout(r.timer);
    this.partitions.clear();
  }

  /** Forgets p (revoked or fenced): its chunks stop with its task. */
  forget(p: number): void {
    const r = this.partitions.get(p);
    if (r?.timer) clearTimeout(r.timer);
    this.partitions.delete(p);
  }

  /** Reads p's stored re-score and stages a new one when it is another version's (or none). Runs beside p's batches: it touches only the list. */
  private async prepare(r: PartitionRescore, version: string): Promise<void> {
    const { task } = r;
    try {
      let progress = await this.options.store.progress(task.partition);
      if (progress.version !== version) {
        r.version = version;
        r.state = 'staging';
        this.options.logger.info({ partition: task.partition, model: version, previous: progress.version }, 're-score staging');
        const total = await this.options.store.stage(task.partition, task.epoch, version, task.signal);
        progress = { version, total, remaining: total };
        this.options.logger.info({ partition: task.partition, model: version, customers: total }, 're-score started');
      }
      this.settle(r, progress.version, progress.total, progress.remaining);
    } catch (error) {
      this.failed(r, error);
    }
  }

  /** One chunk, on p's serial queue. */
  private async chunk(r: PartitionRescore, version: string): Promise<void> {
    const { task } = r;
    if (task.closed || !this.options.active()) return;
    // The context is taken once: the chunk is scored with the version its list is for.
    const context = this.options.context();
    if (context.model.version !== version) {
      r.state = 'unknown'; // a newer version: the next poke stages it
      return;
    }
    const started = this.now();
    const ids = await this.options.store.head(task.partition, this.options.chunkCustomers);
    const processor = this.options.processor();
    processor.context = context;
    const outcome = await processor.rescore(task.partition, task.epoch, version, ids);
    if (!outcome.applied || ids.length === 0) {
      // The list moved under us (or is empty): read where it stands.
      const progress = await this.options.store.progress(task.partition);
      this.settle(r, progress.version, progress.total, progress.remaining);
    } else {
      this.settle(r, version, r.total, Math.max(0, r.remaining - ids.length));
      this.options.observer?.rescored?.(task.partition, outcome.customers, outcome.emissions, r.remaining);
      if (outcome.outboxRecords > 0) this.options.relay(task);
    }
    if (r.state !== 'running' || !this.options.active()) return;
    r.timer = setTimeout(() => {
      r.timer = null;
      this.poke(task);
    }, pauseAfterChunk(ids.length, this.options.customersPerSecond, started, this.now()));
  }

  private settle(r: PartitionRescore, version: string | null, total: number, remaining: number): void {
    const wasRunning = r.state === 'running';
    r.version = version;
    r.total = total;
    r.remaining = remaining;
    r.state = version === null ? 'unknown' : remaining > 0 ? 'running' : 'done';
    if (wasRunning && r.state === 'done') this.options.logger.info({ partition: r.task.partition, model: version, customers: total }, 're-score finished');
  }

  private failed(r: PartitionRescore, error: unknown): void {
    r.state = 'unknown'; // read Redis again on the next tick
    if (error instanceof FencedError) {
      this.options.onFenced(r.task);
      return;
    }
    if (r.task.closed) return;
    this.options.observer?.rescoreFailed?.(r.task.partition, error);
    this.options.logger.warn({ partition: r.task.partition, err: error }, 're-score failed; the next tick retries');
  }
}
