import { describe, expect, it } from 'vitest';
import type { ReduceContext } from '../../src/domain/reducer.js';
import { PartitionDriver, type BatchCommitter, type DriverPolicy } from '../../src/service/partition-driver.js';
import type { BatchOutcome, BatchProgress, BatchRecord, SweepOutcome } from '../../src/service/partition-processor.js';
import type { SettleGate } from '../../src/pipeline/partition-merge.js';
import { PartitionTask } from '../../src/service/partition-task.js';
import type { Scheduler } from '../../src/service/scheduler.js';
import { FencedError, OffsetOverlapError } from '../../src/state/errors.js';

const DAY_MS = 86_400_000;

/** A clock and timers that move only when the test steps them. */
class SteppedScheduler {
  nowMs = 0;
  private timers: { at: number; fn: () => void }[] = [];
  readonly sleeps: number[] = [];
  readonly scheduler: Scheduler = {
    now: () => this.nowMs,
    after: (ms, fn) => {
      const timer = { at: this.nowMs + ms, fn };
      this.timers.push(timer);
      return () => (this.timers = this.timers.filter((t) => t !== timer));
    },
    sleep: (ms, signal) => {
      this.sleeps.push(ms);
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        signal?.addEventListener('abort', () => resolve(), { once: true });
        this.scheduler.after(ms, resolve);
      });
    },
  };

  get pending(): number {
    return this.timers.length;
  }

  /** Moves the clock by `ms` and fires every timer due by then. */
  advance(ms: number): void {
    this.nowMs += ms;
    const due = this.timers.filter((t) => t.at <= this.nowMs);
    this.timers = this.timers.filter((t) => t.at > this.nowMs);
    for (const t of due) t.fn();
  }
}

type Commit = { epoch: number; watermarkDay: number | null; offsets: string[]; progress: BatchProgress | null };

/** The processor interface the driver needs, answering with scripted outcomes. */
class ScriptedCommitter implements BatchCommitter {
  context = {} as ReduceContext;
  readonly commits: Commit[] = [];
  readonly sweeps: { watermarkDay: number; limit: number; storeWatermark: boolean }[] = [];
  /** Failures thrown by the next commits, in order. */
  failures: Error[] = [];
  /** The watermark day each successful commit reports. */
  nextWatermarkDay: number | null = null;
  sweepMore = false;

  readonly announcements: { position: number; initial: boolean; stored: string[] }[] = [];

  processBatch(_p: number, epoch: number, watermarkDay: number | null, records: readonly BatchRecord[], progress: BatchProgress | null = null): Promise<BatchOutcome> {
    const failure = this.failures.shift();
    if (failure !== undefined) return Promise.reject(failure);
    this.commits.push({ epoch, watermarkDay, offsets: records.map((r) => `${r.topic}@${r.offset}`), progress });
    return Promise.resolve({
      applied: true,
      staleTopics: [],
      watermarkDay: this.nextWatermarkDay ?? watermarkDay,
      outboxRecords: 0,
      deadLetters: 0,
      forwarded: 0,
      timersFired: 0,
      emissions: [],
      processingErrors: [],
    } as BatchOutcome);
  }

  announce(_p: number, _epoch: number, announcement: { position: number; initial: boolean }, positions: ReadonlyMap<string, bigint>): Promise<void> {
    this.announcements.push({ ...announcement, stored: [...positions].map(([topic, at]) => `${topic}=${at}`) });
    return Promise.resolve();
  }

  sweep(_p: number, _epoch: number, watermarkDay: number, limit: number, storeWatermark: boolean): Promise<SweepOutcome> {
    this.sweeps.push({ watermarkDay, limit, storeWatermark });
    return Promise.resolve({ customers: 1, timersFired: 1, outboxRecords: 0, emissions: [], more: this.sweepMore });
  }
}

const SOURCES = [
  { topic: 'purchase', queue: 0 },
  { topic: 'internal', queue: 1 },
];

const POLICY: DriverPolicy = { batchMaxRecords: 3, lingerMs: 20, idleWatermarkMs: 0, sweepRoundCustomers: 7, sweepOnNewDay: true, retryCommits: true, announceIntervalMs: 5_000 };
const DAY = 86_400_000;
/** Two partitions, internal records on queue 1, a settle delay of one day; caught-up queues expect nothing more. */
const GATE: SettleGate = { internalQueue: 1, partitions: 2, settleMs: DAY, idlePosition: () => Infinity };

