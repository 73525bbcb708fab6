/**
 * `clvstream run`: the Kafka side of the service. One consumer group reads the
 * five inbound topics and the internal topic with the co-partition assigner, so
 * partition p of all six belongs to one member. Per assigned partition:
 *
 *   claim p in Redis (new fencing epoch) → seek every topic to the offset stored
 *   with the state → fetched records are decoded into p's merge → the merge's
 *   records, in (event time, topic, offset) order, go through PartitionProcessor
 *   in batches: one MGET, the reducer, one fenced atomic commit → the outbox
 *   relay produces the batch's records → Kafka's group offsets follow Redis.
 *
 * Redis holds the truth (state and offsets together); Kafka's committed offsets
 * are only brought up to it, for lag tools. A member that lost p without
 * noticing is refused by the epoch check and writes nothing.
 *
 * Fetch handling never waits on Redis: `eachBatch` only decodes and buffers, so
 * heartbeats keep flowing while a partition retries an unavailable Redis with
 * backoff. A topic-partition whose buffer is full is paused until it drains.
 */
import type { SkipReason } from '../ops/metrics.js';
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
} from 'kafkajs';
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.js';
import type { ReduceContext } from '../domain/reducer.js';
import { DAY_MS } from '../domain/time.js';
import { consumerStopMessage, isKafkaAuthorizationError } from '../kafka/authorization.js';
import { CO_PARTITION_ASSIGNER_NAME, coPartitionAssigner } from '../kafka/co-partition-assigner.js';
import type { SourceMessage } from '../ingest/dead-letter-record.js';
import { RegistryUnavailableError, type MessageDecoder } from '../ingest/message-decoder.js';
import { outboundEncoderFrom, type OutboundEncoderSettings } from '../kafka/outbound-encoder.js';
import type { MergeRecord } from '../pipeline/partition-merge.js';
import { FencedError, OffsetOverlapError } from '../state/errors.js';
import { RescoreStore } from '../state/rescore-store.js';
import type { PartitionStore } from '../state/store.js';
import { Backoff, sleep } from './backoff.js';
import { placeBatch } from './fetch-placement.js';
import type { Decoded } from '../ingest/decode.js';
import { decodeInternal } from '../ingest/internal-wire.js';
import { OutboxRelay, RELAY_BATCH_RECORDS, relayProducerConfig, type Relay, type RelayObserver } from './outbox-relay.js';
import { PartitionProcessor, type BatchOutcome, type BatchRecord, type SweepOutcome } from './partition-processor.js';
import { PartitionTask } from './partition-task.js';
import { Rescorer, type RescoreObserver, type RescoreStatus } from './rescore.js';
import { presentSources, sourceTopicsOf, type SourceTopic } from './source-topics.js';
import { checkTopology, TopologyError, type Topology } from './topology.js';

/** A topic-partition's log start and end, as kafkajs' admin gives them. */
type PartitionBounds = { partition: number; low: string; high: string };

/** Due customers per sweep round (one load, reduce and commit). */
const SWEEP_ROUND_CUSTOMERS = 500;

export type RunnerSettings = Pick<
  Settings,
  | 'KAFKA_GROUP_ID'
  | 'KAFKA_SESSION_TIMEOUT_MS'
  | 'KAFKA_HEARTBEAT_INTERVAL_MS'
  | 'KAFKA_FETCH_MAX_WAIT_MS'
  | 'KAFKA_FETCH_MIN_BYTES'
  | 'KAFKA_OFFSET_COMMIT_INTERVAL_MS'
  | 'KAFKA_METADATA_MAX_AGE_MS'
  | 'RUN_BATCH_MAX_RECORDS'
  | 'RUN_MAX_BUFFERED_RECORDS'
  | 'RUN_MERGE_MAX_WAIT_MS'
  | 'RUN_BATCH_LINGER_MS'
  | 'RUN_SWEEP_INTERVAL_MS'
  | 'RUN_IDLE_WATERMARK_SECONDS'
  | 'RUN_SHUTDOWN_TIMEOUT_SECONDS'
  | 'TOPIC_PURCHASE'
  | 'TOPIC_RETURN'
  | 'TOPIC_REFERRAL'
  | 'TOPIC_CANCELLATION'
  | 'TOPIC_FEEDBACK'
  | 'TOPIC_INTERACTION'
  | 'TOPIC_INTERNAL'
  | 'TOPIC_SEGMENT_CHANGED'
  | 'TOPIC_CHURN_RISK'
  | 'TOPIC_DEAD_LETTER'
> &
  Partial<Pick<Settings, 'ON_PROCESSING_ERROR' | 'RESCORE_CUSTOMERS_PER_SECOND' | 'RESCORE_CHUNK_CUSTOMERS'>> &
  OutboundEncoderSettings;

