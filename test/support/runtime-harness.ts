// What the runtime's integration tests share: a fresh set of topics and a Redis
// key prefix per test, a seeded event stream, the settings a processor runs
// with, the reference result (the pure pipeline over the same input, one
// MemoryProcessor per partition, in the merge's order) and read-back of Redis
// state and of the emitted topics.
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka, Producer } from 'kafkajs';
import { pino, type Logger } from 'pino';
import { loadSettings, type Settings } from '../../src/config/index.js';
import { domainParametersFrom, ingestRulesFrom } from '../../src/config/runtime-parameters.js';
import type { InboundType } from '../../src/contracts/inbound.js';
import type { OutboundEvent } from '../../src/contracts/outbound.js';
import { UNFITTED_MODEL, type ModelSnapshot } from '../../src/domain/model-snapshot.js';
import { seededRandom } from '../../src/domain/models/simulate.js';
import type { ReduceContext } from '../../src/domain/reducer.js';
import type { CustomerState } from '../../src/domain/state.js';
import { decodeBytes } from '../../src/ingest/decode.js';
import { partitionOfKey } from '../../src/kafka/key-partition.js';
import { createPlannedTopics } from '../../src/kafka/topic-admin.js';
import { planTopics } from '../../src/kafka/topic-plan.js';
import { MessageDecoder } from '../../src/ingest/message-decoder.js';
import { RELAY_BATCH_RECORDS } from '../../src/service/outbox-relay.js';
import type { RelayThreadInit } from '../../src/service/relay-thread-protocol.js';
import type { RunnerObserver } from '../../src/service/runner-observer.js';
import { StreamRunner } from '../../src/service/stream-runner.js';
import { ThreadedRelay } from '../../src/service/threaded-relay.js';
import type { CrossCustomerInput } from '../../src/domain/apply.js';
import { MemoryProcessor } from '../../src/pipeline/memory-processor.js';
import { settlesBefore } from '../../src/pipeline/settle-order.js';
import { MinHeap } from '../../src/pipeline/min-heap.js';
import { TimedStates } from '../../src/pipeline/timed-states.js';
import { encodeState } from '../../src/state/codec.js';
import { KeySpace } from '../../src/state/keys.js';
import { PartitionStore, type RedisClient } from '../../src/state/store.js';
import type { RedisOptions } from 'ioredis';
import { connectState } from '../../src/state/connect.js';
import { TEST_KAFKA_OVERRIDES, createTestKafka, deleteKeysByPrefix, deleteTopic, uniqueGroupId, uniqueSuffix, waitFor, type InfraEndpoints } from './infra.js';

export const INBOUND: readonly InboundType[] = ['purchase', 'return', 'referral', 'cancellation', 'feedback', 'interaction'];

/** A message as produced: its topic type, key and raw value (possibly invalid on purpose). */
export interface TestMessage {
  readonly type: InboundType;
  readonly key: string;
  readonly value: Buffer;
}

export interface TopicSet {
  readonly env: Record<string, string>;
  readonly byType: Record<InboundType, string>;
  readonly internal: string;
  readonly segmentChanged: string;
  readonly churnRisk: string;
  readonly deadLetter: string;
  readonly all: readonly string[];
}

/** Creates the ten topics of one processor deployment (all with `partitions` partitions). */
export async function createTopicSet(infra: InfraEndpoints, partitions: number, label = 'rt', options: { replicationFactor?: number } = {}): Promise<TopicSet> {
  const id = `clvtest-${label}-${uniqueSuffix()}`;
  const byType = {
    purchase: `${id}.purchases`,
    return: `${id}.returns`,
    referral: `${id}.referrals`,
    cancellation: `${id}.cancellations`,
    feedback: `${id}.feedback`,
    interaction: `${id}.interactions`,
  };
  const set: TopicSet = {
    byType,
    internal: `${id}.internal`,
    segmentChanged: `${id}.segment-changed`,
    churnRisk: `${id}.churn-risk`,
    deadLetter: `${id}.dead-letter`,
    all: [],
    env: {
      TOPIC_PURCHASE: byType.purchase,
      TOPIC_RETURN: byType.return,
      TOPIC_REFERRAL: byType.referral,
      TOPIC_CANCELLATION: byType.cancellation,
      TOPIC_FEEDBACK: byType.feedback,
      TOPIC_INTERACTION: byType.interaction,
      TOPIC_INTERNAL: `${id}.internal`,
      TOPIC_SEGMENT_CHANGED: `${id}.segment-changed`,
      TOPIC_CHURN_RISK: `${id}.churn-risk`,
      TOPIC_DEAD_LETTER: `${id}.dead-letter`,
    },
  };
  // Through the product's own topic plan and creation, as `clvstream topics create` makes them.
  const plan = planTopics(settingsOf(set.env), { partitions, replicationFactor: options.replicationFactor ?? 1 });
  const admin = createTestKafka(infra).admin();
  await admin.connect();
  try {
    await createPlannedTopics(admin, plan);
  } finally {
    await admin.disconnect();
  }
  const all = plan.map((t) => t.name);
  if (infra.kafkaBrokers.length > 1) await untilEveryBrokerKnows(infra, all);
  return { ...set, all };
}

