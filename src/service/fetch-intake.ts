/**
 * kafkajs' `eachBatch` for the runner: a fetched batch of one topic-partition
 * is placed against the position we hold, decoded, and pushed into its
 * partition's merge. It never waits on Redis, so heartbeats keep flowing while
 * a partition retries an unavailable Redis; a topic-partition whose buffer is
 * full is paused until the driver has drained it.
 */
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { SourceMessage } from '../ingest/dead-letter-record.js';
import type { Decoded } from '../ingest/decode.js';
import { decodeInternal } from '../ingest/internal-wire.js';
import { RegistryUnavailableError, type MessageDecoder } from '../ingest/message-decoder.js';
import type { MergeRecord } from '../pipeline/partition-merge.js';
import { settleTie } from '../pipeline/settle-order.js';
import { Backoff } from './backoff.js';
import { placeBatch } from './fetch-placement.js';
import type { BatchRecord } from './partition-processor.js';
import type { PartitionTask } from './partition-task.js';
import { retry } from './retry.js';
import type { RunnerObserver } from './runner-observer.js';
import type { Scheduler } from './scheduler.js';
import type { SourceTopic } from './source-topics.js';

export interface FetchIntakeOptions {
  readonly consumer: Pick<Consumer, 'pause' | 'resume'>;
  readonly decoder: MessageDecoder;
  /** A topic-partition holding this many records in its merge is paused (resumed below half). */
  readonly maxBufferedRecords: number;
  readonly topic: (name: string) => SourceTopic | undefined;
  readonly task: (partition: number) => PartitionTask | undefined;
  /** Positions the consumer back at our position (ownership.seekTo). */
  readonly seekTo: (task: PartitionTask, offsets: ReadonlyMap<string, bigint>) => void;
  /** New records are in the task's merge (driver.drainSoon). */
  readonly taken: (task: PartitionTask) => void;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly observer?: RunnerObserver;
  /** Aborted when a stop begins: a registry retry's pause ends at once. */
  readonly stopSignal: AbortSignal;
  readonly noteError: (error: unknown) => void;
}

export class FetchIntake {
  constructor(private readonly options: FetchIntakeOptions) {}

  /** A fetched batch of one topic-partition: decode into the partition's merge; never waits on Redis. */
  async onBatch(payload: EachBatchPayload): Promise<void> {
    const { options } = this;
    const { batch } = payload;
    const source = options.topic(batch.topic);
    const task = options.task(batch.partition);
    if (source === undefined || task === undefined) return;
    if (!(await task.ready) || options.task(batch.partition) !== task || payload.isStale()) return;

    const from = task.fetchNext.get(source.topic) ?? 0n;
    const first = batch.messages[0];
    const high = BigInt(batch.highWatermark);
    const placement = placeBatch(from, first === undefined ? undefined : BigInt(first.offset), BigInt(batch.lastOffset()), task.gapSeen.get(source.topic), high);
    if (placement.kind === 'behind') {
      // Nothing new: the fetch position is behind ours.
      options.logger.debug({ topic: source.topic, partition: task.partition, from: from.toString(), last: batch.lastOffset(), seek: placement.seek }, 'fetched batch behind the position');
      if (placement.seek) options.seekTo(task, new Map([[source.topic, from]]));
      else payload.resolveOffset(batch.lastOffset());
      return;
    }
    if (placement.kind === 'ahead') {
      task.gapSeen.set(source.topic, placement.at);
      options.seekTo(task, new Map([[source.topic, from]]));
      return;
    }
    if (placement.gapSkipped) {
      options.logger.warn({ topic: source.topic, partition: task.partition, from: from.toString(), to: first?.offset }, 'offsets missing from the log (retention); skipping the gap');
      options.observer?.recordsSkipped?.(source.topic, task.partition, 'retention', Number(BigInt(first?.offset ?? from) - from));
    }
    task.gapSeen.delete(source.topic);

    const records: MergeRecord<BatchRecord>[] = [];
    const progress: { source: number; position: number; initial: boolean }[] = [];
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (offset < from) continue;
      const decoded = await this.decodeWithRetry(source, batch.partition, message, () => payload.heartbeat(), () => payload.isRunning() && !task.closed);
      if (decoded === null) return; // stopping or revoked: nothing resolved, nothing lost
      if ('progress' in decoded) progress.push(decoded.progress);
      else records.push({ queue: source.queue, offset, time: decoded.time, tie: tieOf(decoded.record.decoded), item: { ...decoded.record, offset } });
    }
    if (task.closed || options.task(batch.partition) !== task) return;

