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
 * This class is the lifecycle (start, stop, failure) and composes the parts,
 * one role each: partition-ownership.ts (assignment, claim, seek, fencing),
 * fetch-intake.ts (eachBatch: decode into the merge, pause and resume),
 * partition-driver.ts (batches, commits, sweeps; no Kafka client),
 * kafka-offsets.ts (group offsets and lag) and runner-observer.ts (what it
 * reports).
 *
 * Redis holds the truth (state and offsets together); Kafka's committed offsets
 * are only brought up to it, for lag tools. A member that lost p without
 * noticing is refused by the epoch check and writes nothing.
 */
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { ReduceContext } from '../domain/reducer.js';
import { DAY_MS } from '../domain/time.js';
import type { SettleGate } from '../pipeline/partition-merge.js';
import { consumerStopMessage, isKafkaAuthorizationError } from '../kafka/authorization.js';
import { coPartitionAssigner } from '../kafka/co-partition-assigner.js';
import type { MessageDecoder } from '../ingest/message-decoder.js';
import { outboundEncoderFrom } from '../kafka/outbound-encoder.js';
import { RescoreStore } from '../state/rescore-store.js';
import type { PartitionStore } from '../state/store.js';
import { FatalRunnerError } from './fatal-runner-error.js';
import { FetchIntake } from './fetch-intake.js';
import { commitKafkaOffsets, observeLag } from './kafka-offsets.js';
import { OutboxRelay, RELAY_BATCH_RECORDS, relayProducerOptions, type Relay } from './outbox-relay.js';
import { PartitionDriver } from './partition-driver.js';
import { PartitionOwnership } from './partition-ownership.js';
import { PartitionProcessor } from './partition-processor.js';
import type { PartitionTask } from './partition-task.js';
import { Rescorer, type RescoreStatus } from './rescore.js';
import type { RunnerObserver } from './runner-observer.js';
import type { RunnerSettings } from './runner-settings.js';
import { systemScheduler, type Scheduler } from './scheduler.js';
import { presentSources, sourceTopicsOf, type SourceTopic } from './source-topics.js';
import { checkTopology, TopologyError, type Topology } from './topology.js';

/** Due customers per sweep round (one load, reduce and commit). */
const SWEEP_ROUND_CUSTOMERS = 500;
/** How often a held partition announces its position at least (a heartbeat for partitions that restarted), and at most when only the clock moved it. */
const ANNOUNCE_INTERVAL_MS = 5_000;

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

export class StreamRunner {
  /** The topics read: every source topic, less an optional one the broker lacks (set at start). */
  private sources: SourceTopic[];
  private byTopic: Map<string, SourceTopic>;
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly relay: Relay;
  private readonly scheduler: Scheduler;
  private readonly log: Logger;
  private readonly ownership: PartitionOwnership;
  private readonly intake: FetchIntake;
  private readonly driver: PartitionDriver;
  private processor: PartitionProcessor | null = null;
  private rescorer: Rescorer | null = null;
  private topology: Topology | null = null;
  private state: RunnerStatus['state'] = 'created';
  private lastError: string | null = null;
  private readonly intervals: NodeJS.Timeout[] = [];
  private stopping: Promise<void> | null = null;
  /** Aborted when a stop begins: retry pauses end at once, and failed commits are given up. */
  private readonly stopRequested = new AbortController();
  private settleFailure!: (error: FatalRunnerError) => void;
  /** Rejects when the runner fails on its own (the consumer crashed for good). */
  readonly failure: Promise<never>;

