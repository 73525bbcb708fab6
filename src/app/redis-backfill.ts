/**
 * `clvstream replay --state redis://…`: back-fills history from a JSON-lines
 * file straight into the service's Redis state, through the partition driver
 * the service runs (service/partition-driver.ts: batches taken off a merge,
 * each loaded, reduced and committed fenced through PartitionProcessor; sweep
 * rounds), so the result is the one consuming the same events from Kafka would give:
 *
 * - each event goes to the partition its customer id hashes to;
 * - within a partition, events are taken in the merge's order: event time, then
 *   the topic rank of its type, then file order (each type is one merge queue,
 *   sorted by event time and file order before it is pushed);
 * - cross-partition records (referral effects) are taken from the outbox and
 *   fed to their target partition, as the internal topic would deliver them;
 * - checks due by the end are swept, as the service's sweeper would.
 *
 * Emissions stay in the outbox for the service's relay to publish (with their
 * deterministic ids). Progress is stored as the offset of a pseudo topic named
 * after the file (`file:<name>`), so running the same back-fill twice is a
 * no-op. Claiming fences a processor that owns these partitions: run it while
 * the service is stopped.
 */
import type { Readable } from 'node:stream';
import { pino } from 'pino';
import type { DeadLetterCode } from '../contracts/dead-letter.js';
import { INBOUND_TYPES } from '../contracts/inbound.js';
import type { ReduceContext } from '../domain/reducer.js';
import { decodeBytes, type IngestRules } from '../ingest/decode.js';
import { partitionOfKey } from '../kafka/key-partition.js';
import { decodeInternal } from '../ingest/internal-wire.js';
import type { MergeRecord } from '../pipeline/partition-merge.js';
import { PartitionDriver, type DriverSource } from '../service/partition-driver.js';
import { PartitionProcessor, type BatchRecord, type OutputTopics } from '../service/partition-processor.js';
import { PartitionTask } from '../service/partition-task.js';
import type { FencedError } from '../state/errors.js';
import type { PartitionStore } from '../state/store.js';
import { byteLines, deadLetterValue, isBlank } from './byte-lines.js';
import type { LineOutput } from './line-output.js';

export interface BackfillOptions {
  readonly input: Readable;
  /** Names the pseudo topic progress is stored under (`file:<sourceName>`). */
  readonly sourceName: string;
  readonly store: PartitionStore;
  readonly partitionCount: number;
  readonly topics: OutputTopics;
  readonly ctx: ReduceContext;
  readonly rules: IngestRules;
  readonly deadLetters: LineOutput;
  readonly nowMs: number;
  readonly version: string;
  readonly batchSize?: number;
}

export interface BackfillSummary {
  lines: number;
  applied: number;
  rejected: Partial<Record<DeadLetterCode, number>>;
  /** Records that were already stored by an earlier run of the same back-fill. */
  already_stored: number;
  internal_records: number;
  timers_fired: number;
  /** Emissions and other records left in the outboxes for `clvstream run` to publish. */
  outbox_waiting: number;
  partitions: number;
}

/** One merge queue per inbound type, in topic rank order, and one for the internal records. */
const QUEUES: readonly DriverSource[] = [...INBOUND_TYPES, 'internal'].map((name, queue) => ({ topic: name, queue }));
const INTERNAL_QUEUE = INBOUND_TYPES.length;
/** Due customers per sweep round. */
const SWEEP_ROUND_CUSTOMERS = 1_000;
/** A bound on sweep rounds per partition (each round takes up to SWEEP_ROUND_CUSTOMERS customers). */
const MAX_SWEEP_ROUNDS = 100_000;
const silent = pino({ enabled: false });

/** Pages through an outbox, at most this many entries per read. */
const OUTBOX_PAGE = 1_000;
/** Referral chains are one or two hops; a bound guards against a loop. */
const MAX_INTERNAL_ROUNDS = 10;

