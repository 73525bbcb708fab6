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
 * - cross-partition records (referral effects, and each partition's progress)
 *   are taken from the outboxes and fed to their target partition, as the
 *   internal topic would deliver them; the partitions go forward in rounds,
 *   each as far as the others' positions let its merge (the settle gate), so
 *   effects take hold where the service would apply them;
 * - checks due by the end are swept, as the service's sweeper would.
 *
 * Emissions stay in the outbox for the service's relay to publish (with their
 * deterministic ids). Progress is stored as offsets of pseudo topics named
 * after the file and the inbound type (`file:<name>:<type>`, each type's events
 * numbered in the order they are committed), so running the same back-fill
 * twice is a no-op. Claiming fences a processor that owns these partitions: run it while
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
import type { MergeRecord, SettleGate } from '../pipeline/partition-merge.js';
import { tieOf } from '../service/fetch-intake.js';
import { DAY_MS } from '../domain/time.js';
import { PartitionDriver, type DriverSource } from '../service/partition-driver.js';
import { PartitionProcessor, type BatchRecord, type OutputTopics } from '../service/partition-processor.js';
import { PartitionTask } from '../service/partition-task.js';
import type { FencedError } from '../state/errors.js';
import type { PartitionStore } from '../state/store.js';
import { byteLines, deadLetterValue, isBlank } from './byte-lines.js';
import type { LineOutput } from './line-output.js';