  constructor(private readonly options: StreamRunnerOptions) {
    const s = options.settings;
    this.sources = sourceTopicsOf(s);
    this.byTopic = new Map(this.sources.map((t) => [t.topic, t]));
    this.scheduler = systemScheduler(options.now ?? Date.now);
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
        () => options.kafka.producer(relayProducerOptions(s)),
        RELAY_BATCH_RECORDS,
        options.observer,
        outboundEncoderFrom(options.settings),
      );
    const noteError = (error: unknown): void => {
      this.lastError = (error as Error).message;
    };
    const relayOnce = (task: PartitionTask): void => void this.relayOnce(task, task.signal);
    this.ownership = new PartitionOwnership({
      groupId: s.KAFKA_GROUP_ID,
      mergeMaxWaitMs: s.RUN_MERGE_MAX_WAIT_MS,
      consumer: this.consumer,
      admin: this.admin,
      store: options.store,
      sources: () => this.sources,
      gate: () => this.settleGate(),
      scheduler: this.scheduler,
      logger: this.log,
      observer: options.observer,
      running: () => this.state === 'running',
      stopping: () => this.state === 'stopping',
      stopSignal: this.stopRequested.signal,
      relay: relayOnce,
      forget: (p) => this.rescorer?.forget(p),
      fail: (error) => this.fail(error),
      noteError,
    });
    this.driver = new PartitionDriver({
      processor: () => this.processor as PartitionProcessor,
      context: options.context,
      policy: {
        batchMaxRecords: s.RUN_BATCH_MAX_RECORDS,
        lingerMs: s.RUN_BATCH_LINGER_MS,
        idleWatermarkMs: s.RUN_IDLE_WATERMARK_SECONDS * 1000,
        sweepRoundCustomers: SWEEP_ROUND_CUSTOMERS,
        sweepOnNewDay: true,
        retryCommits: true,
        announceIntervalMs: ANNOUNCE_INTERVAL_MS,
      },
      scheduler: this.scheduler,
      sources: () => this.sources,
      logger: this.log,
      observer: options.observer,
      accepting: () => this.state !== 'stopping',
      running: () => this.state === 'running',
      stopSignal: this.stopRequested.signal,
      committed: (task) => {
        observeLag(task, this.sources, options.observer);
        this.intake.resumeDrained(task);
      },
      relay: relayOnce,
      fenced: (task) => this.ownership.onFenced(task),
      noteError,
    });
    this.intake = new FetchIntake({
      consumer: this.consumer,
      decoder: options.decoder,
      maxBufferedRecords: s.RUN_MAX_BUFFERED_RECORDS,
      topic: (name) => this.byTopic.get(name),
      task: (p) => this.ownership.tasks.get(p),
      seekTo: (task, offsets) => this.ownership.seekTo(task, offsets),
      taken: (task) => this.driver.drainSoon(task),
      scheduler: this.scheduler,
      logger: this.log,
      observer: options.observer,
      stopSignal: this.stopRequested.signal,
      noteError,
    });
    this.failure = new Promise<never>((_, reject) => (this.settleFailure = reject));
    this.failure.catch(() => undefined); // observed through `failure` or `status`
  }

  /** The topics read: after start, without an optional topic the broker lacks. */
  readTopics(): string[] {
    return this.sources.map((t) => t.topic);
  }

  status(): RunnerStatus {
    const tasks = [...this.ownership.tasks.values()];
    return {
      state: this.state,
      joined: this.ownership.joined,
      assigned: [...this.ownership.assignment].sort((a, b) => a - b),
      unclaimed: this.ownership.unclaimed(),
      partitionCount: this.topology?.partitionCount ?? 0,
      buffered: tasks.reduce((n, task) => n + this.driver.bufferedRecords(task), 0),
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
        now: this.scheduler.now,
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
    this.consumer.on(GROUP_JOIN, (event) => this.ownership.onAssignment(event.payload.memberAssignment, event.payload.groupProtocol));
    this.consumer.on(HEARTBEAT, () => this.ownership.reclaimFenced());
    this.consumer.on(REBALANCING, () => {
      this.ownership.joined = false;
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
      eachBatch: (payload) => this.intake.onBatch(payload),
    });
    this.intervals.push(setInterval(() => this.tick(), s.RUN_SWEEP_INTERVAL_MS));
    this.intervals.push(setInterval(() => void commitKafkaOffsets(this.consumer, this.ownership.tasks.values(), this.log), s.KAFKA_OFFSET_COMMIT_INTERVAL_MS));
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
    const tasks = this.ownership.tasks;
    const steps = (async () => {
      try {
        this.consumer.pause(this.sources.map((t) => ({ topic: t.topic })));
      } catch {
        // not running: nothing to pause
      }
      await Promise.all([...tasks.values()].map((t) => t.idle()));
      await Promise.all([...tasks.values()].map((t) => this.relayOnce(t)));
      await commitKafkaOffsets(this.consumer, tasks.values(), this.log);
      this.ownership.closeAll();
      await this.disconnectQuietly();
      return 'done' as const;
    })();
    const outcome = await Promise.race([steps, timeout]);
    clearTimeout(timer);
    this.state = 'stopped';
    if (outcome === 'timeout') {
      this.ownership.closeAll();
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
      onFenced: (task) => this.ownership.onFenced(task),
      active: () => this.state === 'running',
      now: this.scheduler.now,
    });
  }

  private fail(error: FatalRunnerError): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    this.state = 'failed';
    this.lastError = error.message;
    for (const timer of this.intervals) clearInterval(timer);
    this.ownership.closeAll();
    void this.disconnectQuietly();
    this.settleFailure(error);
  }

  private async disconnectQuietly(): Promise<void> {
    await Promise.allSettled([this.consumer.disconnect(), this.relay.close(), this.admin.disconnect()]);
  }

  /**
   * How a partition's merge waits for the others (partition-merge.ts): every
   * partition of the co-partitioned topics sends internal records. A caught-up
   * partition's queues are expected to continue from half a settle delay
   * before now, so live events never wait on an idle partition, and an event
   * produced later than that is applied on arrival (docs/architecture.md).
   */
  private settleGate(): SettleGate | null {
    const internal = this.sources.find((t) => t.carries === 'internal');
    if (this.topology === null || internal === undefined) return null;
    const settleMs = this.options.context().parameters.referralSettleDays * DAY_MS;
    return { internalQueue: internal.queue, partitions: this.topology.partitionCount, settleMs, idlePosition: (nowMs) => nowMs - settleMs / 2 };
  }

  /** Periodic: drain what waited on a slow fetch or another partition, sweep due checks (also the wall-clock fallback's), announce the position, relay leftovers. */
  private tick(): void {
    if (this.state !== 'running') return;
    for (const task of this.ownership.tasks.values()) {
      if (task.epoch === 0 || task.closed) continue;
      this.driver.drainSoon(task);
      this.driver.scheduleSweep(task);
      this.driver.scheduleAnnounce(task);
      this.options.observer?.waitingFor?.(task.partition, task.merge.waitingFor(this.scheduler.now()).length);
      this.rescorer?.poke(task);
      void this.relayOnce(task, task.signal);
    }
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
}