export async function backfill(options: BackfillOptions): Promise<BackfillSummary> {
  const topic = `file:${options.sourceName}`;
  const summary: BackfillSummary = {
    lines: 0,
    applied: 0,
    rejected: {},
    already_stored: 0,
    internal_records: 0,
    timers_fired: 0,
    outbox_waiting: 0,
    partitions: options.partitionCount,
  };
  const byPartition = new Map<number, Map<number, MergeRecord<BatchRecord>[]>>();
  for await (const line of byteLines(options.input)) {
    const offset = BigInt(summary.lines);
    summary.lines++;
    if (isBlank(line)) continue;
    const value = line;
    const decoded = decodeBytes(value, null, options.rules, options.nowMs);
    if (decoded.tag === 'rejected') {
      summary.rejected[decoded.rejection.code] = (summary.rejected[decoded.rejection.code] ?? 0) + 1;
      options.deadLetters.write({ line: summary.lines, ...decoded.rejection, ...deadLetterValue(line, decoded.rejection.code === 'invalid_utf8') });
      continue;
    }
    const p = partitionOfKey(decoded.input.customerId, options.partitionCount);
    const message = { topic, partition: p, offset: offset.toString(), timestamp: null, key: Buffer.from(decoded.input.customerId), value, headers: undefined };
    const queues = byPartition.get(p) ?? new Map<number, MergeRecord<BatchRecord>[]>();
    const queue = INBOUND_TYPES.indexOf(decoded.event.type);
    const list = queues.get(queue) ?? [];
    list.push({ queue, offset, time: decoded.input.at, item: { topic, offset, decoded, message } });
    queues.set(queue, list);
    byPartition.set(p, queues);
  }
  await options.deadLetters.close();

  const processor = new PartitionProcessor(options.store, {
    ctx: options.ctx,
    topics: options.topics,
    partitionCount: options.partitionCount,
    version: options.version,
    now: () => options.nowMs,
  });
  // Claiming fenced any earlier owner; being fenced in turn means a service started meanwhile.
  const lost: { fenced: FencedError | null } = { fenced: null };
  const driver = new PartitionDriver({
    processor: () => processor,
    context: () => options.ctx,
    policy: {
      batchMaxRecords: options.batchSize ?? 5_000,
      lingerMs: 0,
      idleWatermarkMs: 0,
      sweepRoundCustomers: SWEEP_ROUND_CUSTOMERS,
      // The file's checks are swept once, after every batch (below).
      sweepOnNewDay: false,
      // A failed commit ends the back-fill: it is run again by hand, and resumes from the stored offsets.
      retryCommits: false,
    },
    scheduler: { now: () => options.nowMs, after: noTimers, sleep: noTimers },
    sources: () => QUEUES,
    logger: silent,
    observer: {
      batchCommitted(_p, records, outcome) {
        summary.timers_fired += outcome.timersFired;
        if (outcome.applied) summary.applied += records.length;
        else summary.already_stored += records.length;
      },
      recordsSkipped(_topic, _p, reason, count) {
        if (reason === 'already_stored') summary.already_stored += count;
      },
    },
    accepting: () => true,
    running: () => false,
    fenced: (_task, error) => (lost.fenced = error),
  });
  const tasks = new Map<number, PartitionTask>();
  for (let p = 0; p < options.partitionCount; p++) {
    const claim = await options.store.claim(p);
    const task = new PartitionTask(p, QUEUES.length, 0, options.nowMs);
    task.epoch = claim.epoch;
    task.watermarkDay = claim.watermarkDay;
    for (const { queue } of QUEUES) task.merge.setCaughtUp(queue, true);
    tasks.set(p, task);
  }
  /** Drives p's merge to empty: batches in merge order, committed through the driver. */
  const drive = async (p: number): Promise<void> => {
    const task = tasks.get(p) as PartitionTask;
    await driver.drain(task);
    if (lost.fenced !== null) throw lost.fenced;
  };

  // Each queue is sorted by (event time, file order), so the merge of the
  // type queues takes events by event time, then type rank, then file order.
  for (const [p, queues] of byPartition) {
    const task = tasks.get(p) as PartitionTask;
    for (const [queue, records] of queues) task.merge.push(queue, records.sort(byTimeThenOffset), true);
    await drive(p);
  }

  // The internal topic, in-process: take cross-partition records out of the
  // outboxes and apply them at their target, until none are left.
  // A round reads each outbox on from where the previous round stopped: the
  // emissions before it were looked at already (they stay for the relay), and
  // whatever the previous round applied was appended after it.
  let internalOffset = 0n;
  const readUpTo = new Map<number, string>();
  for (let round = 0; round < MAX_INTERNAL_ROUNDS; round++) {
    const routed = new Map<number, MergeRecord<BatchRecord>[]>();
    for (let p = 0; p < options.partitionCount; p++) {
      for (;;) {
        const { entries, refs, more } = await options.store.readOutbox(p, OUTBOX_PAGE, readUpTo.get(p));
        const last = refs[refs.length - 1];
        if (last === undefined) break;
        readUpTo.set(p, last.streamId);
        // Entries hold one topic each, so acknowledging the internal ones leaves every emission in place.
        const internal = entries.filter((e) => e.topic === options.topics.TOPIC_INTERNAL);
        for (const entry of internal) {
          const target = partitionOfKey(entry.key, options.partitionCount);
          const decoded = decodeInternal(entry.value, options.rules, options.nowMs);
          const offset = internalOffset++;
          const message = { topic: `${topic}:internal`, partition: target, offset: offset.toString(), timestamp: null, key: Buffer.from(entry.key), value: entry.value, headers: undefined };
          const list = routed.get(target) ?? [];
          list.push({ queue: INTERNAL_QUEUE, offset, time: decoded.at ?? -Infinity, item: { topic: `${topic}:internal`, offset, decoded, message } });
          routed.set(target, list);
        }
        await options.store.ackOutbox(
          p,
          refs.filter((r) => r.topic === options.topics.TOPIC_INTERNAL),
        );
        if (!more) break;
      }
    }
    if (routed.size === 0) break;
    for (const [p, records] of routed) {
      summary.internal_records += records.length;
      (tasks.get(p) as PartitionTask).merge.push(INTERNAL_QUEUE, records.sort(byTimeThenOffset), true);
      await drive(p);
    }
  }

  // The sweeper: checks of customers the last batches did not touch.
  for (const [p, task] of tasks) {
    for (let round = 0; round < MAX_SWEEP_ROUNDS; round++) {
      const outcome = await driver.sweep(task);
      if (lost.fenced !== null) throw lost.fenced;
      if (outcome === null) break;
      summary.timers_fired += outcome.timersFired;
      if (!outcome.more) break;
    }
    summary.outbox_waiting += await options.store.outboxLength(p);
  }
  return summary;
}

function byTimeThenOffset(a: MergeRecord<BatchRecord>, b: MergeRecord<BatchRecord>): number {
  return a.time - b.time || (a.offset < b.offset ? -1 : 1);
}

/** The back-fill never waits: its merge queues are complete from the start, and a failed commit is not retried. */
function noTimers(): never {
  throw new Error('the back-fill schedules no timers');
}
