/**
 * The process's Prometheus metrics behind one typed class. The runtime calls
 * intention-revealing methods (`batchCommitted`, `rejected`, `lag`, …) and never
 * touches prom-client; the names are fixed in metric-names.ts (dashboards use them).
 *
 * Every instance has its own Registry (never prom-client's global one), so tests
 * and several runtimes in one process do not collide. Default process/Node.js
 * metrics are registered on it with the `clvstream_` prefix.
 *
 * Label values come from code, never from input data (topic names, rejection
 * codes, event types, segment names, partition numbers), so the number of series
 * stays bounded. Series of a partition the process no longer owns are dropped by
 * `forgetPartition`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OutboundEvent } from '../contracts/outbound.js';
import { DEFAULT_METRICS_PREFIX, type MetricName } from './metric-names.js';

/**
 * Why the stream runner passed over offsets of an input topic: the broker no
 * longer had them (never processed), or a batch repeated records already stored
 * (dropped before its commit, so not counted twice). The label of
 * `records_skipped_total`; defined here so the metrics import nothing above them.
 */
export type SkipReason = 'retention' | 'already_stored';

export interface RuntimeMetricsOptions {
  /** Registry to register on; a new one by default. */
  readonly registry?: Registry;
  /** Process and Node.js metrics (`clvstream_process_*`, `clvstream_nodejs_*`); default true. */
  readonly defaultMetrics?: boolean;
  /** Wall clock in epoch milliseconds (end-to-end delay, model age); injectable for tests. */
  readonly now?: () => number;
}

/** Histogram buckets, chosen for what each measures. */
export const BUCKETS = {
  batchRecords: [1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000],
  batchSeconds: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  // Event time → acknowledged: seconds when live, up to days while catching up.
  endToEndSeconds: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3_600, 21_600, 86_400],
  redisSeconds: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
} as const;

/** The name, checked against the published list at compile time. */
const metric = <N extends MetricName>(name: N): N => name;