function setUp(policy: Partial<DriverPolicy> = {}, gate: SettleGate | null = null) {
  const clock = new SteppedScheduler();
  const processor = new ScriptedCommitter();
  const seen = { fenced: [] as FencedError[], failed: 0, skipped: [] as [string, number][], relayed: 0, committed: 0, swept: 0 };
  let accepting = true;
  const driver = new PartitionDriver({
    processor: () => processor,
    context: () => ({}) as ReduceContext,
    policy: { ...POLICY, ...policy },
    scheduler: clock.scheduler,
    sources: () => SOURCES,
    logger: { warn: () => undefined, error: () => undefined } as never,
    observer: {
      batchFailed: () => seen.failed++,
      recordsSkipped: (topic, _p, _reason, count) => seen.skipped.push([topic, count]),
      swept: () => seen.swept++,
    },
    accepting: () => accepting,
    running: () => true,
    committed: () => seen.committed++,
    relay: () => seen.relayed++,
    fenced: (task, error) => {
      seen.fenced.push(error);
      task.close();
    },
  });
  const task = new PartitionTask(gate === null ? 4 : 1, SOURCES.length, 1_000, 0, clock.scheduler, gate);
  task.epoch = 9;
  for (const s of SOURCES) task.merge.setCaughtUp(s.queue, true);
  return { clock, processor, seen, driver, task, stop: () => (accepting = false) };
}

function push(task: PartitionTask, queue: number, topic: string, entries: [offset: number, time: number][]): void {
  const records = entries.map(([offset, time]) => ({ queue, offset: BigInt(offset), time, item: { topic, offset: BigInt(offset) } as unknown as BatchRecord }));
  task.merge.push(queue, records, true);
}

