/**
 * One partition's batch step, independent of Kafka: load the touched customers
 * with one MGET, reduce the records in merge order, and commit states, next
 * offsets, watermark and outbox in one fenced script. The Kafka runner feeds it
 * decoded records and relays the outbox; everything here is deterministic given
 * the stored state and the records, which is what makes a redelivered or
 * re-merged batch end in the same place.
 *
 * Time follows `TimedStates`, the same rule as the replay: checks of the loaded
 * customers fire as the watermark passes them, and a customer's own due check
 * fires before its next input. Checks of customers the batch does not touch are
 * left to `sweep`.
 *
 * An input whose reduction throws, or whose state the store could not write, is
 * dead-lettered (`processing_error`) and the batch goes on as if it had not
 * arrived (ON_PROCESSING_ERROR=dead-letter, the default), or the batch fails
 * and its partition stands still (=stop). The first pass runs without
 * safeguards; a failure re-runs the batch from freshly loaded states with a copy
 * and an encoding check per input, which is exact because the pass is
 * deterministic given the stored states and the records.
 *
 * Nothing is applied to another customer's state from here: cross-customer
 * effects (referrals) and inputs keyed to another partition go to the internal
 * topic, keyed by their target, and come back through the owner's merge.
 */
import type { Settings } from '../config/settings.js';
import type { DeadLetterRecord } from '../contracts/dead-letter.js';
import type { InternalRecord } from '../contracts/internal.js';
import type { OutboundEvent } from '../contracts/outbound.js';
import type { DomainInput } from '../domain/input.js';
import type { ReduceContext, Reduction } from '../domain/reducer.js';
import type { CustomerState } from '../domain/state.js';
import type { Decoded } from '../ingest/decode.js';
import { deadLetterRecord, type SourceMessage } from '../ingest/dead-letter-record.js';
import { keyForPartition, partitionOfKey } from '../kafka/key-partition.js';
import { rescoreChunk } from '../pipeline/rescore-chunk.js';
import { TimedStates } from '../pipeline/timed-states.js';
import { encodeState } from '../state/codec.js';
import { StateCodecError } from '../state/errors.js';
import type { CommitResult, OutboxItem, PartitionStore } from '../state/store.js';
import { internalRecordOf, progressRecordOf, rerouteRecordOf } from '../ingest/internal-wire.js';

export type OutputTopics = Pick<Settings, 'TOPIC_SEGMENT_CHANGED' | 'TOPIC_CHURN_RISK' | 'TOPIC_DEAD_LETTER' | 'TOPIC_INTERNAL'>;

export interface PartitionProcessorOptions {
  readonly ctx: ReduceContext;
  readonly topics: OutputTopics;
  /** Partitions of the co-partitioned topics: decides which customers partition p owns. */
  readonly partitionCount: number;
  /** Written into dead-letter records. */
  readonly version: string;
  readonly now?: () => number;
  /** ON_PROCESSING_ERROR: dead-letter the input that failed (default), or fail the batch. */
  readonly onProcessingError?: 'dead-letter' | 'stop';
}

/**
 * An input failed to reduce or to store, with ON_PROCESSING_ERROR=stop: the
 * batch is not committed and is retried, so its partition stands still.
 */
export class ProcessingError extends Error {
  readonly code = 'PROCESSING_ERROR';
  constructor(partition: number, cause: Error) {
    super(`partition ${partition}: an input failed to reduce or store (ON_PROCESSING_ERROR=stop): ${cause.message}`, { cause });
    this.name = 'ProcessingError';
  }
}

/** The first pass met a reduction that threw: run the guarded pass. */
class ReductionFailed extends Error {
  constructor(readonly failure: Error) {
    super(failure.message);
  }
}

/** A dead-lettered processing error, for metrics and logs. */
export interface ProcessingFailure {
  readonly topic: string;
  readonly offset: bigint;
  readonly customerId: string;
  readonly kind: DomainInput['kind'];
  readonly message: string;
}

export interface BatchRecord {
  readonly topic: string;
  readonly offset: bigint;
  /** An inbound (or re-routed) message as decoded, or a cross-customer input read from the internal topic. */
  readonly decoded: Decoded;
  /** The message as received, for its dead-letter record. */
  readonly message: SourceMessage;
}

/**
 * What a batch commits besides its records when the merge waits on the other
 * partitions (partition-merge.ts, settle gate): where the internal topic
 * resumes, and this partition's position for every partition.
 */