export type { SkipReason } from '../ops/metrics.js';

/** What the runner reports as it goes; the metrics adapter implements it. */
export interface RunnerObserver extends RelayObserver, RescoreObserver {
  assigned?(partitions: readonly number[]): void;
  revoked?(partition: number): void;
  batchCommitted?(partition: number, records: readonly BatchRecord[], outcome: BatchOutcome, seconds: number): void;
  /** A batch's commit failed (retried with backoff until it succeeds or the partition is lost). */
  batchFailed?(partition: number, error: unknown): void;
  /** A sweep round failed (the next tick or watermark day sweeps again). */
  sweepFailed?(partition: number, error: unknown): void;
  swept?(partition: number, outcome: SweepOutcome): void;
  fenced?(partition: number): void;
  recordsSkipped?(topic: string, partition: number, reason: SkipReason, count: number): void;
  /** kafkajs gave up on the consumer after an error and starts it again (it rejoins the group). */
  consumerRestarted?(error: Error): void;
  lag?(topic: string, partition: number, lag: number): void;
}

export interface StreamRunnerOptions {
  readonly settings: RunnerSettings;
  readonly kafka: Kafka;
  readonly store: PartitionStore;
  readonly decoder: MessageDecoder;
  /** The reduce context (configuration + current model); read per batch so a new model version takes effect. */
  readonly context: () => ReduceContext;
  /** Written into dead-letter records. */
  readonly version: string;
  readonly logger: Logger;
  readonly observer?: RunnerObserver;
  /**
   * Moves the outboxes to Kafka; the runner closes it when it stops. Default: an
   * OutboxRelay on this thread with a producer of `kafka` (the service passes a
   * ThreadedRelay).
   */
  readonly relay?: Relay;
  readonly now?: () => number;
}

export interface RunnerStatus {
  readonly state: 'created' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';
  /** Joined the group and holds an assignment (possibly empty). */
  readonly joined: boolean;
  readonly assigned: readonly number[];
  /** Assigned partitions not yet claimed in Redis (Redis unreachable keeps them here). */
  readonly unclaimed: readonly number[];
  readonly partitionCount: number;
  /** Records fetched and not yet taken into a batch, over every partition held. */
  readonly buffered: number;
  /** The background re-score after a model change, per partition held (rescore.ts). */
  readonly rescore: readonly RescoreStatus[];
  readonly lastError: string | null;
}

/** The reason a runner stopped on its own; `run` rejects with it. */
export class FatalRunnerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FatalRunnerError';
  }
}

export class StreamRunner {
  /** The topics read: every source topic, less an optional one the broker lacks (set at start). */
  private sources: SourceTopic[];
  private byTopic: Map<string, SourceTopic>;
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly relay: Relay;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly tasks = new Map<number, PartitionTask>();
  private assignment = new Set<number>();
  private processor: PartitionProcessor | null = null;
  private rescorer: Rescorer | null = null;
  private topology: Topology | null = null;
  private state: RunnerStatus['state'] = 'created';
  private joined = false;
  private lastError: string | null = null;
  private readonly intervals: NodeJS.Timeout[] = [];
  private stopping: Promise<void> | null = null;
  /** Aborted when a stop begins: retry pauses end at once, and failed commits are given up (commitBatch). */
  private readonly stopRequested = new AbortController();
  /** Partitions fenced while our assignment still listed them: claimed again after the next heartbeat (onFenced). */
  private readonly fencedUnconfirmed = new Set<number>();
  /** The topics' log bounds being read for the claims under way (logBounds). */
  private boundsRead: Promise<Map<string, PartitionBounds[]>> | null = null;
  private settleFailure!: (error: FatalRunnerError) => void;
  /** Rejects when the runner fails on its own (the consumer crashed for good). */
  readonly failure: Promise<never>;

  constructor(private readonly options: StreamRunnerOptions) {
    const s = options.settings;
    this.sources = sourceTopicsOf(s);
    this.byTopic = new Map(this.sources.map((t) => [t.topic, t]));
    this.now = options.now ?? Date.now;
    this.log = options.logger;
    this.consumer = options.kafka.consumer({
      groupId: s.KAFKA_GROUP_ID,
      partitionAssigners: [coPartitionAssigner],
      sessionTimeout: s.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatInterval: s.KAFKA_HEARTBEAT_INTERVAL_MS,
      rebalanceTimeout: Math.max(s.KAFKA_SESSION_TIMEOUT_MS, 10_000),
      maxWaitTimeInMs: s.KAFKA_FETCH_MAX_WAIT_MS,
      minBytes: s.KAFKA_FETCH_MIN_BYTES,
      allowAutoTopicCreation: false,
      readUncommitted: false,
      metadataMaxAge: s.KAFKA_METADATA_MAX_AGE_MS,
    });
    this.admin = options.kafka.admin();
    this.relay =
      options.relay ??
      new OutboxRelay(
        options.store,
        () => options.kafka.producer(relayProducerConfig(s)),
        RELAY_BATCH_RECORDS,
        options.observer,
        outboundEncoderFrom(options.settings),
      );
    this.failure = new Promise<never>((_, reject) => (this.settleFailure = reject));
    this.failure.catch(() => undefined); // observed through `failure` or `status`
  }