    task.merge.push(source.queue, records, placement.next >= high, placement.next);
    for (const p of progress) task.merge.notePosition(p.source, p.position, p.initial);
    task.fetchNext.set(source.topic, placement.next);
    task.highWatermark.set(source.topic, high);
    if (records.length > 0) task.lastInputWallMs = options.scheduler.now();
    payload.resolveOffset(batch.lastOffset());
    if (task.merge.buffered(source.queue) >= options.maxBufferedRecords && !task.paused.has(source.topic)) {
      task.paused.add(source.topic);
      options.consumer.pause([{ topic: source.topic, partitions: [task.partition] }]);
    }
    options.taken(task);
  }

  /** Resumes the task's paused topics whose merge queue has drained below half the limit. */
  resumeDrained(task: PartitionTask): void {
    const limit = this.options.maxBufferedRecords / 2;
    for (const topic of [...task.paused]) {
      const source = this.options.topic(topic);
      if (source !== undefined && task.merge.buffered(source.queue) < limit) {
        task.paused.delete(topic);
        this.options.consumer.resume([{ topic, partitions: [task.partition] }]);
      }
    }
  }

  /** Decodes one message; only an unreachable Schema Registry is retried (heartbeating), everything else is data. */
  private async decodeWithRetry(
    source: SourceTopic,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
    keepGoing: () => boolean,
  ): Promise<{ time: number; record: Omit<BatchRecord, 'offset'> } | { progress: { source: number; position: number; initial: boolean } } | null> {
    const { options } = this;
    const sourceMessage: SourceMessage = {
      topic: source.topic,
      partition,
      offset: message.offset,
      timestamp: message.timestamp ?? null,
      key: message.key ?? null,
      value: message.value ?? null,
      headers: message.headers,
    };
    const result = await retry(
      async () => {
        const read =
          source.carries === 'internal'
            ? decodeInternal(message.value ?? null, options.decoder.rules, options.scheduler.now())
            : await options.decoder.decode(message.value ?? null, source.carries);
        if (read.tag === 'progress') return { progress: { source: read.source, position: read.position, initial: read.initial } };
        const decoded: Decoded = read;
        // A rejection has no event time to trust: it goes first, out of the merge's way.
        const time = decoded.at ?? -Infinity;
        return { time, record: { topic: source.topic, decoded, message: sourceMessage } };
      },
      {
        backoff: new Backoff(200, 10_000),
        active: keepGoing,
        signal: options.stopSignal,
        sleep: (ms, signal) => options.scheduler.sleep(ms, signal),
        afterPause: heartbeat,
        onFailure: (error) => {
          if (!(error instanceof RegistryUnavailableError)) return 'throw';
          options.noteError(error);
          options.logger.warn({ topic: source.topic, offset: message.offset, err: error }, 'schema registry unavailable; retrying');
          return 'retry';
        },
      },
    );
    return result.done ? result.value : null;
  }
}

/** Orders internal records of equal time in the merge as the replay does (settle-order.ts); the back-fill uses it too. */
export function tieOf(decoded: Decoded): string {
  if (decoded.tag === 'routed') return settleTie(decoded.input);
  return decoded.tag === 'rejected' ? '' : decoded.input.eventId;
}