export interface BatchProgress {
  readonly internalTopic: string;
  /**
   * The internal topic's offset a restart must read from (the smallest record
   * still held), when it moved forward; the batch's own internal offsets say
   * nothing, since held records are taken out of offset order. A record taken
   * before one still held is read again after a restart, and recognised by the
   * reducer as a repeat (a credit's sequence, the first attribution).
   */
  readonly internalResume: bigint | null;
  /** This partition's announcement after the batch's records (merge.announcement), or null. */
  readonly announcement: { readonly position: number; readonly initial: boolean } | null;
  /** Positions of other partitions to store with the batch (those that moved), by their pseudo topic (partition-task.ts). */
  readonly positions: ReadonlyMap<string, bigint>;
}

/** The key prefix of progress records: each goes to one internal partition. */
const PROGRESS_KEY = '~partition-progress';

export interface BatchOutcome extends CommitResult {
  /** The partition's watermark after the batch (carry it into the next batch). */
  readonly watermarkDay: number | null;
  readonly outboxRecords: number;
  readonly deadLetters: number;
  readonly forwarded: number;
  readonly timersFired: number;
  /** The segment-changed and churn-risk events the batch committed (for metrics; also in the outbox). */
  readonly emissions: readonly OutboundEvent[];
  /** Inputs dead-lettered because they failed to reduce or store. */
  readonly processingErrors: readonly ProcessingFailure[];
}

export interface SweepOutcome {
  readonly customers: number;
  readonly timersFired: number;
  readonly outboxRecords: number;
  /** The events the sweep committed. */
  readonly emissions: readonly OutboundEvent[];
  /** True when the due set held `limit` customers: call again. */
  readonly more: boolean;
}

export interface RescoreOutcome {
  /** False when the re-score list had moved on (another version staged, or the chunk stored before): nothing written. */
  readonly applied: boolean;
  readonly customers: number;
  readonly outboxRecords: number;
  /** The events the chunk committed, all with cause `model_changed`. */
  readonly emissions: readonly OutboundEvent[];
}

export class PartitionProcessor {
  /** Configuration and model the next batch or sweep reduces with (the runner swaps in new model versions). */
  context: ReduceContext;
  private readonly now: () => number;

  constructor(
    private readonly store: PartitionStore,
    private readonly options: PartitionProcessorOptions,
  ) {
    this.context = options.ctx;
    this.now = options.now ?? Date.now;
  }

  /**
   * Processes `records` (merge order) of partition p and commits them. Throws
   * FencedError when `epoch` is no longer p's: the caller has lost the partition;
   * OffsetOverlapError when part of the records is stored already (nothing was
   * written: drop those and process the rest).
   */
  async processBatch(p: number, epoch: number, watermarkDay: number | null, records: readonly BatchRecord[], progress: BatchProgress | null = null): Promise<BatchOutcome> {
    try {
      return await this.pass(p, epoch, watermarkDay, records, false, progress);
    } catch (error) {
      const failure = error instanceof ReductionFailed ? error.failure : isUnstorable(error) ? error : null;
      if (failure === null) throw error;
      if (this.options.onProcessingError === 'stop') throw new ProcessingError(p, failure);
      return await this.pass(p, epoch, watermarkDay, records, true, progress);
    }
  }

  /** Announces partition p's position to every partition (a progress record each), with nothing else: an idle or waiting partition's heartbeat. */
  async announce(p: number, epoch: number, announcement: { position: number; initial: boolean }, positions: ReadonlyMap<string, bigint>): Promise<void> {
    const work = new CommitDraft(this.options, this.context, null, this.now);
    work.announce(p, announcement.position, announcement.initial);
    await this.store.commit(p, epoch, { outbox: work.outbox, nextOffsets: positions });
  }