/**
 * On a cluster the controller has created the topics before every broker has
 * learnt of them; a client that asks such a broker for their metadata is told
 * "This server does not host this topic-partition". Ask each broker in turn
 * until each one answers with a leader for every partition.
 */
async function untilEveryBrokerKnows(infra: InfraEndpoints, topics: readonly string[]): Promise<void> {
  for (const broker of infra.kafkaBrokers) {
    const admin = createTestKafka({ ...infra, kafkaBrokers: [broker] }).admin();
    await admin.connect();
    try {
      await waitFor(
        () =>
          admin.fetchTopicMetadata({ topics: [...topics] }).then(
            (m) => m.topics.length === topics.length && m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)),
            () => false,
          ),
        { timeoutMs: 60_000, what: `broker ${broker} to know the new topics` },
      );
    } finally {
      await admin.disconnect();
    }
  }
}

export async function deleteTopicSet(infra: InfraEndpoints, set: TopicSet): Promise<void> {
  for (const topic of set.all) await deleteTopic(infra, topic);
}

/** Environment of a processor under test: fast group timings, no wall-clock watermark, a merge that never passes a topic over. */
export function runtimeEnv(infra: InfraEndpoints, topics: TopicSet, redis: { url?: string; clusterNodes?: string; prefix: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_CLIENT_ID: `clvtest-${uniqueSuffix()}`,
    KAFKA_GROUP_ID: uniqueGroupId('runtime'),
    // Beside cluster nodes, REDIS_URL may only name one of them (a URL naming another server is refused).
    REDIS_URL: redis.url ?? (redis.clusterNodes ? `redis://${redis.clusterNodes.split(',')[0] ?? ''}` : infra.redisUrl),
    ...(redis.clusterNodes ? { REDIS_CLUSTER_NODES: redis.clusterNodes } : {}),
    REDIS_KEY_PREFIX: redis.prefix,
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    KAFKA_HEARTBEAT_INTERVAL_MS: '500',
    KAFKA_FETCH_MAX_WAIT_MS: '100',
    KAFKA_OFFSET_COMMIT_INTERVAL_MS: '200',
    RUN_SWEEP_INTERVAL_MS: '200',
    RUN_MERGE_MAX_WAIT_MS: '600000',
    RUN_IDLE_WATERMARK_SECONDS: '0',
    RUN_BATCH_MAX_RECORDS: '500',
    RUN_SHUTDOWN_TIMEOUT_SECONDS: '20',
    // The test streams are sparse (16 events a day over every partition), and each hop of the partitions'
    // positions lets a backlog run one settle delay further (docs/architecture.md): a month keeps them quick.
    // Exactness holds for any delay; the unit tests run the default.
    REFERRAL_SETTLE_DAYS: '30',
    LOG_LEVEL: 'silent',
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    ...topics.env,
    ...extra,
  };
}

export function settingsOf(env: Record<string, string>): Settings {
  return loadSettings({ env });
}

export function contextOf(settings: Settings): ReduceContext {
  return { model: UNFITTED_MODEL, parameters: domainParametersFrom(settings) };
}

// ------------------------------------------------------------------ input --


export interface StreamOptions {
  readonly seed: number;
  readonly customers: number;
  readonly events: number;
  /** Include referrals (their credit reaches the referrer through the internal topic). */
  readonly referrals?: boolean;
  /** First event time; later events are spaced `stepMs` apart (every event time distinct). */
  readonly startMs?: number;
  readonly stepMs?: number;
}