  /** The topics read: after start, without an optional topic the broker lacks. */
  readTopics(): string[] {
    return this.sources.map((t) => t.topic);
  }

  status(): RunnerStatus {
    const unclaimed: number[] = [];
    for (const p of this.assignment) if ((this.tasks.get(p)?.epoch ?? 0) === 0) unclaimed.push(p);
    return {
      state: this.state,
      joined: this.joined,
      assigned: [...this.assignment].sort((a, b) => a - b),
      unclaimed,
      partitionCount: this.topology?.partitionCount ?? 0,
      buffered: [...this.tasks.values()].reduce((n, task) => n + this.bufferedRecords(task), 0),
      rescore: this.rescorer?.status() ?? [],
      lastError: this.lastError,
    };
  }

  /**
   * Checks the topics, connects and joins the group. Resolves once consuming
   * has started; a topology problem (missing topics, partition counts that
   * differ) rejects with a FatalRunnerError naming it.
   */
  async start(): Promise<void> {
    if (this.state !== 'created') throw new Error(`runner already ${this.state}`);
    this.state = 'starting';
    const s = this.options.settings;
    try {
      await this.admin.connect();
      this.topology = await checkTopology(this.admin, this.sources, [s.TOPIC_INTERNAL, s.TOPIC_SEGMENT_CHANGED, s.TOPIC_CHURN_RISK, s.TOPIC_DEAD_LETTER]);
      if (this.topology.missingOptional.length > 0) {
        this.sources = presentSources(this.sources, new Set(this.topology.missingOptional));
        this.byTopic = new Map(this.sources.map((t) => [t.topic, t]));
        this.log.warn(
          { missing: this.topology.missingOptional },
          'optional topics are missing: their events are not read until they are created (clvstream topics create) and the service is restarted',
        );
      }
      this.processor = new PartitionProcessor(this.options.store, {
        ctx: this.options.context(),
        topics: s,
        partitionCount: this.topology.partitionCount,
        version: this.options.version,
        now: this.now,
        onProcessingError: s.ON_PROCESSING_ERROR ?? 'dead-letter',
      });
      this.rescorer = this.newRescorer();
      await this.consumer.connect();
      await this.consumer.subscribe({ topics: this.sources.map((t) => t.topic), fromBeginning: true });
    } catch (error) {
      this.state = 'failed';
      await this.disconnectQuietly();
      if (error instanceof FatalRunnerError || error instanceof TopologyError) throw error;
      throw new FatalRunnerError(`start-up failed: ${(error as Error).message}`, { cause: error });
    }
    const { GROUP_JOIN, REBALANCING, CRASH, HEARTBEAT } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, (event) => this.onAssignment(event.payload.memberAssignment, event.payload.groupProtocol));
    this.consumer.on(HEARTBEAT, () => this.reclaimFenced());
    this.consumer.on(REBALANCING, () => {
      this.joined = false;
    });
    this.consumer.on(CRASH, (event) => {
      const { error, restart } = event.payload;
      this.lastError = error.message;
      this.log.error({ err: error, restart }, 'consumer crashed');
      if (restart) this.options.observer?.consumerRestarted?.(error);
      if (!restart) {
        this.fail(new FatalRunnerError(`the Kafka consumer stopped: ${consumerStopMessage(error, this.options.settings.KAFKA_GROUP_ID, this.readTopics())}`, { cause: error }));
      }
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.min(this.sources.length * this.topology.partitionCount, 8),
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.intervals.push(setInterval(() => this.tick(), s.RUN_SWEEP_INTERVAL_MS));
    this.intervals.push(setInterval(() => void this.commitKafkaOffsets(), s.KAFKA_OFFSET_COMMIT_INTERVAL_MS));
    this.state = 'running';
    this.log.info({ partitions: this.topology.partitionCount, topics: this.sources.map((t) => t.topic) }, 'consuming');
  }

  /**
   * Graceful stop, bounded by RUN_SHUTDOWN_TIMEOUT_SECONDS: stop fetching, let
   * each partition finish and commit the batch in flight, relay the outboxes,
   * bring Kafka's offsets up to Redis, then leave the group. Rejects when the
   * bound is exceeded (what was committed stays committed; the rest is redone by
   * the next owner).
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const previous = this.state;
    this.state = 'stopping';
    this.stopRequested.abort();
    for (const timer of this.intervals) clearInterval(timer);
    this.rescorer?.close();
    if (previous === 'created') {
      this.state = 'stopped';
      return;
    }
    const bound = this.options.settings.RUN_SHUTDOWN_TIMEOUT_SECONDS * 1000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), bound)));
    const steps = (async () => {
      try {
        this.consumer.pause(this.sources.map((t) => ({ topic: t.topic })));
      } catch {
        // not running: nothing to pause
      }
      await Promise.all([...this.tasks.values()].map((t) => t.idle()));
      await Promise.all([...this.tasks.values()].map((t) => this.relayOnce(t)));
      await this.commitKafkaOffsets();
      for (const task of this.tasks.values()) task.close();
      await this.disconnectQuietly();
      return 'done' as const;
    })();
    const outcome = await Promise.race([steps, timeout]);
    clearTimeout(timer);
    this.state = 'stopped';
    if (outcome === 'timeout') {
      for (const task of this.tasks.values()) task.close();
      void this.disconnectQuietly();
      throw new FatalRunnerError(`graceful stop took longer than ${bound / 1000} s (RUN_SHUTDOWN_TIMEOUT_SECONDS)`);
    }
    this.log.info('stopped');
  }

  private newRescorer(): Rescorer {
    const s = this.options.settings;
    return new Rescorer({
      store: new RescoreStore(this.options.store),
      processor: () => this.processor as PartitionProcessor,
      context: this.options.context,
      chunkCustomers: s.RESCORE_CHUNK_CUSTOMERS ?? 200,
      customersPerSecond: s.RESCORE_CUSTOMERS_PER_SECOND ?? 2_000,
      logger: this.log,
      observer: this.options.observer,
      relay: (task) => void this.relayOnce(task, task.signal),
      onFenced: (task) => this.onFenced(task),
      active: () => this.state === 'running',
      now: this.now,
    });
  }

  private fail(error: FatalRunnerError): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    this.state = 'failed';
    this.lastError = error.message;
    for (const timer of this.intervals) clearInterval(timer);
    for (const task of this.tasks.values()) task.close();
    void this.disconnectQuietly();
    this.settleFailure(error);
  }

  private async disconnectQuietly(): Promise<void> {
    await Promise.allSettled([this.consumer.disconnect(), this.relay.close(), this.admin.disconnect()]);
  }

  // ------------------------------------------------------------------ assignment

  /** A (re)join finished: drop partitions we lost, claim new ones, re-position kept ones. */
  private onAssignment(memberAssignment: Record<string, number[]>, protocol: string): void {
    if (protocol !== CO_PARTITION_ASSIGNER_NAME) {
      this.fail(new FatalRunnerError(`the group ${this.options.settings.KAFKA_GROUP_ID} uses assignor '${protocol}'; every member must run clvstream's ${CO_PARTITION_ASSIGNER_NAME}`));
      return;
    }
    const mine = new Set(memberAssignment[this.sources[0]?.topic ?? ''] ?? []);
    this.assignment = mine;
    this.joined = true;
    this.fencedUnconfirmed.clear(); // the new assignment is the group's current view: claimed below
    for (const [p, task] of this.tasks) {
      if (!mine.has(p)) {
        task.close();
        this.tasks.delete(p);
        this.rescorer?.forget(p);
        this.options.observer?.revoked?.(p);
        this.log.info({ partition: p }, 'partition revoked');
      }
    }
    for (const p of mine) {
      const kept = this.tasks.get(p);
      if (kept === undefined) this.startTask(p);
      else void kept.ready.then((claimed) => claimed && this.seekTo(kept, kept.fetchNext));
    }
    this.options.observer?.assigned?.([...mine]);
    this.log.info({ partitions: [...mine].sort((a, b) => a - b) }, 'assignment');
  }

  private startTask(p: number): void {
    const task = new PartitionTask(p, this.sources.length, this.options.settings.RUN_MERGE_MAX_WAIT_MS, this.now());
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
    const backoff = new Backoff();
    while (!task.closed) {
      try {
        const bounds = await this.offsetBounds(p);
        if (task.closed) return;
        const claim = await this.options.store.claim(p);
        for (const source of this.sources) {
          const { low, high } = bounds.get(source.topic) ?? { low: 0n, high: 0n };
          const stored = claim.nextOffsets.get(source.topic);
          // No stored offset: this state has never seen the topic, so start at its
          // beginning — never at a Kafka group offset that a different state wrote.
          let next = stored === undefined ? low : BigInt(stored);
          if (next < low) {
            this.log.warn({ topic: source.topic, partition: p, stored: next.toString(), logStart: low.toString() }, 'records after the stored offset are gone (retention); resuming at the log start');
            this.options.observer?.recordsSkipped?.(source.topic, p, 'retention', Number(low - next));
            next = low;
          } else if (next > high) {
            // Records below the stored offset are never read again (the position
            // does not move backwards): a topic recreated under the same name, or
            // a log that lost its tail, would otherwise be skipped in silence.
            this.log.warn({ topic: source.topic, partition: p, stored: next.toString(), logEnd: high.toString() }, 'the stored offset is past the log end (topic recreated, or records lost by the broker); records below it are not read');
          }
          task.fetchNext.set(source.topic, next);
          task.storedNext.set(source.topic, next);
          task.highWatermark.set(source.topic, high);
          task.merge.setCaughtUp(source.queue, next >= high);
        }
        task.epoch = claim.epoch;
        task.watermarkDay = claim.watermarkDay;
        if (task.closed) return;
        this.seekTo(task, task.fetchNext);
        task.markReady(true);
        this.log.info({ partition: p, epoch: claim.epoch, offsets: Object.fromEntries([...task.fetchNext].map(([t, o]) => [t, o.toString()])) }, 'partition claimed');
        void this.relayOnce(task, task.signal);
        return;
      } catch (error) {
        this.lastError = (error as Error).message;
        this.log.warn({ partition: p, err: error }, 'claim failed; retrying');
        await sleep(backoff.next(), this.retrySignal(task));
        if (this.state === 'stopping') return; // nothing of p is ours yet: nothing to finish
      }
    }
  }

  /** Ends a retry's pause when the partition is lost or a stop begins. */
  private retrySignal(task: PartitionTask): AbortSignal {
    return AbortSignal.any([task.signal, this.stopRequested.signal]);
  }

  /** Log start (low) and end (high) of partition p of every source topic. */
  private async offsetBounds(p: number): Promise<Map<string, { low: bigint; high: bigint }>> {
    const all = await this.logBounds();
    const bounds = new Map<string, { low: bigint; high: bigint }>();
    for (const source of this.sources) {
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
      for (const source of this.sources) all.set(source.topic, await this.admin.fetchTopicOffsets(source.topic));
      return all;
    })().finally(() => (this.boundsRead = null));
    return this.boundsRead;
  }