  private async pass(
    p: number,
    epoch: number,
    watermarkDay: number | null,
    records: readonly BatchRecord[],
    guarded: boolean,
    progress: BatchProgress | null,
  ): Promise<BatchOutcome> {
    const work = new CommitDraft(this.options, this.context, watermarkDay, this.now);
    const nextOffsets = new Map<string, bigint>();
    const firstOffsets = new Map<string, bigint>();
    const owned: { record: BatchRecord; input: DomainInput }[] = [];
    for (const record of records) {
      const next = record.offset + 1n;
      if ((nextOffsets.get(record.topic) ?? -1n) < next) nextOffsets.set(record.topic, next);
      const first = firstOffsets.get(record.topic);
      if (first === undefined || record.offset < first) firstOffsets.set(record.topic, record.offset);
      const { decoded } = record;
      switch (decoded.tag) {
        case 'routed':
          if (this.owns(p, decoded.input.customerId)) owned.push({ record, input: decoded.input });
          else work.forward(decoded.input.customerId, decoded.input.eventId, internalRecordOf(decoded.input));
          break;
        case 'rejected':
          work.deadLetter(record.message, deadLetterRecord(record.message, decoded.rejection, this.now(), this.options.version));
          break;
        case 'input':
          if (this.owns(p, decoded.input.customerId)) owned.push({ record, input: decoded.input });
          else work.forward(decoded.input.customerId, `reroute:${decoded.input.eventId}`, rerouteRecordOf(decoded.event, record.topic));
          break;
      }
    }
    work.load(await this.store.loadStates(p, owned.map((o) => o.input.customerId)));
    if (guarded) {
      for (const { record, input } of owned) work.tryApply(record, input);
    } else {
      try {
        for (const { input } of owned) work.apply(input);
      } catch (error) {
        throw new ReductionFailed(error instanceof Error ? error : new Error(String(error)));
      }
    }

    if (progress !== null) {
      nextOffsets.delete(progress.internalTopic);
      firstOffsets.delete(progress.internalTopic);
      if (progress.internalResume !== null) nextOffsets.set(progress.internalTopic, progress.internalResume);
      for (const [topic, position] of progress.positions) nextOffsets.set(topic, position);
      if (progress.announcement !== null) work.announce(p, progress.announcement.position, progress.announcement.initial);
    }
    // With the first offsets, a batch that repeats stored records is refused
    // (OffsetOverlapError) instead of counted twice.
    const result = await this.store.commit(p, epoch, {
      nextOffsets,
      firstOffsets,
      states: work.dirty(),
      outbox: work.outbox,
      watermarkDay: work.watermarkDay,
    });
    return { ...result, ...work.counts(), watermarkDay: work.watermarkDay };
  }

  /**
   * Fires the checks of partition p due by `watermarkDay` for customers no batch
   * has touched since (an idle partition, or an idle customer), at most `limit`
   * customers per call. Commits without offsets: a retry re-applies the same values.
   * `storeWatermark` also stores `watermarkDay` as the partition's watermark (it
   * only moves forward): the runner's wall-clock fallback for an idle partition.
   */
  async sweep(p: number, epoch: number, watermarkDay: number, limit = 1_000, storeWatermark = false): Promise<SweepOutcome> {
    const due = await this.store.dueTimers(p, watermarkDay, limit);
    const stored = storeWatermark ? watermarkDay : null;
    if (due.length === 0) {
      if (storeWatermark) await this.store.commit(p, epoch, { watermarkDay: stored });
      return { customers: 0, timersFired: 0, outboxRecords: 0, emissions: [], more: false };
    }
    const work = new CommitDraft(this.options, this.context, watermarkDay, this.now);
    work.load(await this.store.loadStates(p, due.map((d) => d.customerId)));
    await this.store.commit(p, epoch, { states: work.dirty(), outbox: work.outbox, watermarkDay: stored });
    const { timersFired, outboxRecords, emissions } = work.counts();
    return { customers: due.length, timersFired, outboxRecords, emissions, more: due.length === limit };
  }

  /**
   * Re-scores the customers `ids` of partition p (the head of its re-score list
   * for `version`, rescore-store.ts) with the current context and commits their
   * states, their emissions and the list's advance in one fenced script.
   */
  async rescore(p: number, epoch: number, version: string, ids: readonly string[]): Promise<RescoreOutcome> {
    const first = ids[0];
    if (first === undefined) return { applied: true, customers: 0, outboxRecords: 0, emissions: [] };
    const loaded = await this.store.loadStates(p, ids);
    const { states, emissions } = rescoreChunk(loaded.values(), this.context);
    const outbox = emissions.map((event) => emissionItem(event, this.options.topics));
    const result = await this.store.commit(p, epoch, { states, outbox, rescore: { version, firstId: first, count: ids.length } });
    return result.applied ? { applied: true, customers: ids.length, outboxRecords: outbox.length, emissions } : { applied: false, customers: 0, outboxRecords: 0, emissions: [] };
  }

  private owns(p: number, customerId: string): boolean {
    return partitionOfKey(customerId, this.options.partitionCount) === p;
  }
}

/** A state the codec refuses to write: the input that produced it is at fault, not the store. */
function isUnstorable(error: unknown): error is StateCodecError {
  return error instanceof StateCodecError && error.code === 'CODEC_INVALID_STATE';
}

/** Throws what the commit would throw for this state. */
function checkStorable(state: CustomerState): void {
  encodeState(state);
}