/**
 * A seeded stream of valid events over `customers` customers in increasing
 * event time: purchases mostly (some with their own cost to serve), returns of
 * earlier orders, NPS feedback, service interactions (complaints by case), a few
 * cancellations, optional referrals. Long enough in time for customers to
 * lapse into "at risk" between purchases.
 */
export function eventStream(o: StreamOptions): TestMessage[] {
  const random = seededRandom(o.seed);
  const start = o.startMs ?? Date.parse('2023-01-01T08:00:00Z');
  const step = o.stepMs ?? 90 * 60_000;
  const orders = new Map<string, string[]>();
  const referred = new Set<string>();
  const out: TestMessage[] = [];
  for (let i = 0; i < o.events; i++) {
    const customer = `cust-${Math.floor(random() ** 1.6 * o.customers)}`;
    const occurred_at = new Date(start + i * step).toISOString();
    const event_id = `ev-${o.seed}-${i}`;
    const roll = random();
    const own = orders.get(customer) ?? [];
    let type: InboundType;
    let body: Record<string, unknown>;
    if (roll < 0.1 && own.length > 0) {
      type = 'return';
      body = { order_id: own[Math.floor(random() * own.length)], amount: (1 + Math.floor(random() * 2000) / 100).toFixed(2), currency: 'USD' };
    } else if (roll < 0.18) {
      type = 'feedback';
      body = { score: Math.floor(random() * 11) };
    } else if (roll < 0.2) {
      type = 'cancellation';
      body = random() < 0.5 ? { reason: 'competitor', competitor: 'rival-shop' } : { reason: 'price' };
    } else if (o.referrals && roll < 0.25 && !referred.has(`cust-${Math.floor(roll * 1e6) % o.customers}`)) {
      // Each customer is referred once: with several referrers the first
      // attribution to arrive wins, which depends on timing (docs/architecture.md).
      type = 'referral';
      let target = `cust-${Math.floor(roll * 1e6) % o.customers}`;
      if (target === customer) target = `${customer}-friend`;
      referred.add(target);
      body = { referred_customer_id: target };
    } else if (roll > 0.93) {
      // A service interaction: complaints open under a case and resolved by a later one, costs of their own or from the table.
      type = 'interaction';
      const kinds = ['complaint', 'complaint', 'support_contact', 'delivery_issue', 'billing_issue', 'technical_issue', 'other'] as const;
      const kind = kinds[Math.floor(random() * kinds.length)] ?? 'other';
      const resolved = random() < 0.5;
      body = { kind, channel: 'chat', resolved, case_id: `case-${customer}-${Math.floor(random() * 3)}` };
      if (random() < 0.5) body = { ...body, cost: (Math.floor(random() * 1500) / 100).toFixed(2), currency: 'USD' };
    } else {
      type = 'purchase';
      const order_id = `ord-${o.seed}-${i}`;
      own.push(order_id);
      orders.set(customer, own);
      body = { order_id, amount: (5 + Math.floor(random() * 20_000) / 100).toFixed(2), currency: 'USD' };
      if (random() < 0.3) body = { ...body, cost_to_serve: (Math.floor(random() * 500) / 100).toFixed(2) };
    }
    const value = { type, event_id, customer_id: customer, occurred_at, ...body };
    out.push({ type, key: customer, value: Buffer.from(JSON.stringify(value)) });
  }
  return out;
}

/** Produces messages in order, keyed, each to its type's topic; resolves when all are acknowledged. */
/**
 * The tests' input producer: idempotent, so a produce request retried after a
 * timeout (a loaded machine) does not write its records twice. A duplicate in
 * the input would be counted twice by the service and once by the reference.
 */
export const EXACTLY_ONCE_INPUT = { idempotent: true, maxInFlightRequests: 1 } as const;

export async function produceAll(producer: Producer, topics: TopicSet, messages: readonly TestMessage[], chunk = 500): Promise<void> {
  for (let i = 0; i < messages.length; i += chunk) {
    const part = messages.slice(i, i + chunk);
    const byTopic = new Map<string, { key: string; value: Buffer }[]>();
    for (const m of part) {
      const topic = topics.byType[m.type];
      let list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, (list = []));
      list.push({ key: m.key, value: m.value });
    }
    await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) });
  }
}

// -------------------------------------------------------------- reference --