/** Monotonic clock in seconds. */
function monotonicSeconds(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

function finiteNonNegative(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
}

function epochMs(time: Date | number | string): number {
  if (time instanceof Date) return time.getTime();
  if (typeof time === 'number') return time;
  return Date.parse(time);
}

export class RuntimeMetrics {
  readonly registry: Registry;
  private readonly now: () => number;

  private readonly consumerLag: Gauge<'topic' | 'partition'>;
  private readonly eventsProcessed: Counter<'type'>;
  private readonly eventsRejected: Counter<'topic' | 'reason'>;
  private readonly dueChecks: Counter;
  private readonly batchRecords: Histogram;
  private readonly batchDuration: Histogram;
  private readonly endToEndDelay: Histogram;
  private readonly outboxDepthGauge: Gauge<'partition'>;
  private readonly partitionsWaitedFor: Gauge<'partition'>;
  private readonly outboxRelayed: Counter<'topic'>;
  private readonly outboxRelayErrors: Counter;
  private readonly redisDuration: Histogram<'command'>;
  private readonly segmentTransitions: Counter<'dimension' | 'to'>;
  private readonly churnRisk: Counter<'level'>;
  private readonly rebalances: Counter;
  private readonly fencingRejections: Counter;
  private readonly skippedRecords: Counter;
  private readonly consumerRestarts: Counter;
  private readonly commitFailures: Counter;
  private readonly processingErrors: Counter;
  private readonly rescoreRemaining: Gauge<'partition'>;
  private readonly rescoredCustomers: Counter;
  private readonly modelVersion: Gauge<'version'>;
  private readonly assigned: Gauge;

  private readinessCheck: (() => Promise<boolean>) | null = null;
  /** Topics with a lag series per partition, so that `forgetPartition` can drop them all. */
  private readonly lagTopics = new Map<number, Set<string>>();
  private model: { version: string; fittedAtMs: number | null } | null = null;

  constructor(options: RuntimeMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    this.now = options.now ?? Date.now;
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: DEFAULT_METRICS_PREFIX });

    this.consumerLag = new Gauge({
      name: metric('clvstream_consumer_lag'),
      help: 'Records not yet processed per topic-partition: high watermark minus the next offset to process.',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.eventsProcessed = new Counter({
      name: metric('clvstream_events_processed_total'),
      help: 'Inputs applied to customer state, by type (purchase, return, referral, cancellation, feedback, internal kinds).',
      labelNames: ['type'],
      registers,
    });
    this.eventsRejected = new Counter({
      name: metric('clvstream_events_rejected_total'),
      help: 'Messages sent to the dead-letter topic, by source topic and rejection reason.',
      labelNames: ['topic', 'reason'],
      registers,
    });
    this.batchRecords = new Histogram({
      name: metric('clvstream_batch_records'),
      help: 'Records per committed partition batch.',
      buckets: [...BUCKETS.batchRecords],
      registers,
    });
    this.batchDuration = new Histogram({
      name: metric('clvstream_batch_duration_seconds'),
      help: 'Time from a partition batch taken to its Redis commit done.',
      buckets: [...BUCKETS.batchSeconds],
      registers,
    });
    this.endToEndDelay = new Histogram({
      name: metric('clvstream_end_to_end_delay_seconds'),
      help: 'Event time of the cause (event occurred_at, or a timer due time) to the emission acknowledged by Kafka.',
      buckets: [...BUCKETS.endToEndSeconds],
      registers,
    });
    this.outboxDepthGauge = new Gauge({
      name: metric('clvstream_outbox_depth'),
      help: 'Records waiting in the partition outbox (Redis stream) for the relay.',
      labelNames: ['partition'],
      registers,
    });
    this.partitionsWaitedFor = new Gauge({
      name: metric('clvstream_partition_waiting_for'),
      help: 'Partitions whose announced position holds back this partition\'s next record (the settle gate of referral effects); 0 when it is not waiting.',
      labelNames: ['partition'],
      registers,
    });
    this.outboxRelayed = new Counter({
      name: metric('clvstream_outbox_relayed_total'),
      help: 'Outbox records acknowledged by Kafka, by destination topic.',
      labelNames: ['topic'],
      registers,
    });
    this.outboxRelayErrors = new Counter({
      name: metric('clvstream_outbox_relay_errors_total'),
      help: 'Failed relay attempts (produce or outbox acknowledgement); the records stay in the outbox and are retried.',
      registers,
    });
    this.redisDuration = new Histogram({
      name: metric('clvstream_redis_command_duration_seconds'),
      help: 'Redis command round trip, by command (scripts as script:<name>).',
      labelNames: ['command'],
      buckets: [...BUCKETS.redisSeconds],
      registers,
    });
    this.segmentTransitions = new Counter({
      name: metric('clvstream_segment_transitions_total'),
      help: 'segment-changed events emitted, by dimension and new value.',
      labelNames: ['dimension', 'to'],
      registers,
    });
    this.churnRisk = new Counter({
      name: metric('clvstream_churn_risk_emitted_total'),
      help: 'churn-risk events emitted, by new level.',
      labelNames: ['level'],
      registers,
    });
    this.dueChecks = new Counter({
      name: metric('clvstream_due_checks_fired_total'),
      help: 'Customers re-evaluated because time passed their next-check day (no event of theirs): the time-driven share of the work.',
      registers,
    });
    this.rebalances = new Counter({
      name: metric('clvstream_rebalances_total'),
      help: 'Consumer group rebalances this member took part in.',
      registers,
    });
    this.fencingRejections = new Counter({
      name: metric('clvstream_fencing_rejections_total'),
      help: 'Commits refused because another member owns the partition now (FencedError).',
      registers,
    });
    this.skippedRecords = new Counter({
      name: metric('clvstream_records_skipped_total'),
      help: 'Offsets of input topics the runner passed over: reason "retention" (the broker no longer had them: never processed), "already_stored" (records a batch repeated, dropped before commit).',
      labelNames: ['topic', 'reason'],
      registers,
    });
    this.consumerRestarts = new Counter({
      name: metric('clvstream_consumer_restarts_total'),
      help: 'Times kafkajs gave up on the consumer after an error it retried (a broker unreachable for long, say) and started it again: the group is left and rejoined, and every partition is claimed anew.',
      registers,
    });
    this.commitFailures = new Counter({
      name: metric('clvstream_commit_failures_total'),
      help: 'Batch, sweep or re-score commits that failed and are retried with backoff, by work ("batch", "sweep", "rescore") and error code (REDIS_UNAVAILABLE: transient; any other code repeats until someone acts, while the partition stands still).',
      labelNames: ['work', 'code'],
      registers,
    });
    this.rescoreRemaining = new Gauge({
      name: metric('clvstream_rescore_remaining_customers'),
      help: 'Customers of the partition still to re-score with the current model version (0 once the re-score after a model change is done).',
      labelNames: ['partition'],
      registers,
    });
    this.rescoredCustomers = new Counter({
      name: metric('clvstream_rescored_customers_total'),
      help: 'Customers re-scored in the background after a model change (their changes are emitted with cause model_changed).',
      registers,
    });
    this.processingErrors = new Counter({
      name: metric('clvstream_processing_errors_total'),
      help: 'Inputs that failed to reduce or store and were dead-lettered (reason processing_error) so that their partition goes on, by source topic. Any increase is a fault to look into (docs/operations.md).',
      labelNames: ['topic'],
      registers,
    });
    this.modelVersion = new Gauge({
      name: metric('clvstream_model_version_info'),
      help: 'The customer-value model in use: 1 for the current version.',
      labelNames: ['version'],
      registers,
    });
    // Computed at scrape time from the fit time of the model in use.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    new Gauge({
      name: metric('clvstream_model_age_seconds'),
      help: 'Seconds since the model in use was fitted; NaN while no fitted model is loaded.',
      registers,
      collect() {
        const fitted = self.model?.fittedAtMs ?? null;
        this.set(fitted === null ? Number.NaN : Math.max(0, (self.now() - fitted) / 1000));
      },
    });
    this.assigned = new Gauge({
      name: metric('clvstream_assigned_partitions'),
      help: 'Partitions of the co-partitioned topics assigned to this member.',
      registers,
    });
    // Asked at scrape time, so that an alert sees what /readyz would answer.
    new Gauge({
      name: metric('clvstream_ready'),
      help: '1 when the process is ready (what /readyz answers 200 for), 0 when not; NaN before a readiness check is set.',
      registers,
      async collect() {
        const check = self.readinessCheck;
        this.set(check === null ? Number.NaN : (await check().catch(() => false)) ? 1 : 0);
      },
    });
  }

  /** What `clvstream_ready` reports at each scrape (the HTTP server's readiness). */
  setReadinessCheck(check: () => Promise<boolean>): void {
    this.readinessCheck = check;
  }

  // ------------------------------------------------------------ consumer --

  /** Records of topic-partition not yet processed. */
  lag(topic: string, partition: number, lag: number | bigint): void {
    this.consumerLag.set({ topic, partition: String(partition) }, finiteNonNegative(Number(lag)));
    let topics = this.lagTopics.get(partition);
    if (topics === undefined) this.lagTopics.set(partition, (topics = new Set()));
    topics.add(topic);
  }

  /** Lag from the partition's high watermark and the next offset to process (Kafka offsets as decimal strings). */
  lagFromOffsets(topic: string, partition: number, highWatermark: string | bigint, nextOffset: string | bigint): void {
    const lag = BigInt(highWatermark) - BigInt(nextOffset);
    this.lag(topic, partition, lag > 0n ? lag : 0n);
  }

  /** Inputs of one type applied to state. */
  processed(type: string, count = 1): void {
    if (count > 0) this.eventsProcessed.inc({ type }, count);
  }

  /** Messages of a topic sent to the dead-letter topic for `reason` (the rejection code). */
  rejected(topic: string, reason: string, count = 1): void {
    if (count > 0) this.eventsRejected.inc({ topic, reason }, count);
  }

  /** A partition batch committed to Redis: its size and how long it took. */
  batchCommitted(records: number, seconds: number): void {
    this.batchRecords.observe(finiteNonNegative(records));
    this.batchDuration.observe(finiteNonNegative(seconds));
  }

  /** A stopwatch: call the returned function to get the seconds elapsed (monotonic clock). */
  startTimer(): () => number {
    const start = monotonicSeconds();
    return () => monotonicSeconds() - start;
  }

  // ---------------------------------------------------------------- group --

  rebalanced(): void {
    this.rebalances.inc();
  }

  /** Due checks fired (by a batch for its own customers, or by the sweeper). */
  dueChecksFired(count: number): void {
    if (count > 0) this.dueChecks.inc(count);
  }

  /** How many partitions this member owns now. */
  assignedPartitions(count: number): void {
    this.assigned.set(finiteNonNegative(count));
  }

  /** A commit refused with FencedError. */
  fenced(): void {
    this.fencingRejections.inc();
  }

  /** Offsets of `topic` passed over, and why (see the metric's help). */
  recordsSkipped(topic: string, reason: SkipReason, count: number): void {
    if (count > 0) this.skippedRecords.inc({ topic, reason }, count);
  }

  /** kafkajs restarted the consumer after an error. */
  consumerRestarted(): void {
    this.consumerRestarts.inc();
  }

  /** A batch or sweep of a partition whose commit failed with `code` (it is retried). */
  commitFailed(work: 'batch' | 'sweep' | 'rescore', code: string): void {
    this.commitFailures.inc({ work, code });
  }

  /** Inputs of `topic` dead-lettered because they failed to reduce or store. */
  processingFailed(topic: string, count = 1): void {
    if (count > 0) this.processingErrors.inc({ topic }, count);
  }

  /** A re-score chunk of `partition` was committed: `customers` re-scored, `remaining` to go. */
  rescored(partition: number, customers: number, remaining: number): void {
    this.rescoredCustomers.inc(customers);
    this.rescoreRemaining.set({ partition: String(partition) }, remaining);
  }

  /** Drops the per-partition series (lag of every topic, outbox depth, re-score) of a revoked partition. */
  forgetPartition(partition: number): void {
    const label = String(partition);
    this.rescoreRemaining.remove({ partition: label });
    for (const topic of this.lagTopics.get(partition) ?? []) this.consumerLag.remove({ topic, partition: label });
    this.lagTopics.delete(partition);
    this.outboxDepthGauge.remove({ partition: label });
    this.partitionsWaitedFor.remove({ partition: label });
  }

  // ------------------------------------------------------------ emissions --

  /** Counts an emitted event (at commit time: once per event, whatever the relay repeats). */
  emitted(event: Pick<OutboundEvent, 'type'> & { dimension?: string; to?: string; level?: string }, count = 1): void {
    if (event.type === 'segment-changed' && event.dimension !== undefined && event.to !== undefined) {
      this.segmentTransition(event.dimension, event.to, count);
    } else if (event.type === 'churn-risk' && event.level !== undefined) {
      this.churnRiskEmitted(event.level, count);
    }
  }

  segmentTransition(dimension: string, to: string, count = 1): void {
    if (count > 0) this.segmentTransitions.inc({ dimension, to }, count);
  }

  churnRiskEmitted(level: string, count = 1): void {
    if (count > 0) this.churnRisk.inc({ level }, count);
  }

  // --------------------------------------------------------------- outbox --

  /** How many partitions' positions hold back partition p's next record (0: not waiting). */
  waitingFor(partition: number, partitions: number): void {
    this.partitionsWaitedFor.set({ partition: String(partition) }, finiteNonNegative(partitions));
  }

  /** Records waiting in partition p's outbox. */
  outboxDepth(partition: number, depth: number): void {
    this.outboxDepthGauge.set({ partition: String(partition) }, finiteNonNegative(depth));
  }

  /** `count` outbox records of a topic acknowledged by the broker (their delays: `relayDelay`). */
  recordsRelayed(topic: string, count = 1): void {
    if (count > 0) this.outboxRelayed.inc({ topic }, count);
  }

  /**
   * The end-to-end delay of one relayed record whose cause happened at
   * `eventTime` (a segment-changed or churn-risk record's `occurred_at`);
   * nothing for one without (dead letters, internal records).
   */
  relayDelay(eventTime: Date | number | string | null | undefined, ackedAtMs: number = this.now()): void {
    if (eventTime === undefined || eventTime === null) return;
    const at = epochMs(eventTime);
    if (Number.isFinite(at)) this.endToEndDelay.observe(Math.max(0, (ackedAtMs - at) / 1000));
  }

  /** A relay attempt that failed (produce or ack); the records are retried. */
  relayError(count = 1): void {
    if (count > 0) this.outboxRelayErrors.inc(count);
  }

  // ---------------------------------------------------------------- redis --

  /** One Redis command's round trip (see redis-timing.ts for automatic timing of a client). */
  redisCommand(command: string, seconds: number): void {
    this.redisDuration.observe({ command }, finiteNonNegative(seconds));
  }

  /** Times `work` (a promise, or a function returning one) as Redis command `command`; rethrows its error. */
  async observeRedis<T>(command: string, work: Promise<T> | (() => Promise<T>)): Promise<T> {
    const elapsed = this.startTimer();
    try {
      return await (typeof work === 'function' ? work() : work);
    } finally {
      this.redisCommand(command, elapsed());
    }
  }

  // ---------------------------------------------------------------- model --

  /** The model now in use; `fittedAt` null for the unfitted default (age reads NaN). */
  modelLoaded(version: string, fittedAt: Date | number | string | null = null): void {
    this.modelVersion.reset();
    this.modelVersion.set({ version }, 1);
    const ms = fittedAt === null ? null : epochMs(fittedAt);
    this.model = { version, fittedAtMs: ms !== null && Number.isFinite(ms) ? ms : null };
  }

  // ----------------------------------------------------------- exposition --

  /** Content type of `render()` (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric of the registry in the Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}