/** What one batch or sweep will commit, while it is built: loaded states under the shared time rule, the outbox, the dead letters. */
class CommitDraft {
  readonly outbox: OutboxItem[] = [];
  private readonly emissions: OutboundEvent[] = [];
  private readonly timed: TimedStates;
  private readonly changed = new Set<string>();
  private readonly processingErrors: ProcessingFailure[] = [];
  private deadLetters = 0;
  private forwarded = 0;
  private timersFired = 0;

  constructor(
    private readonly options: PartitionProcessorOptions,
    ctx: ReduceContext,
    watermarkDay: number | null,
    private readonly now: () => number,
  ) {
    this.timed = new TimedStates(ctx, (input, reduction) => this.record(input, reduction), watermarkDay);
  }

  get watermarkDay(): number | null {
    return this.timed.watermark;
  }

  /** Takes the loaded states and fires whatever the current watermark has already passed. */
  load(states: Map<string, CustomerState>): void {
    this.timed.adopt(states);
  }

  apply(input: DomainInput): void {
    this.timed.apply(input);
  }

  /** `apply`, with an input that fails to reduce or store dead-lettered (`processing_error`) instead. */
  tryApply(record: BatchRecord, input: DomainInput): void {
    const outcome = this.timed.tryApply(input, checkStorable);
    this.timed.fireDue();
    if (!(outcome instanceof Error)) return;
    const error = outcome;
    // The message only: a stack trace says nothing to the reader of the dead-letter topic.
    const message = error.message;
    this.processingErrors.push({ topic: record.topic, offset: record.offset, customerId: input.customerId, kind: input.kind, message });
    const rejection = { code: 'processing_error' as const, message, issues: [{ field: '', rule: 'processing', message }] };
    this.deadLetter(record.message, deadLetterRecord(record.message, rejection, this.now(), this.options.version));
  }

  deadLetter(message: SourceMessage, value: DeadLetterRecord): void {
    this.deadLetters++;
    this.outbox.push({
      id: `dlq:${message.topic}:${message.partition}:${message.offset}`,
      topic: this.options.topics.TOPIC_DEAD_LETTER,
      key: message.key?.toString('utf8') ?? '',
      value: JSON.stringify(value),
    });
  }

  forward(targetCustomerId: string, id: string, value: InternalRecord): void {
    this.forwarded++;
    this.outbox.push({ id, topic: this.options.topics.TOPIC_INTERNAL, key: targetCustomerId, value: JSON.stringify(value) });
  }

  /** Partition p's position, one progress record for each partition, after everything else of the commit. */
  announce(p: number, position: number, initial: boolean): void {
    const value = JSON.stringify(progressRecordOf(p, Math.max(Number.MIN_SAFE_INTEGER, Math.min(position, Number.MAX_SAFE_INTEGER)), initial));
    const count = this.options.partitionCount;
    for (let target = 0; target < count; target++) {
      this.outbox.push({ id: `progress:${p}:${target}`, topic: this.options.topics.TOPIC_INTERNAL, key: keyForPartition(PROGRESS_KEY, target, count), value });
    }
  }

  dirty(): Map<string, CustomerState> {
    const out = new Map<string, CustomerState>();
    for (const id of this.changed) out.set(id, this.timed.states.get(id) as CustomerState);
    return out;
  }

  counts(): {
    outboxRecords: number;
    deadLetters: number;
    forwarded: number;
    timersFired: number;
    emissions: readonly OutboundEvent[];
    processingErrors: readonly ProcessingFailure[];
  } {
    return {
      outboxRecords: this.outbox.length,
      deadLetters: this.deadLetters,
      forwarded: this.forwarded,
      timersFired: this.timersFired,
      emissions: this.emissions,
      processingErrors: this.processingErrors,
    };
  }

  /** Effects of a reduction leave through the outbox; nothing is applied to another customer here. */
  private record(input: DomainInput | null, reduction: Reduction): void {
    if (!reduction.applied) return;
    if (input === null) this.timersFired++;
    this.changed.add(reduction.state.customerId);
    for (const event of reduction.emits) {
      this.emissions.push(event);
      this.outbox.push(this.emission(event));
    }
    for (const internal of reduction.internal) {
      this.forward(internal.customerId, internal.eventId, internalRecordOf(internal));
    }
  }

  private emission(event: OutboundEvent): OutboxItem {
    return emissionItem(event, this.options.topics);
  }
}

/** An emission's outbox item: its topic, in compact form (the relay writes its JSON, state/emission-codec.ts). */
function emissionItem(event: OutboundEvent, topics: OutputTopics): OutboxItem {
  return { topic: event.type === 'segment-changed' ? topics.TOPIC_SEGMENT_CHANGED : topics.TOPIC_CHURN_RISK, emission: event };
}