export interface Reference {
  readonly states: Map<string, CustomerState>;
  /** Every emission by event id. */
  readonly emissions: Map<string, OutboundEvent>;
  readonly rejected: number;
}

/**
 * The pure pipeline over the same input, valid events in event-time order (the
 * merge's order when each topic-partition was produced in time order), with
 * referral effects taking hold in their settle order whatever partition they
 * come from (MemoryProcessor's rule). With `perPartition` (the default) each
 * partition keeps its own time rule, as the runtime does: its watermark is the
 * latest day of what it applied, effects included, and its due checks follow
 * it. Without, one processor takes everything (timers follow the global watermark).
 */
export function reference(messages: readonly TestMessage[], settings: Settings, partitions: number, options: { perPartition?: boolean; model?: ModelSnapshot } = {}): Reference {
  const perPartition = options.perPartition ?? true;
  const ctx = options.model === undefined ? contextOf(settings) : { ...contextOf(settings), model: options.model };
  const rules = ingestRulesFrom(settings);
  const emissions = new Map<string, OutboundEvent>();
  const decoded = [];
  let rejected = 0;
  for (const [index, m] of messages.entries()) {
    const d = decodeBytes(m.value, m.type, rules, Date.now());
    if (d.tag !== 'input') {
      rejected++;
      continue;
    }
    decoded.push({ index, input: d.input, queue: INBOUND.indexOf(m.type) });
  }
  decoded.sort((a, b) => a.input.at - b.input.at || a.queue - b.queue || a.index - b.index);
  if (!perPartition) {
    const processor = new MemoryProcessor(ctx, { onEmit: (e) => emissions.set(e.event_id, e) });
    for (const { input } of decoded) processor.apply(input);
    processor.settle();
    return { states: new Map(processor.states), emissions, rejected };
  }
  const owners = Array.from({ length: partitions }, () => new TimedStates(ctx, (_input, r) => {
    if (r.applied) for (const e of r.emits) emissions.set(e.event_id, e);
  }));
  const owner = (customerId: string) => owners[partitionOfKey(customerId, partitions)] as TimedStates;
  const pending = new MinHeap<CrossCustomerInput>(settlesBefore);
  const settle = (untilMs: number) => {
    for (let next = pending.peek(); next !== undefined && next.applyAt <= untilMs; next = pending.peek()) {
      pending.pop();
      for (const effect of owner(next.customerId).apply(next).internal) pending.push(effect);
    }
  };
  for (const { input } of decoded) {
    settle(input.at);
    for (const effect of owner(input.customerId).apply(input).internal) pending.push(effect);
  }
  settle(Infinity);
  const states = new Map<string, CustomerState>();
  for (const timed of owners) for (const [id, s] of timed.states) states.set(id, s);
  return { states, emissions, rejected };
}

// -------------------------------------------------------------- read-back --

/** Customer ids whose Redis state differs from the reference (bytes of the packed encoding), with the first few described. */
export async function stateDifferences(redis: RedisClient, prefix: string, partitions: number, expected: Map<string, CustomerState>): Promise<string[]> {
  const store = new PartitionStore(redis, new KeySpace(prefix));
  const byPartition = new Map<number, string[]>();
  for (const id of expected.keys()) {
    const p = partitionOfKey(id, partitions);
    byPartition.set(p, [...(byPartition.get(p) ?? []), id]);
  }
  const differences: string[] = [];
  for (const [p, ids] of byPartition) {
    const actual = await store.loadStates(p, ids);
    for (const id of ids) {
      const a = actual.get(id);
      const want = encodeState(expected.get(id) as CustomerState);
      if (a === undefined) differences.push(`${id}: missing`);
      else if (!encodeState(a).equals(want)) differences.push(`${id}: differs (partition ${p}; ${describeDifference(a, expected.get(id) as CustomerState)})`);
    }
  }
  return differences;
}

/**
 * The fields that differ, as `field actual≠expected`, so that a failed check tells
 * a state that lags (fewer orders, an earlier asOfDay) from one counted twice.
 */
function describeDifference(actual: CustomerState, expected: CustomerState): string {
  const fields: string[] = [];
  for (const key of Object.keys(expected) as (keyof CustomerState)[]) {
    const a = JSON.stringify(actual[key]);
    const e = JSON.stringify(expected[key]);
    if (a !== e) fields.push(`${key} ${a.length > 40 ? `${a.slice(0, 40)}…` : a}≠${e.length > 40 ? `${e.slice(0, 40)}…` : e}`);
  }
  return fields.length === 0 ? 'same fields, different bytes' : fields.slice(0, 6).join(', ');
}