  private seekTo(task: PartitionTask, offsets: ReadonlyMap<string, bigint>): void {
    for (const [topic, offset] of offsets) {
      try {
        this.consumer.seek({ topic, partition: task.partition, offset: offset.toString() });
      } catch (error) {
        // Only possible while the consumer is not running (stopping); the next join seeks again.
        this.log.debug({ topic, partition: task.partition, err: error }, 'seek skipped');
      }
    }
  }

  // ---------------------------------------------------------------------- fetch

  /** A fetched batch of one topic-partition: decode into the partition's merge; never waits on Redis. */
  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const source = this.byTopic.get(batch.topic);
    const task = this.tasks.get(batch.partition);
    if (source === undefined || task === undefined) return;
    if (!(await task.ready) || this.tasks.get(batch.partition) !== task || payload.isStale()) return;

    const from = task.fetchNext.get(source.topic) ?? 0n;
    const first = batch.messages[0];
    const high = BigInt(batch.highWatermark);
    const placement = placeBatch(from, first === undefined ? undefined : BigInt(first.offset), BigInt(batch.lastOffset()), task.gapSeen.get(source.topic), high);
    if (placement.kind === 'behind') {
      // Nothing new: the fetch position is behind ours.
      this.log.debug({ topic: source.topic, partition: task.partition, from: from.toString(), last: batch.lastOffset(), seek: placement.seek }, 'fetched batch behind the position');
      if (placement.seek) this.seekTo(task, new Map([[source.topic, from]]));
      else payload.resolveOffset(batch.lastOffset());
      return;
    }
    if (placement.kind === 'ahead') {
      task.gapSeen.set(source.topic, placement.at);
      this.seekTo(task, new Map([[source.topic, from]]));
      return;
    }
    if (placement.gapSkipped) {
      this.log.warn({ topic: source.topic, partition: task.partition, from: from.toString(), to: first?.offset }, 'offsets missing from the log (retention); skipping the gap');
      this.options.observer?.recordsSkipped?.(source.topic, task.partition, 'retention', Number(BigInt(first?.offset ?? from) - from));
    }
    task.gapSeen.delete(source.topic);

