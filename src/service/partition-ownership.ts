/**
 * Which partitions this member owns, and since when. The group's assignment
 * says which partitions are ours to take; a claim in Redis makes one ours (a
 * new fencing epoch, which refuses every earlier owner's commits); the log
 * bounds and the offsets stored with the state say where each topic resumes.
 * A partition another member claimed (fenced) is dropped, and claimed again
 * only once a heartbeat confirms our assignment is the group's current one.
 */
import type { Admin, Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import { CO_PARTITION_ASSIGNER_NAME } from '../kafka/co-partition-assigner.js';
import type { SettleGate } from '../pipeline/partition-merge.js';
import type { PartitionStore } from '../state/store.js';
import { FatalRunnerError } from './fatal-runner-error.js';
import { PartitionTask } from './partition-task.js';
import { retry } from './retry.js';
import type { RunnerObserver } from './runner-observer.js';
import type { Scheduler } from './scheduler.js';
import type { SourceTopic } from './source-topics.js';

/** A topic-partition's log start and end, as kafkajs' admin gives them. */
type PartitionBounds = { partition: number; low: string; high: string };

export interface OwnershipOptions {
  readonly groupId: string;
  readonly mergeMaxWaitMs: number;
  readonly consumer: Pick<Consumer, 'seek'>;
  readonly admin: Pick<Admin, 'fetchTopicOffsets'>;
  readonly store: Pick<PartitionStore, 'claim'>;
  /** The topics read (set once the runner has checked which exist). */
  readonly sources: () => readonly SourceTopic[];
  /** How a new task's merge waits for the other partitions (known once the runner has read the topology). */
  readonly gate: () => SettleGate | null;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly observer?: RunnerObserver;
  /** The runner is running (not starting, stopping or stopped). */
  readonly running: () => boolean;
  readonly stopping: () => boolean;
  /** Aborted when a stop begins: a claim's retry pause ends at once. */
  readonly stopSignal: AbortSignal;
  /** Asks for a relay pass of a partition just claimed (what its previous owner left in the outbox). */
  readonly relay: (task: PartitionTask) => void;
  /** The partition is no longer ours: work the runner keeps beside the task ends too (the re-score). */
  readonly forget: (partition: number) => void;
  readonly fail: (error: FatalRunnerError) => void;
  readonly noteError: (error: unknown) => void;
}

export class PartitionOwnership {
  /** The partitions held, claimed or being claimed. */
  readonly tasks = new Map<number, PartitionTask>();
  /** The partitions the group's last assignment gave us. */
  assignment = new Set<number>();
  /** Joined the group and holds an assignment (possibly empty). */
  joined = false;
  /** Partitions fenced while our assignment still listed them: claimed again after the next heartbeat (onFenced). */
  private readonly fencedUnconfirmed = new Set<number>();
  /** The topics' log bounds being read for the claims under way (logBounds). */
  private boundsRead: Promise<Map<string, PartitionBounds[]>> | null = null;

  constructor(private readonly options: OwnershipOptions) {}

  /** Assigned partitions not yet claimed in Redis (Redis unreachable keeps them here). */
  unclaimed(): number[] {
    const unclaimed: number[] = [];
    for (const p of this.assignment) if ((this.tasks.get(p)?.epoch ?? 0) === 0) unclaimed.push(p);
    return unclaimed;
  }

  /** A (re)join finished: drop partitions we lost, claim new ones, re-position kept ones. */
  onAssignment(memberAssignment: Record<string, number[]>, protocol: string): void {
    const { options } = this;
    if (protocol !== CO_PARTITION_ASSIGNER_NAME) {
      options.fail(new FatalRunnerError(`the group ${options.groupId} uses assignor '${protocol}'; every member must run clvstream's ${CO_PARTITION_ASSIGNER_NAME}`));
      return;
    }
    const mine = new Set(memberAssignment[options.sources()[0]?.topic ?? ''] ?? []);
    this.assignment = mine;
    this.joined = true;
    this.fencedUnconfirmed.clear(); // the new assignment is the group's current view: claimed below
    for (const [p, task] of this.tasks) {
      if (!mine.has(p)) {
        task.close();
        this.tasks.delete(p);
        options.forget(p);
        options.observer?.revoked?.(p);
        options.logger.info({ partition: p }, 'partition revoked');
      }
    }
    for (const p of mine) {
      const kept = this.tasks.get(p);
      if (kept === undefined) this.startTask(p);
      else void kept.ready.then((claimed) => claimed && this.seekTo(kept, kept.fetchNext));
    }
    options.observer?.assigned?.([...mine]);
    options.logger.info({ partitions: [...mine].sort((a, b) => a - b) }, 'assignment');
  }

  /**
   * Another member claimed p: drop our view of it. Whether p is still ours is
   * not decided by our assignment alone, which may be stale: a member that
   * was frozen (a long pause, a suspended machine) wakes up fenced on every
   * partition the group has since given to others, and claiming them again
   * by its old assignment would fence their new owners in turn. So p is
   * claimed again only once a heartbeat has confirmed that our generation is
   * the group's current one (reclaimFenced), or by the next assignment; a
   * frozen member's heartbeat fails and it rejoins first.
   */
  onFenced(task: PartitionTask): void {
    const p = task.partition;
    this.options.observer?.fenced?.(p);
    this.options.logger.warn({ partition: p, epoch: task.epoch }, 'fenced: another member owns the partition now');
    task.close();
    if (this.tasks.get(p) === task) this.tasks.delete(p);
    this.options.forget(p);
    if (this.assignment.has(p) && this.options.running()) this.fencedUnconfirmed.add(p);
  }

  /**
   * A heartbeat succeeded, so the assignment we hold is the group's current
   * one: a fenced partition it still gives us was claimed from outside the
   * group (a back-fill run against a live service, an operator): claim it again.
   * (A heartbeat answered before a freeze but read after the fence would pass
   * for one; the claims it starts then only cost churn, as before: the epoch
   * and offset checks keep the state exact either way.)
   */
  reclaimFenced(): void {
    if (this.fencedUnconfirmed.size === 0) return;
    const partitions = [...this.fencedUnconfirmed];
    this.fencedUnconfirmed.clear();
    if (!this.options.running()) return;
    for (const p of partitions) if (this.assignment.has(p) && !this.tasks.has(p)) this.startTask(p);
  }

  /** Positions the consumer at `offsets` of the task's partition. */
  seekTo(task: PartitionTask, offsets: ReadonlyMap<string, bigint>): void {
    for (const [topic, offset] of offsets) {
      try {
        this.options.consumer.seek({ topic, partition: task.partition, offset: offset.toString() });
      } catch (error) {
        // Only possible while the consumer is not running (stopping); the next join seeks again.
        this.options.logger.debug({ topic, partition: task.partition, err: error }, 'seek skipped');
      }
    }
  }

  /** Ends the work of every partition held (stop or failure). */
  closeAll(): void {
    for (const task of this.tasks.values()) task.close();
  }

  private startTask(p: number): void {
    const task = new PartitionTask(p, this.options.sources().length, this.options.mergeMaxWaitMs, this.options.scheduler.now(), this.options.scheduler, this.options.gate());
    this.tasks.set(p, task);
    void this.claim(task);
  }

  /**
   * Claims p (a new epoch) and positions every topic at the offset stored with
   * its state. The log bounds are read before the claim: a failed read then
   * costs a retry, not an epoch (each claim fences the previous one, so a
   * member that re-claimed after a failed read looked like a rebalance).
   */
  private async claim(task: PartitionTask): Promise<void> {
    const p = task.partition;
    const { options } = this;
    await retry(
      async () => {
        const bounds = await this.offsetBounds(p);
        if (task.closed) return;
        const claim = await options.store.claim(p);
        for (const source of options.sources()) {
          const { low, high } = bounds.get(source.topic) ?? { low: 0n, high: 0n };
          const stored = claim.nextOffsets.get(source.topic);
          // No stored offset: this state has never seen the topic, so start at its
          // beginning — never at a Kafka group offset that a different state wrote.
          let next = stored === undefined ? low : BigInt(stored);
          if (next < low) {
            options.logger.warn({ topic: source.topic, partition: p, stored: next.toString(), logStart: low.toString() }, 'records after the stored offset are gone (retention); resuming at the log start');
            options.observer?.recordsSkipped?.(source.topic, p, 'retention', Number(low - next));
            next = low;
          } else if (next > high) {
            // Records below the stored offset are never read again (the position
            // does not move backwards): a topic recreated under the same name, or
            // a log that lost its tail, would otherwise be skipped in silence.
            options.logger.warn({ topic: source.topic, partition: p, stored: next.toString(), logEnd: high.toString() }, 'the stored offset is past the log end (topic recreated, or records lost by the broker); records below it are not read');
          }
          task.fetchNext.set(source.topic, next);
          task.storedNext.set(source.topic, next);
          task.highWatermark.set(source.topic, high);
          task.merge.setCaughtUp(source.queue, next >= high);
        }
        task.epoch = claim.epoch;
        task.watermarkDay = claim.watermarkDay;
        task.adoptStoredPositions(claim.nextOffsets);
        if (task.closed) return;
        this.seekTo(task, task.fetchNext);
        task.markReady(true);
        options.logger.info({ partition: p, epoch: claim.epoch, offsets: Object.fromEntries([...task.fetchNext].map(([t, o]) => [t, o.toString()])) }, 'partition claimed');
        options.relay(task);
      },
      {
        // Nothing of p is ours until the claim succeeds: a stop has nothing to finish here.
        active: () => !task.closed && !options.stopping(),
        signal: AbortSignal.any([task.signal, options.stopSignal]),
        sleep: (ms, signal) => options.scheduler.sleep(ms, signal),
        onFailure: (error) => {
          options.noteError(error);
          options.logger.warn({ partition: p, err: error }, 'claim failed; retrying');
          return 'retry';
        },
      },
    );
  }

  /** Log start (low) and end (high) of partition p of every source topic. */
  private async offsetBounds(p: number): Promise<Map<string, { low: bigint; high: bigint }>> {
    const all = await this.logBounds();
    const bounds = new Map<string, { low: bigint; high: bigint }>();
    for (const source of this.options.sources()) {
      const mine = all.get(source.topic)?.find((o) => o.partition === p);
      if (mine === undefined) throw new Error(`topic ${source.topic} has no partition ${p}`);
      bounds.set(source.topic, { low: BigInt(mine.low), high: BigInt(mine.high) });
    }
    return bounds;
  }

  /**
   * Every source topic's offsets, read one topic after another and shared by
   * the claims that ask while a read is under way (an assignment claims all
   * its partitions at once). kafkajs' admin does not survive concurrent reads
   * of different topics: each adds its topic and refreshes the metadata, a
   * refresh asked for fewer topics can land last, and a read then finds its
   * topic gone and fails with a TypeError.
   */
  private logBounds(): Promise<Map<string, PartitionBounds[]>> {
    this.boundsRead ??= (async () => {
      const all = new Map<string, PartitionBounds[]>();
      for (const source of this.options.sources()) all.set(source.topic, await this.options.admin.fetchTopicOffsets(source.topic));
      return all;
    })().finally(() => (this.boundsRead = null));
    return this.boundsRead;
  }
}