export interface BackfillOptions {
  readonly input: Readable;
  /** Names the pseudo topics progress is stored under (`file:<sourceName>:<type>`). */
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

/**
 * One merge queue per inbound type, in topic rank order (their records all
 * carry the file's pseudo topic), and one for the internal records, named as
 * their records are: the driver finds the internal topic's resume offset by it.
 */
function queuesOf(topic: string): DriverSource[] {
  return [...INBOUND_TYPES.map((name, queue) => ({ topic: `${topic}:${name}`, queue })), { topic: internalTopicOf(topic), queue: INTERNAL_QUEUE }];
}
const INTERNAL_QUEUE = INBOUND_TYPES.length;
const internalTopicOf = (topic: string): string => `${topic}:internal`;
/** Due customers per sweep round. */
const SWEEP_ROUND_CUSTOMERS = 1_000;
/** A bound on sweep rounds per partition (each round takes up to SWEEP_ROUND_CUSTOMERS customers). */
const MAX_SWEEP_ROUNDS = 100_000;
const silent = pino({ enabled: false });

/** Pages through an outbox, at most this many entries per read. */
const OUTBOX_PAGE = 1_000;
/** Rounds without progress (no batch, no effect routed, no position moved) before the back-fill gives up: a bug, never the data. */
const MAX_IDLE_ROUNDS = 3;

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
  let batches = 0;
  const sources = queuesOf(topic);
  // The file's queues are complete: a partition that has taken them all expects nothing more.
  const gate: SettleGate = { internalQueue: INTERNAL_QUEUE, partitions: options.partitionCount, settleMs: options.ctx.parameters.referralSettleDays * DAY_MS, idlePosition: () => Infinity };
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
      // Announced once per round (below).
      announceIntervalMs: 0,
    },
    scheduler: { now: () => options.nowMs, after: noTimers, sleep: noTimers },
    sources: () => sources,
    logger: silent,
    observer: {
      batchCommitted(_p, records, outcome) {
        batches++;
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
    const task = new PartitionTask(p, sources.length, 0, options.nowMs, undefined, gate);
    task.epoch = claim.epoch;
    task.watermarkDay = claim.watermarkDay;
    task.adoptStoredPositions(claim.nextOffsets);
    for (const { queue } of sources) task.merge.setCaughtUp(queue, true);
    tasks.set(p, task);
  }
  /** Drives p's merge as far as it goes now: batches in merge order, committed through the driver, then p's position. */
  const drive = async (p: number): Promise<void> => {
    const task = tasks.get(p) as PartitionTask;
    await driver.drain(task);
    throwIfFenced();
    await driver.announce(task);
    throwIfFenced();
  };
  const throwIfFenced = (): void => {
    if (lost.fenced !== null) throw lost.fenced;
  };

  // Each queue is sorted by (event time, file order), so the merge of the
  // type queues takes events by event time, then type rank, then file order.
  for (const [p, queues] of byPartition) {
    const task = tasks.get(p) as PartitionTask;
    for (const [queue, records] of queues) task.merge.push(queue, inMergeOrder(records, sources[queue]?.topic ?? topic), true);
  }

  // Rounds: every partition goes as far as its merge lets it, then the
  // internal topic is played in-process: each outbox's internal records
  // (effects and positions) go to their target partition. A round reads each
  // outbox on from where the previous round stopped: the emissions before it
  // were looked at already (they stay for the relay).
  let internalOffset = 0n;
  const readUpTo = new Map<number, string>();
  // A round moves when it commits a batch, routes an effect, or moves a position (a gap of several settle
  // delays in the file's event time is crossed one delay per round, without batches).
  const positionsNow = () => [...tasks.values()].map((task) => task.merge.knownPositions().join(',')).join(';');
  for (let idle = 0; idle < MAX_IDLE_ROUNDS; ) {
    const batchesBefore = batches;
    const positionsBefore = positionsNow();
    for (const p of tasks.keys()) await drive(p);
    const routed = await routeInternal();
    const buffered = [...tasks.values()].reduce((n, task) => n + driver.bufferedRecords(task), 0);
    if (buffered === 0 && routed.effects === 0) break;
    idle = batches === batchesBefore && routed.effects === 0 && positionsNow() === positionsBefore ? idle + 1 : 0;
  }
  const stuck = [...tasks.values()].filter((task) => driver.bufferedRecords(task) > 0).map((task) => task.partition);
  if (stuck.length > 0) throw new Error(`back-fill: partitions ${stuck.join(', ')} still hold records that wait for partitions ${[...new Set(stuck.flatMap((p) => (tasks.get(p) as PartitionTask).merge.waitingFor(options.nowMs)))].join(', ')}`);

  /** Moves every outbox's internal records to their target partition's merge; counts the effects among them. */
  async function routeInternal(): Promise<{ effects: number }> {
    let effects = 0;
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
          if (decoded.tag === 'progress') {
            (tasks.get(target) as PartitionTask).merge.notePosition(decoded.source, decoded.position, decoded.initial);
            continue;
          }
          effects++;
          const message = { topic: internalTopicOf(topic), partition: target, offset: offset.toString(), timestamp: null, key: Buffer.from(entry.key), value: entry.value, headers: undefined };
          const list = routed.get(target) ?? [];
          list.push({ queue: INTERNAL_QUEUE, offset, time: decoded.at ?? -Infinity, tie: tieOf(decoded), item: { topic: internalTopicOf(topic), offset, decoded, message } });
          routed.set(target, list);
        }
        await options.store.ackOutbox(
          p,
          refs.filter((r) => r.topic === options.topics.TOPIC_INTERNAL),
        );
        if (!more) break;
      }
    }
    for (const [p, records] of routed) {
      summary.internal_records += records.length;
      (tasks.get(p) as PartitionTask).merge.push(INTERNAL_QUEUE, records, true);
    }
    return { effects };
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

/**
 * A queue's records sorted by (event time, file order), each then numbered in
 * that order under its queue's pseudo topic: the partition commits a queue's
 * records in the order of these offsets, batch after batch, so the stored
 * offset says exactly which are stored (a file not in time order would
 * otherwise commit a later line before an earlier one, and the earlier one
 * would be taken for stored). The dead-letter coordinates keep the line.
 */
function inMergeOrder(records: MergeRecord<BatchRecord>[], queueTopic: string): MergeRecord<BatchRecord>[] {
  return records.sort(byTimeThenOffset).map((r, rank) => {
    const offset = BigInt(rank);
    return { ...r, offset, item: { ...r.item, topic: queueTopic, offset } };
  });
}

function byTimeThenOffset(a: MergeRecord<BatchRecord>, b: MergeRecord<BatchRecord>): number {
  return a.time - b.time || (a.offset < b.offset ? -1 : 1);
}

/** The back-fill never waits: its merge queues are complete from the start, and a failed commit is not retried. */
function noTimers(): never {
  throw new Error('the back-fill schedules no timers');
}