    const records: MergeRecord<BatchRecord>[] = [];
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (offset < from) continue;
      const decoded = await this.decodeWithRetry(source, batch.partition, message, () => payload.heartbeat(), () => payload.isRunning() && !task.closed);
      if (decoded === null) return; // stopping or revoked: nothing resolved, nothing lost
      records.push({ queue: source.queue, offset, time: decoded.time, item: { ...decoded.record, offset } });
    }
    if (task.closed || this.tasks.get(batch.partition) !== task) return;

    task.merge.push(source.queue, records, placement.next >= high);
    task.fetchNext.set(source.topic, placement.next);
    task.highWatermark.set(source.topic, high);
    if (records.length > 0) task.lastInputWallMs = this.now();
    payload.resolveOffset(batch.lastOffset());
    if (task.merge.buffered(source.queue) >= this.options.settings.RUN_MAX_BUFFERED_RECORDS && !task.paused.has(source.topic)) {
      task.paused.add(source.topic);
      this.consumer.pause([{ topic: source.topic, partitions: [task.partition] }]);
    }
    this.drainSoon(task);
  }

  /** Decodes one message; only an unreachable Schema Registry is retried (heartbeating), everything else is data. */
  private async decodeWithRetry(
    source: SourceTopic,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
    keepGoing: () => boolean,
  ): Promise<{ time: number; record: Omit<BatchRecord, 'offset'> } | null> {
    const sourceMessage: SourceMessage = {
      topic: source.topic,
      partition,
      offset: message.offset,
      timestamp: message.timestamp ?? null,
      key: message.key ?? null,
      value: message.value ?? null,
      headers: message.headers,
    };
    const backoff = new Backoff(200, 10_000);
    for (;;) {
      try {
        const decoded: Decoded =
          source.carries === 'internal'
            ? decodeInternal(message.value ?? null, this.options.decoder.rules, this.now())
            : await this.options.decoder.decode(message.value ?? null, source.carries);
        // A rejection has no event time to trust: it goes first, out of the merge's way.
        const time = decoded.at ?? -Infinity;
        return { time, record: { topic: source.topic, decoded, message: sourceMessage } };
      } catch (error) {
        if (!(error instanceof RegistryUnavailableError)) throw error;
        this.lastError = error.message;
        this.log.warn({ topic: source.topic, offset: message.offset, err: error }, 'schema registry unavailable; retrying');
        if (!keepGoing()) return null;
        await sleep(backoff.next(), this.stopRequested.signal);
        await heartbeat();
        if (!keepGoing()) return null;
      }
    }
  }

  // ----------------------------------------------------------------- processing

  /**
   * A fetch brought records: drain them after RUN_BATCH_LINGER_MS, so the
   * other topics' fetch responses of the same round (a partition's six topics
   * are led by different brokers, each answering on its own wait) join the same
   * batch instead of making batches of their own. A full batch's worth drains
   * at once.
   */
  private drainSoon(task: PartitionTask): void {
    const linger = this.options.settings.RUN_BATCH_LINGER_MS;
    if (linger === 0 || this.bufferedRecords(task) >= this.options.settings.RUN_BATCH_MAX_RECORDS) {
      this.scheduleDrain(task);
      return;
    }
    task.lingerThen(linger, () => this.scheduleDrain(task));
  }

  private bufferedRecords(task: PartitionTask): number {
    let n = 0;
    for (const source of this.sources) n += task.merge.buffered(source.queue);
    return n;
  }

  private scheduleDrain(task: PartitionTask): void {
    void task.enqueue('drain', () => this.drain(task)).catch((error: unknown) => this.log.error({ partition: task.partition, err: error }, 'drain failed'));
  }

  /** Takes records off p's merge in batches and commits them, until the merge must wait. */
  private async drain(task: PartitionTask): Promise<void> {
    const max = this.options.settings.RUN_BATCH_MAX_RECORDS;
    while (!task.closed && this.state !== 'stopping') {
      const now = this.now();
      const batch: BatchRecord[] = [];
      for (let next = task.merge.next(now); next !== undefined; next = batch.length < max ? task.merge.next(now) : undefined) {
        batch.push(next.item);
        if (batch.length >= max) break;
      }
      if (batch.length === 0) return;
      const dayBefore = task.watermarkDay;
      if (!(await this.commitBatch(task, batch))) return;
      this.resumeDrained(task);
      void this.relayOnce(task, task.signal);
      // A new watermark day can make checks due: sweep them after this drain
      // rather than at the next tick, in one burst with a second's worth of others.
      if (task.watermarkDay !== null && (dayBefore === null || task.watermarkDay > dayBefore)) this.scheduleSweep(task);
    }
  }

  /**
   * Commits one batch, retrying while Redis is unavailable. False when p is no
   * longer ours, or when a stop began and the commit failed: a stop does not
   * wait for a partition a failing commit holds (until RUN_SHUTDOWN_TIMEOUT_SECONDS).
   * Giving up is exact: the script stores a batch's states and offsets together
   * or not at all, so the next owner starts from whichever Redis holds.
   */
  private async commitBatch(task: PartitionTask, records: BatchRecord[]): Promise<boolean> {
    const processor = this.processor as PartitionProcessor;
    const p = task.partition;
    const backoff = new Backoff();
    while (!task.closed) {
      const started = performance.now();
      try {
        processor.context = this.options.context();
        const outcome = await processor.processBatch(p, task.epoch, task.watermarkDay, records);
        task.watermarkDay = outcome.watermarkDay;
        for (const failure of outcome.processingErrors) {
          // No customer id at warn level (docs/operations.md, Logging): the dead letter carries the message.
          this.log.warn({ partition: p, topic: failure.topic, offset: failure.offset.toString(), error: failure.message }, 'input failed to reduce or store; dead-lettered (processing_error)');
        }
        for (const r of records) {
          const next = r.offset + 1n;
          if ((task.storedNext.get(r.topic) ?? -1n) < next) task.storedNext.set(r.topic, next);
        }
        this.reportLag(task);
        this.options.observer?.batchCommitted?.(p, records, outcome, (performance.now() - started) / 1000);
        return true;
      } catch (error) {
        if (error instanceof FencedError) {
          this.onFenced(task);
          return false;
        }
        if (error instanceof OffsetOverlapError) {
          records = this.withoutStored(task, records, error.storedNext);
          if (records.length === 0) return true;
          continue;
        }
        this.lastError = (error as Error).message;
        this.options.observer?.batchFailed?.(p, error);
        if (this.state === 'stopping') {
          this.log.warn({ partition: p, records: records.length, err: error }, 'batch commit failed while stopping; left to the next owner');
          return false;
        }
        this.log.warn({ partition: p, records: records.length, err: error }, 'batch commit failed; retrying');
        await sleep(backoff.next(), this.retrySignal(task));
      }
    }
    return false;
  }

  /**
   * The records after the stored offsets, once a commit was refused because
   * some are stored already (OffsetOverlapError; nothing was written). They
   * reached the merge twice, which the fetch placement exists to prevent: a
   * warning and `recordsSkipped` make it visible.
   */
  private withoutStored(task: PartitionTask, records: readonly BatchRecord[], storedNext: ReadonlyMap<string, bigint>): BatchRecord[] {
    const kept: BatchRecord[] = [];
    const dropped = new Map<string, number>();
    for (const r of records) {
      if (r.offset >= (storedNext.get(r.topic) ?? 0n)) kept.push(r);
      else dropped.set(r.topic, (dropped.get(r.topic) ?? 0) + 1);
    }
    this.log.warn({ partition: task.partition, records: records.length, dropped: Object.fromEntries(dropped), stored: Object.fromEntries([...storedNext].map(([t, o]) => [t, o.toString()])) }, 'batch repeats stored records; dropping those');
    for (const [topic, next] of storedNext) if ((task.storedNext.get(topic) ?? -1n) < next) task.storedNext.set(topic, next);
    for (const [topic, count] of dropped) this.options.observer?.recordsSkipped?.(topic, task.partition, 'already_stored', count);
    return kept;
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
  private onFenced(task: PartitionTask): void {
    const p = task.partition;
    this.options.observer?.fenced?.(p);
    this.log.warn({ partition: p, epoch: task.epoch }, 'fenced: another member owns the partition now');
    task.close();
    if (this.tasks.get(p) === task) this.tasks.delete(p);
    this.rescorer?.forget(p);
    if (this.assignment.has(p) && this.state === 'running') this.fencedUnconfirmed.add(p);
  }

  /**
   * A heartbeat succeeded, so the assignment we hold is the group's current
   * one: a fenced partition it still gives us was claimed from outside the
   * group (a back-fill run against a live service, an operator): claim it again.
   * (A heartbeat answered before a freeze but read after the fence would pass
   * for one; the claims it starts then only cost churn, as before: the epoch
   * and offset checks keep the state exact either way.)
   */
  private reclaimFenced(): void {
    if (this.fencedUnconfirmed.size === 0) return;
    const partitions = [...this.fencedUnconfirmed];
    this.fencedUnconfirmed.clear();
    if (this.state !== 'running') return;
    for (const p of partitions) if (this.assignment.has(p) && !this.tasks.has(p)) this.startTask(p);
  }

  private resumeDrained(task: PartitionTask): void {
    const limit = this.options.settings.RUN_MAX_BUFFERED_RECORDS / 2;
    for (const topic of [...task.paused]) {
      const source = this.byTopic.get(topic);
      if (source !== undefined && task.merge.buffered(source.queue) < limit) {
        task.paused.delete(topic);
        this.consumer.resume([{ topic, partitions: [task.partition] }]);
      }
    }
  }

  private reportLag(task: PartitionTask): void {
    const observer = this.options.observer;
    if (observer?.lag === undefined) return;
    for (const source of this.sources) {
      const high = task.highWatermark.get(source.topic) ?? 0n;
      const stored = task.storedNext.get(source.topic) ?? 0n;
      observer.lag(source.topic, task.partition, Number(high > stored ? high - stored : 0n));
    }
  }

  // ------------------------------------------------------ timers, relay, offsets

  /** Periodic: drain what waited on a slow fetch, sweep due checks (also the wall-clock fallback's), relay leftovers. */
  private tick(): void {
    if (this.state !== 'running') return;
    for (const task of this.tasks.values()) {
      if (task.epoch === 0 || task.closed) continue;
      this.drainSoon(task);
      this.scheduleSweep(task);
      this.rescorer?.poke(task);
      void this.relayOnce(task, task.signal);
    }
  }

  private scheduleSweep(task: PartitionTask): void {
    void task.enqueue('sweep', () => this.sweep(task)).catch((error: unknown) => {
      this.lastError = (error as Error).message;
      this.options.observer?.sweepFailed?.(task.partition, error);
      this.log.warn({ partition: task.partition, err: error }, 'sweep failed');
    });
  }

  /**
   * Fires the due checks of customers no batch touched, up to the watermark,
   * SWEEP_ROUND_CUSTOMERS at a time. More due customers queue another round
   * behind the partition's work: a batch that arrived meanwhile goes first, so a
   * burst of due checks delays live events by one round, not by all of them.
   * An idle, caught-up partition lets wall-clock time move its watermark (after
   * RUN_IDLE_WATERMARK_SECONDS), so customers still turn "at risk" when the
   * whole partition goes quiet.
   */
  private async sweep(task: PartitionTask): Promise<void> {
    const processor = this.processor as PartitionProcessor;
    let watermark = task.watermarkDay;
    let storeWatermark = false;
    const idleMs = this.options.settings.RUN_IDLE_WATERMARK_SECONDS * 1000;
    if (idleMs > 0 && this.now() - task.lastInputWallMs >= idleMs && this.caughtUp(task)) {
      const today = Math.floor(this.now() / DAY_MS);
      if (watermark === null || today > watermark) {
        watermark = today;
        storeWatermark = true;
      }
    }
    if (watermark === null || task.closed) return;
    processor.context = this.options.context();
    try {
      const outcome = await processor.sweep(task.partition, task.epoch, watermark, SWEEP_ROUND_CUSTOMERS, storeWatermark);
      if (storeWatermark) task.watermarkDay = watermark;
      if (outcome.customers > 0) this.options.observer?.swept?.(task.partition, outcome);
      if (outcome.more && this.state === 'running') this.scheduleSweep(task);
    } catch (error) {
      if (error instanceof FencedError) this.onFenced(task);
      else throw error;
    }
  }

  /** Nothing buffered and every topic at its high watermark as last seen. */
  private caughtUp(task: PartitionTask): boolean {
    return this.sources.every((s) => task.merge.buffered(s.queue) === 0 && (task.fetchNext.get(s.topic) ?? 0n) >= (task.highWatermark.get(s.topic) ?? 0n));
  }

  /** One relay pass for the task's partition; `stop` (the task's signal) ends it early when the partition is lost. */
  private async relayOnce(task: PartitionTask, stop?: AbortSignal): Promise<void> {
    if (task.epoch === 0) return;
    try {
      await this.relay.relay(task.partition, stop);
    } catch (error) {
      if (isKafkaAuthorizationError(error)) {
        // A missing ACL: every retry would be refused the same way.
        this.fail(new FatalRunnerError(error.message, { cause: error }));
        return;
      }
      this.lastError = (error as Error).message;
      this.log.warn({ partition: task.partition, err: error }, 'outbox relay failed; the next tick retries');
    }
  }

  /** Brings Kafka's group offsets up to what Redis holds (never ahead of it). */
  private async commitKafkaOffsets(): Promise<void> {
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    const done: [PartitionTask, string, bigint][] = [];
    for (const task of this.tasks.values()) {
      if (task.closed || task.epoch === 0) continue;
      for (const [topic, next] of task.storedNext) {
        if ((task.kafkaCommitted.get(topic) ?? -1n) >= next) continue;
        offsets.push({ topic, partition: task.partition, offset: next.toString() });
        done.push([task, topic, next]);
      }
    }
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(offsets);
      for (const [task, topic, next] of done) task.kafkaCommitted.set(topic, next);
    } catch (error) {
      // A rebalance or a coordinator move: Redis has the truth; the next interval tries again.
      this.log.debug({ err: error }, 'offset commit to Kafka skipped');
    }
  }
}
