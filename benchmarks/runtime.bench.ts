/**
 * The streaming runtime against a bare kafkajs consumer, in the same run, on the
 * same broker: how much of a do-nothing consumer's throughput `clvstream run`
 * keeps while it decodes, merges, reduces, commits to Redis and relays the
 * outbox. Target (issue 4): at least 60 %.
 *
 *   npm run bench:runtime -- [--events 200000] [--partitions 4] [--repeat 2] [--chunk 20000]
 *
 * Needs the test servers (`bash scripts/test-infra.sh start`, read from
 * .infra/env) or KAFKA_BROKERS / REDIS_URL. Rates are measured from the first
 * to the last record each side handles, so the group join is not counted.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { loadSettings } from '../src/config/index.js';
import { domainParametersFrom, ingestRulesFrom } from '../src/config/runtime-parameters.js';
import { UNFITTED_MODEL } from '../src/domain/model-snapshot.js';
import { MessageDecoder } from '../src/ingest/message-decoder.js';
import { StreamRunner } from '../src/service/stream-runner.js';
import { connectState } from '../src/state/connect.js';
import { integerArg } from './args.js';
import { infraVariables } from './endpoints.js';

const MAX_WAIT_MS = 600_000;


/** A seeded purchase-heavy stream in event-time order over `customers` customers. */
function events(n: number, customers: number): { topic: string; key: string; value: string }[] {
  let seed = 12345;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const start = Date.parse('2023-01-01T00:00:00Z');
  const out = [];
  for (let i = 0; i < n; i++) {
    const customer = `c-${Math.floor(random() * customers)}`;
    const occurred_at = new Date(start + i * 60_000).toISOString();
    const roll = random();
    if (roll < 0.85) {
      out.push({ topic: 'purchase', key: customer, value: JSON.stringify({ type: 'purchase', event_id: `e${i}`, customer_id: customer, occurred_at, amount: (5 + Math.floor(random() * 20_000) / 100).toFixed(2), currency: 'USD' }) });
    } else if (roll < 0.95) {
      out.push({ topic: 'feedback', key: customer, value: JSON.stringify({ type: 'feedback', event_id: `e${i}`, customer_id: customer, occurred_at, score: Math.floor(random() * 11) }) });
    } else {
      out.push({ topic: 'return', key: customer, value: JSON.stringify({ type: 'return', event_id: `e${i}`, customer_id: customer, occurred_at, amount: '3.00', currency: 'USD' }) });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const total = integerArg('events', 200_000);
  const partitions = integerArg('partitions', 4);
  const repeat = integerArg('repeat', 2);
  // Records per produce request: the size of the record batches a fetch hands over.
  const chunk = integerArg('chunk', 20_000);
  const env = infraVariables();
  const id = `clvbench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const topicEnv: Record<string, string> = {
    TOPIC_PURCHASE: `${id}.purchases`,
    TOPIC_RETURN: `${id}.returns`,
    TOPIC_REFERRAL: `${id}.referrals`,
    TOPIC_CANCELLATION: `${id}.cancellations`,
    TOPIC_FEEDBACK: `${id}.feedback`,
    TOPIC_INTERNAL: `${id}.internal`,
    TOPIC_SEGMENT_CHANGED: `${id}.segment-changed`,
    TOPIC_CHURN_RISK: `${id}.churn-risk`,
    TOPIC_DEAD_LETTER: `${id}.dead-letter`,
  };
  const kafka = new Kafka({ clientId: id, brokers: (env.KAFKA_BROKERS as string).split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: Object.values(topicEnv).map((topic) => ({ topic, numPartitions: partitions })) });

  const producer = kafka.producer();
  await producer.connect();
  const stream = events(total, Math.max(1_000, Math.floor(total / 20)));
  const topicOf: Record<string, string> = { purchase: topicEnv.TOPIC_PURCHASE as string, feedback: topicEnv.TOPIC_FEEDBACK as string, return: topicEnv.TOPIC_RETURN as string };
  for (let i = 0; i < stream.length; i += chunk) {
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (const e of stream.slice(i, i + chunk)) {
      const t = topicOf[e.topic] as string;
      byTopic.set(t, [...(byTopic.get(t) ?? []), { key: e.key, value: e.value }]);
    }
    await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  }
  await producer.disconnect();
  console.log(`produced ${total} events to ${partitions} partitions per topic`);

  const inbound = Object.values(topicEnv).slice(0, 5);
  const results: { bare: number; runtime: number }[] = [];
  for (let round = 0; round < repeat; round++) {
    const bare = await bareConsumer(kafka, inbound, total, `${id}-bare-${round}`);
    const runtime = await runtimeConsumer(kafka, env, topicEnv, total, `${id}-rt-${round}`);
    results.push({ bare, runtime });
    console.log(`round ${round + 1}: bare kafkajs ${Math.round(bare)} records/s; clvstream runtime ${Math.round(runtime)} events/s; ratio ${(runtime / bare).toFixed(2)}`);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  console.log(
    JSON.stringify({
      events: total,
      partitions,
      bare_median: Math.round(median(results.map((r) => r.bare))),
      runtime_median: Math.round(median(results.map((r) => r.runtime))),
      ratio_median: Number(median(results.map((r) => r.runtime / r.bare)).toFixed(2)),
    }),
  );
  await admin.deleteTopics({ topics: Object.values(topicEnv) }).catch(() => undefined);
  await admin.disconnect();
}

/** A consumer that does nothing with the records: the ceiling kafkajs sets on this broker. */
async function bareConsumer(kafka: Kafka, topics: string[], total: number, groupId: string): Promise<number> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let seen = 0;
  let first = 0;
  let last = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (first === 0) first = performance.now();
        seen += batch.messages.length;
        last = performance.now();
        if (seen >= total) resolve();
        return Promise.resolve();
      },
    });
  });
  await bounded(done, 'bare consumer');
  await consumer.disconnect();
  return (seen / (last - first)) * 1000;
}

async function runtimeConsumer(kafka: Kafka, env: Record<string, string>, topicEnv: Record<string, string>, total: number, groupId: string): Promise<number> {
  const prefix = groupId.replace(/[^A-Za-z0-9_-]/g, '-').slice(-32);
  const settings = loadSettings({ env: { ...topicEnv, KAFKA_BROKERS: env.KAFKA_BROKERS, REDIS_URL: env.REDIS_URL, REDIS_KEY_PREFIX: prefix, KAFKA_GROUP_ID: groupId, KAFKA_FETCH_MAX_WAIT_MS: '100', RUN_IDLE_WATERMARK_SECONDS: '0' } });
  const state = connectState(settings);
  let seen = 0;
  let first = 0;
  let last = 0;
  let batches = 0;
  let batchSeconds = 0;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const runner = new StreamRunner({
    settings,
    kafka,
    store: state.store,
    decoder: new MessageDecoder(ingestRulesFrom(settings), null),
    context: () => ({ model: UNFITTED_MODEL, parameters: domainParametersFrom(settings) }),
    version: 'bench',
    logger: pino({ level: 'silent' }),
    observer: {
      batchCommitted(_p, records, _outcome, seconds) {
        batches++;
        batchSeconds += seconds;
        if (first === 0) first = performance.now();
        seen += records.length;
        last = performance.now();
        if (seen >= total) finished();
      },
    },
  });
  await runner.start();
  await bounded(done, 'runtime');
  await runner.stop();
  console.log(`  runtime: ${batches} batches, ${Math.round(seen / Math.max(1, batches))} records per batch, ${(batchSeconds * 1000 / Math.max(1, batches)).toFixed(1)} ms per batch (load + reduce + commit), ${((batchSeconds * 1000) / (last - first) * 100).toFixed(0)} % of the wall time in batch steps (summed over partitions)`);
  // Remove what the run wrote (only keys under this run's own prefix).
  const keys = await state.redis.keys(`${prefix}:*`);
  for (let i = 0; i < keys.length; i += 500) await state.redis.unlink(...keys.slice(i, i + 500));
  await state.close();
  return (seen / (last - first)) * 1000;
}

async function bounded(promise: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${MAX_WAIT_MS / 1000} s`)), MAX_WAIT_MS)))]);
  clearTimeout(timer);
}

await main();