/** Lets the promise chains the driver started settle (no clock involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('PartitionDriver', () => {
  it('lingers after a fetch so the other topics of the round join the batch, then commits them in merge order', async () => {
    const { clock, processor, driver, task, seen } = setUp();
    push(task, 0, 'purchase', [[0, 300]]);
    driver.drainSoon(task);
    push(task, 1, 'internal', [[0, 200]]);
    driver.drainSoon(task); // joins the waiting linger
    await settle();
    expect(processor.commits).toEqual([]);
    clock.advance(19);
    await settle();
    expect(processor.commits).toEqual([]);
    clock.advance(1);
    await task.idle();
    // Merge order: smallest (time, queue, offset) among the heads; a queue's records keep their order.
    expect(processor.commits.map((c) => c.offsets)).toEqual([['internal@0', 'purchase@0']]);
    expect(task.storedNext).toEqual(
      new Map([
        ['internal', 1n],
        ['purchase', 1n],
      ]),
    );
    expect(seen.committed).toBe(1);
    expect(seen.relayed).toBe(1);
  });

  it('drains a full batch at once and cuts batches at batchMaxRecords', async () => {
    const { processor, driver, task, clock } = setUp();
    push(task, 0, 'purchase', [[0, 1], [1, 2], [2, 3], [3, 4]]);
    driver.drainSoon(task);
    await task.idle();
    expect(clock.pending).toBe(0);
    expect(processor.commits.map((c) => c.offsets)).toEqual([['purchase@0', 'purchase@1', 'purchase@2'], ['purchase@3']]);
  });

  it('retries a failed commit after a backoff pause and commits the same records', async () => {
    const { processor, driver, task, clock, seen } = setUp({ lingerMs: 0 });
    processor.failures = [new Error('Redis unavailable'), new Error('Redis unavailable')];
    push(task, 0, 'purchase', [[0, 1]]);
    const drained = driver.drain(task);
    await settle();
    expect(seen.failed).toBe(1);
    expect(processor.commits).toEqual([]);
    expect(clock.sleeps).toHaveLength(1);
    clock.advance(clock.sleeps[0] ?? 0);
    await settle();
    expect(seen.failed).toBe(2);
    expect(clock.sleeps).toHaveLength(2);
    clock.advance(clock.sleeps[1] ?? 0);
    await drained;
    expect(processor.commits.map((c) => c.offsets)).toEqual([['purchase@0']]);
    expect(task.storedNext.get('purchase')).toBe(1n);
  });

  it('gives a failed commit up once a stop began, leaving the offsets where Redis has them', async () => {
    const { processor, driver, task, clock, seen, stop } = setUp({ lingerMs: 0 });
    processor.failures = [new Error('Redis unavailable')];
    push(task, 0, 'purchase', [[0, 1]]);
    stop();
    expect(await driver.commitBatch(task, [{ topic: 'purchase', offset: 0n } as unknown as BatchRecord])).toBe(false);
    expect(seen.failed).toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect(task.storedNext.get('purchase')).toBeUndefined();
  });

  it('passes a failed commit on when retries are off (the back-fill)', async () => {
    const { processor, driver, task } = setUp({ lingerMs: 0, retryCommits: false });
    processor.failures = [new Error('Redis unavailable')];
    push(task, 0, 'purchase', [[0, 1]]);
    await expect(driver.drain(task)).rejects.toThrow('Redis unavailable');
  });

  it('stops at a fence: the partition is handed to the fenced hook and nothing is retried', async () => {
    const { processor, driver, task, clock, seen } = setUp({ lingerMs: 0 });
    processor.failures = [new FencedError(4, 9, 10)];
    push(task, 0, 'purchase', [[0, 1], [1, 2], [2, 3], [3, 4]]);
    await driver.drain(task);
    expect(seen.fenced.map((e) => e.currentEpoch)).toEqual([10]);
    expect(processor.commits).toEqual([]);
    expect(clock.sleeps).toEqual([]);
    expect(seen.committed).toBe(0);
  });

  it('drops the records a refused commit found stored and commits the rest at once', async () => {
    const { processor, driver, task, clock, seen } = setUp({ lingerMs: 0 });
    processor.failures = [new OffsetOverlapError(4, new Map([['purchase', 2n]]))];
    push(task, 0, 'purchase', [[0, 1], [1, 2], [2, 3]]);
    await driver.drain(task);
    expect(processor.commits.map((c) => c.offsets)).toEqual([['purchase@2']]);
    expect(seen.skipped).toEqual([['purchase', 2]]);
    expect(clock.sleeps).toEqual([]);
    expect(task.storedNext.get('purchase')).toBe(3n);
  });

  it('counts a batch stored in full as done and goes on with the next one', async () => {
    const { processor, driver, task, seen } = setUp({ lingerMs: 0, batchMaxRecords: 2 });
    processor.failures = [new OffsetOverlapError(4, new Map([['purchase', 2n]]))];
    push(task, 0, 'purchase', [[0, 1], [1, 2], [2, 3]]);
    await driver.drain(task);
    expect(processor.commits.map((c) => c.offsets)).toEqual([['purchase@2']]);
    expect(seen.skipped).toEqual([['purchase', 2]]);
  });

  it('sweeps after a batch that moves the watermark to a new day, only when the policy says so', async () => {
    for (const sweepOnNewDay of [true, false]) {
      const { processor, driver, task } = setUp({ lingerMs: 0, sweepOnNewDay });
      task.watermarkDay = 10;
      processor.nextWatermarkDay = 11;
      push(task, 0, 'purchase', [[0, 11 * DAY_MS]]);
      driver.scheduleDrain(task);
      await task.idle();
      await task.idle();
      expect(processor.sweeps).toEqual(sweepOnNewDay ? [{ watermarkDay: 11, limit: 7, storeWatermark: false }] : []);
    }
  });

  it('queues another sweep round while due customers remain', async () => {
    const { processor, driver, task } = setUp();
    task.watermarkDay = 3;
    processor.sweepMore = true;
    driver.scheduleSweep(task);
    await task.idle();
    processor.sweepMore = false;
    await task.idle();
    await task.idle();
    expect(processor.sweeps).toHaveLength(2);
  });

  it('moves an idle, caught-up partition to today by the clock, and not while records wait', async () => {
    const { processor, driver, task, clock } = setUp({ idleWatermarkMs: 60_000 });
    task.watermarkDay = 2;
    clock.nowMs = 5 * DAY_MS + 1_000;
    task.lastInputWallMs = clock.nowMs - 59_999;
    expect(await driver.sweep(task)).not.toBeNull();
    expect(processor.sweeps.at(-1)).toEqual({ watermarkDay: 2, limit: 7, storeWatermark: false });

    task.lastInputWallMs = clock.nowMs - 60_000;
    push(task, 0, 'purchase', [[0, 1]]);
    await driver.sweep(task);
    expect(processor.sweeps.at(-1)?.storeWatermark).toBe(false);

    task.merge.clear();
    for (const s of SOURCES) task.merge.setCaughtUp(s.queue, true);
    await driver.sweep(task);
    expect(processor.sweeps.at(-1)).toEqual({ watermarkDay: 5, limit: 7, storeWatermark: true });
    expect(task.watermarkDay).toBe(5);
  });

  it('has nothing to sweep before the partition has a watermark', async () => {
    const { processor, driver, task } = setUp();
    expect(await driver.sweep(task)).toBeNull();
    expect(processor.sweeps).toEqual([]);
  });

  describe('with a settle gate (referral effects in one order whatever their timing)', () => {
    it('takes nothing before every partition has announced, and announces its own head as initial when it waits', async () => {
      const { processor, driver, task } = setUp({ lingerMs: 0 }, GATE);
      push(task, 0, 'purchase', [[0, 10 * DAY]]);
      await driver.drain(task);
      expect(processor.commits).toEqual([]);
      // A drain that must wait says where the partition stands, without waiting for the tick; once.
      expect(processor.announcements).toEqual([{ position: 10 * DAY, initial: true, stored: [] }]);
      await driver.drain(task);
      expect(processor.announcements).toHaveLength(1);
      expect(task.merge.waitingFor(0)).toEqual([0, 1]);
    });

    it('once the positions are known, commits the records with the internal resume offset, its position and the positions to store', async () => {
      const { processor, driver, task } = setUp({ lingerMs: 0 }, GATE);
      push(task, 0, 'purchase', [[0, 10 * DAY], [1, 12 * DAY]]);
      task.merge.notePosition(0, 10 * DAY, true);
      task.merge.notePosition(1, 11 * DAY + 5, true);
      // Both heads known: the positions are the heads, capped at the smallest head plus the settle delay.
      expect(task.merge.knownPositions()).toEqual([10 * DAY, 11 * DAY]);
      // Internal records arrive out of their order of taking hold: offset 0 takes hold last.
      push(task, 1, 'internal', [[0, 11 * DAY + 7], [1, 9 * DAY]]);
      await driver.drain(task);
      // 12·DAY waits: it needs every position past 11·DAY, and partition 1 stands at 11·DAY.
      expect(processor.commits.map((c) => c.offsets)).toEqual([['internal@1', 'purchase@0']]);
      const progress = processor.commits[0]?.progress;
      // Offset 0 is still held: a restart must read the internal topic from there, not from 2.
      expect(progress?.internalResume).toBe(0n);
      expect(progress?.announcement).toEqual({ position: 11 * DAY, initial: false });
      expect([...(progress?.positions ?? new Map<string, bigint>())]).toEqual([
        ['~position:0', BigInt(10 * DAY)],
        ['~position:1', BigInt(11 * DAY)],
      ]);
      expect(task.storedNext.get('internal')).toBe(0n);

      task.merge.notePosition(1, 12 * DAY);
      task.merge.notePosition(0, 12 * DAY);
      await driver.drain(task);
      expect(processor.commits.map((c) => c.offsets)).toEqual([['internal@1', 'purchase@0'], ['internal@0', 'purchase@1']]);
      expect(processor.commits[1]?.progress?.internalResume).toBe(2n);
      expect(task.storedNext.get('internal')).toBe(2n);
      // Stored positions are not stored again.
      expect([...(processor.commits[1]?.progress?.positions ?? new Map<string, bigint>())]).toEqual([
        ['~position:0', BigInt(12 * DAY)],
        ['~position:1', BigInt(12 * DAY)],
      ]);
    });

    it('a claim hands the stored positions to the merge', () => {
      const { task } = setUp({}, GATE);
      task.adoptStoredPositions(new Map([['purchase', '7'], ['~position:0', String(3 * DAY)], ['~position:1', String(4 * DAY)]]));
      expect(task.merge.knownPositions()).toEqual([3 * DAY, 4 * DAY]);
      expect(task.storedPositions).toEqual(new Map([[0, 3 * DAY], [1, 4 * DAY]]));
    });
  });
});
