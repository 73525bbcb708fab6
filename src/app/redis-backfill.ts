/**
 * `clvstream replay --state redis://…`: back-fills history from a JSON-lines
 * file straight into the service's Redis state, through the same partition step
 * the service runs (PartitionProcessor: claim, load, reduce, fenced commit), so
 * the result is the one consuming the same events from Kafka would give:
 *
 * - each event goes to the partition its customer id hashes to;
 * - within a partition, events are taken in the merge's order: event time, then
 *   the topic rank of its type, then file order (the order a producer writing
 *   the file in order gives each topic-partition);
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
import type { DeadLetterCode } from '../contracts/dead-letter.js';
import { INBOUND_TYPES } from '../contracts/inbound.js';
import type { ReduceContext } from '../domain/reducer.js';
import { decodeBytes, type IngestRules } from '../ingest/decode.js';
import { partitionOfKey } from '../kafka/key-partition.js';
import { decodeInternal } from '../ingest/internal-wire.js';
import { PartitionProcessor, type BatchRecord, type OutputTopics } from '../service/partition-processor.js';
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

interface Pending {
  readonly at: number;
  readonly rank: number;
  readonly record: BatchRecord;
}

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
  const byPartition = new Map<number, Pending[]>();
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
    const list = byPartition.get(p) ?? [];
    list.push({ at: decoded.input.at, rank: INBOUND_TYPES.indexOf(decoded.event.type), record: { topic, offset, decoded, message } });
    byPartition.set(p, list);
  }
  await options.deadLetters.close();

  const processor = new PartitionProcessor(options.store, {
    ctx: options.ctx,
    topics: options.topics,
    partitionCount: options.partitionCount,
    version: options.version,
    now: () => options.nowMs,
  });
  const claims = new Map<number, { epoch: number; watermark: number | null }>();
  for (let p = 0; p < options.partitionCount; p++) {
    const claim = await options.store.claim(p);
    claims.set(p, { epoch: claim.epoch, watermark: claim.watermarkDay });
  }
  const batchSize = options.batchSize ?? 5_000;
  const run = async (p: number, records: BatchRecord[]): Promise<void> => {
    const claim = claims.get(p) as { epoch: number; watermark: number | null };
    for (let i = 0; i < records.length; i += batchSize) {
      const outcome = await processor.processBatch(p, claim.epoch, claim.watermark, records.slice(i, i + batchSize));
      claim.watermark = outcome.watermarkDay;
      summary.timers_fired += outcome.timersFired;
      const count = Math.min(batchSize, records.length - i);
      if (outcome.applied) summary.applied += count;
      else summary.already_stored += count;
    }
  };

  for (const [p, list] of byPartition) {
    list.sort((a, b) => a.at - b.at || a.rank - b.rank || (a.record.offset < b.record.offset ? -1 : 1));
    await run(p, list.map((x) => x.record));
  }

  // The internal topic, in-process: take cross-partition records out of the
  // outboxes and apply them at their target, until none are left.
  // A round reads each outbox on from where the previous round stopped: the
  // emissions before it were looked at already (they stay for the relay), and
  // whatever the previous round applied was appended after it.
  let internalOffset = 0n;
  const readUpTo = new Map<number, string>();
  for (let round = 0; round < MAX_INTERNAL_ROUNDS; round++) {
    const routed = new Map<number, BatchRecord[]>();
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
          list.push({ topic: `${topic}:internal`, offset, decoded, message });
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
      const time = (r: BatchRecord): number => r.decoded.at ?? -Infinity;
      records.sort((a, b) => time(a) - time(b) || (a.offset < b.offset ? -1 : 1));
      await run(p, records);
    }
  }

  // The sweeper: checks of customers the last batches did not touch.
  for (const [p, claim] of claims) {
    if (claim.watermark === null) continue;
    for (let round = 0; round < 100_000; round++) {
      const outcome = await processor.sweep(p, claim.epoch, claim.watermark);
      summary.timers_fired += outcome.timersFired;
      if (!outcome.more) break;
    }
    summary.outbox_waiting += await options.store.outboxLength(p);
  }
  return summary;
}