/** Reads a set of topics from the beginning into memory until stopped (a fresh group each time). */
export class TopicReader {
  readonly records: { topic: string; key: string | null; value: Buffer; headers: Record<string, string> }[] = [];
  private consumer: ReturnType<Kafka['consumer']> | null = null;

  constructor(
    private readonly infra: InfraEndpoints,
    private readonly topics: readonly string[],
  ) {}

  async start(): Promise<void> {
    const consumer = createTestKafka(this.infra).consumer({
      groupId: uniqueGroupId('reader'),
      sessionTimeout: 6_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.topics], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
        this.records.push({ topic, key: message.key?.toString() ?? null, value: message.value ?? Buffer.alloc(0), headers });
        return Promise.resolve();
      },
    });
  }

  /** Outbound events by event id, with how many times each was received. */
  emissions(): Map<string, { event: OutboundEvent; copies: number; identical: boolean }> {
    const out = new Map<string, { event: OutboundEvent; copies: number; identical: boolean }>();
    for (const r of this.records) {
      const event = JSON.parse(r.value.toString()) as OutboundEvent;
      if (event.type !== 'segment-changed' && event.type !== 'churn-risk') continue;
      const seen = out.get(event.event_id);
      if (seen === undefined) out.set(event.event_id, { event, copies: 1, identical: true });
      else {
        seen.copies++;
        seen.identical &&= JSON.stringify(seen.event) === JSON.stringify(event);
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = null;
  }
}

/** What is missing from, extra in, or different in the emitted events compared with the reference. */
export function emissionDifferences(expected: Map<string, OutboundEvent>, received: ReturnType<TopicReader['emissions']>): string[] {
  const problems: string[] = [];
  for (const [id, event] of expected) {
    const got = received.get(id);
    if (got === undefined) problems.push(`${id}: not emitted`);
    else if (!got.identical) problems.push(`${id}: copies differ`);
    else if (JSON.stringify(got.event) !== JSON.stringify(event)) problems.push(`${id}: payload differs`);
  }
  for (const id of received.keys()) if (!expected.has(id)) problems.push(`${id}: not expected`);
  return problems;
}

// ---------------------------------------------------------------- runners --

export interface InProcessRunnerOptions {
  readonly registry?: SchemaRegistry | null;
  /** The state connection's ioredis options, for the relay thread's own connection. */
  readonly redisOptions?: RedisOptions;
  /** The runner's kafkajs client (default: a new test client); a test may wrap its admin to inject faults. */
  readonly kafka?: Kafka;
  /** Sees the runner's batches, sweeps and claims. */
  readonly observer?: RunnerObserver;
}

/**
 * A StreamRunner in this process, silent, with its own kafkajs client; its relay
 * runs on a thread of its own unless RUN_RELAY_THREAD is false (as in the service).
 */
export function inProcessRunner(infra: InfraEndpoints, settings: Settings, store: PartitionStore, options: InProcessRunnerOptions = {}): StreamRunner {
  const relayThread: RelayThreadInit = {
    settings,
    batchSize: RELAY_BATCH_RECORDS,
    redisOptions: options.redisOptions as Record<string, unknown> | undefined,
    kafkaOverrides: TEST_KAFKA_OVERRIDES,
  };
  return new StreamRunner({
    settings,
    kafka: options.kafka ?? createTestKafka(infra),
    relay: settings.RUN_RELAY_THREAD ? new ThreadedRelay(relayThread) : undefined,
    store,
    decoder: new MessageDecoder(ingestRulesFrom(settings), options.registry ?? null),
    context: () => contextOf(settings),
    version: 'test',
    logger: testRunnerLogger(),
    observer: options.observer,
  });
}

/** Silent unless CLVSTREAM_TEST_RUNNER_LOG=<level> (and _FILE=<path>) asks to see what the runner did. */
function testRunnerLogger(): Logger {
  return pino(
    { level: process.env.CLVSTREAM_TEST_RUNNER_LOG ?? 'silent' },
    process.env.CLVSTREAM_TEST_RUNNER_LOG_FILE ? pino.destination({ dest: process.env.CLVSTREAM_TEST_RUNNER_LOG_FILE, append: true, sync: true }) : undefined,
  );
}

/** Waits (bounded) until Redis holds exactly the reference states, then returns what still differs (normally nothing). */
export async function convergedStateDifferences(
  redis: RedisClient,
  prefix: string,
  partitions: number,
  expected: Map<string, CustomerState>,
  timeoutMs = 60_000,
): Promise<string[]> {
  await waitFor(async () => (await stateDifferences(redis, prefix, partitions, expected)).length === 0, {
    timeoutMs,
    intervalMs: 500,
    what: 'Redis state to equal the reference',
  }).catch(() => undefined);
  return (await stateDifferences(redis, prefix, partitions, expected)).slice(0, 5);
}

/** Waits (bounded) until the reader has every expected emission, then returns what still differs. */
export async function convergedEmissionDifferences(expected: Map<string, OutboundEvent>, reader: TopicReader, timeoutMs = 30_000): Promise<string[]> {
  await waitFor(() => emissionDifferences(expected, reader.emissions()).length === 0, {
    timeoutMs,
    intervalMs: 250,
    what: 'every expected emission on Kafka',
  }).catch(() => undefined);
  return emissionDifferences(expected, reader.emissions()).slice(0, 5);
}

/** Sum over partitions of the stored next offsets of the inbound topics: records the state has consumed. */
export async function storedInboundRecords(redis: RedisClient, prefix: string, partitions: number, topics: TopicSet): Promise<number> {
  const keys = new KeySpace(prefix);
  const inbound = new Set(Object.values(topics.byType));
  let total = 0;
  for (let p = 0; p < partitions; p++) {
    const meta = await redis.hgetall(keys.meta(p));
    for (const [field, value] of Object.entries(meta)) if (field.startsWith('off:') && inbound.has(field.slice(4))) total += Number(value);
  }
  return total;
}

export interface FixtureOptions {
  /** Settings on top of `runtimeEnv`'s. */
  readonly extra?: Record<string, string>;
  /** A Redis of the test's own (its keys are not deleted: the test removes the whole server). */
  readonly redisUrl?: string;
  /** ioredis options of the test's state connection (e.g. fail fast while Redis is down). */
  readonly redisOptions?: RedisOptions;
  /** Replicas of every topic (default 1: the shared test broker is one node). */
  readonly replicationFactor?: number;
}

/**
 * One processor deployment for a test: fresh topics (`partitions` each), a Redis
 * key prefix, its environment and settings, a state connection, a producer, a reader of the two
 * emission topics, and `runner()` for in-process processors; all cleaned up
 * through `cleanups`.
 */
export async function runtimeFixture(infra: InfraEndpoints, cleanups: (() => unknown)[], label: string, partitions: number, options: FixtureOptions = {}) {
  const topics = await createTopicSet(infra, partitions, label, { replicationFactor: options.replicationFactor });
  cleanups.push(() => deleteTopicSet(infra, topics));
  const prefix = `clvtest-${label}-${uniqueSuffix()}`.slice(0, 32);
  const env = runtimeEnv(infra, topics, { prefix, url: options.redisUrl }, options.extra);
  const settings = settingsOf(env);
  // Connection errors (a Redis taken down on purpose) go to the runner's test log, as the service logs them.
  const state = connectState(settings, { ...(options.redisOptions ? { redisOptions: options.redisOptions } : {}), errorLog: { logger: testRunnerLogger(), connection: 'state' } });
  cleanups.push(() => state.close());
  if (options.redisUrl === undefined) cleanups.push(() => deleteKeysByPrefix(state.redis, `${prefix}:`));
  const producer = createTestKafka(infra).producer(EXACTLY_ONCE_INPUT);
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  const reader = new TopicReader(infra, [topics.segmentChanged, topics.churnRisk]);
  await reader.start();
  cleanups.push(() => reader.stop());
  /** An in-process processor; `store` (default: the fixture's) and `observer` let a test hold or watch its commits. */
  const runner = (member: { store?: PartitionStore; observer?: RunnerObserver } = {}): StreamRunner => {
    const r = inProcessRunner(infra, settings, member.store ?? state.store, { redisOptions: options.redisOptions, observer: member.observer });
    cleanups.push(() => r.stop());
    return r;
  };
  return { topics, prefix, env, settings, state, producer, reader, runner };
}
