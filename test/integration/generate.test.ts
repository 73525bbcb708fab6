// `clvstream generate` to Kafka: a small bounded run produced to fresh topics and
// read back — every event on its type's topic, keyed by customer id, on the
// partition the default (murmur2) partitioner gives that key.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Consumer, Kafka } from 'kafkajs';
import { expect, it } from 'vitest';
import { inboundTopicsOf, kafkaEventSink, type InboundTopics } from '../../src/app/generate-kafka.js';
import { runGenerator } from '../../src/app/generate-run.js';
import { syntheticTraffic, type GeneratedEvent, type TrafficOptions } from '../../src/app/generate.js';
import { INBOUND_TYPES, type InboundType } from '../../src/contracts/inbound.js';
import { decodeBytes } from '../../src/ingest/decode.js';
import { partitionOfKey } from '../../src/kafka/key-partition.js';
import {
  cleanupsAfterEach,
  createTestKafka,
  createTopic,
  deleteTopic,
  describeWithInfra,
  TEST_CONSUMER_TIMINGS,
  uniqueGroupId,
  uniqueSuffix,
  waitFor,
} from '../support/infra.js';
import { GENERATED_TRAFFIC_RULES } from '../support/ingest-rules.js';

const PARTITIONS = 3;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Received {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  readonly value: string;
}

describeWithInfra('clvstream generate → Kafka', (infra) => {
  const cleanups = cleanupsAfterEach();

  async function freshInboundTopics(): Promise<InboundTopics> {
    const suffix = uniqueSuffix();
    const topics = inboundTopicsOf({
      TOPIC_PURCHASE: `clvtest-gen-purchases-${suffix}`,
      TOPIC_RETURN: `clvtest-gen-returns-${suffix}`,
      TOPIC_REFERRAL: `clvtest-gen-referrals-${suffix}`,
      TOPIC_CANCELLATION: `clvtest-gen-cancellations-${suffix}`,
      TOPIC_FEEDBACK: `clvtest-gen-feedback-${suffix}`,
      TOPIC_INTERACTION: `clvtest-gen-interactions-${suffix}`,
    });
    for (const topic of Object.values(topics)) {
      await createTopic(infra, topic, { partitions: PARTITIONS });
      cleanups.push(() => deleteTopic(infra, topic));
    }
    return topics;
  }

  /** Reads every topic from the beginning until `expected` records arrived. */
  async function readBack(kafka: Kafka, topics: InboundTopics, expected: number): Promise<Received[]> {
    const consumer: Consumer = kafka.consumer({ groupId: uniqueGroupId('generate'), ...TEST_CONSUMER_TIMINGS });
    await consumer.connect();
    cleanups.push(() => consumer.disconnect());
    await consumer.subscribe({ topics: Object.values(topics), fromBeginning: true });
    const received: Received[] = [];
    await consumer.run({
      eachMessage: ({ topic, partition, message }) => {
        received.push({ topic, partition, key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
        return Promise.resolve();
      },
    });
    await waitFor(() => received.length >= expected, { timeoutMs: 40_000, what: `${expected} generated records` });
    // Nothing beyond the bound was written: the logs end where the records read end
    // (the generator has finished, so its writes are all acknowledged).
    const admin = kafka.admin();
    await admin.connect();
    try {
      let written = 0;
      for (const topic of Object.values(topics)) for (const p of await admin.fetchTopicOffsets(topic)) written += Number(p.high) - Number(p.low);
      expect(written).toBe(expected);
    } finally {
      await admin.disconnect();
    }
    return received;
  }

  function checkRecords(received: readonly Received[], topics: InboundTopics, generated: readonly GeneratedEvent[]): void {
    const typeOfTopic = new Map(Object.entries(topics).map(([type, topic]) => [topic, type as InboundType]));
    expect(received).toHaveLength(generated.length);
    const now = Date.now();
    for (const record of received) {
      const type = typeOfTopic.get(record.topic);
      if (type === undefined) throw new Error(`record on unexpected topic ${record.topic}`);
      const decoded = decodeBytes(Buffer.from(record.value), type, GENERATED_TRAFFIC_RULES, now);
      if (decoded.tag !== 'input') throw new Error(`${record.value}: ${decoded.rejection.message}`);
      expect(record.key).toBe(decoded.event.customer_id);
      expect(record.partition).toBe(partitionOfKey(record.key, PARTITIONS));
    }
    const ids = (list: readonly string[]) => [...list].sort();
    expect(ids(received.map((r) => (JSON.parse(r.value) as { event_id: string }).event_id))).toEqual(
      ids(generated.map((g) => g.event.event_id)),
    );
  }

  it('a paced, bounded run lands on the inbound topics, keyed and partitioned by customer', async () => {
    const topics = await freshInboundTopics();
    const kafka = createTestKafka(infra);
    const options: TrafficOptions = {
      seed: 5,
      customers: 60,
      // Far enough back that the 400 events (about three simulated years) are all
      // in the past: the Kafka pacing holds back events from the future.
      startMs: Date.parse('2010-01-01T00:00:00Z'),
      currency: 'USD',
      idPrefix: `it-${uniqueSuffix()}`,
    };
    const sink = await kafkaEventSink(kafka, topics);
    cleanups.push(() => sink.close());
    const started = Date.now();
    const summary = await runGenerator({
      events: syntheticTraffic(options),
      sink,
      maxEvents: 400,
      pacing: { rate: 400, durationMs: 1_000, notAfterNow: true },
      endMs: null,
    });
    expect(summary.events).toBe(400);
    expect(summary.stopped_by).toBe('count');
    expect(Date.now() - started).toBeLessThan(10_000);
    const generated = [...take(syntheticTraffic(options), 400)];
    expect(new Set(generated.map((g) => g.type)).size).toBeGreaterThanOrEqual(4);

    checkRecords(await readBack(kafka, topics, 400), topics, generated);
  });

  it('the command line (--brokers from KAFKA_BROKERS, topics from TOPIC_*) produces exactly rate × duration events', async () => {
    const topics = await freshInboundTopics();
    const env: Record<string, string | undefined> = {
      ...process.env,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      TOPIC_PURCHASE: topics.purchase,
      TOPIC_RETURN: topics.return,
      TOPIC_REFERRAL: topics.referral,
      TOPIC_CANCELLATION: topics.cancellation,
      TOPIC_FEEDBACK: topics.feedback,
      TOPIC_INTERACTION: topics.interaction,
      CLVSTREAM_CONFIG: undefined,
      // generate needs no Redis; the test servers' cluster beside their standalone Redis would be refused.
      REDIS_CLUSTER_NODES: undefined,
    };
    const prefix = `cli-${uniqueSuffix()}`;
    const args = ['--start', '2010-01-01', '--currency', 'USD', '--customers', '80', '--rate', '150', '--duration', '2', '--seed', '3', '--id-prefix', prefix];
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'generate', '--brokers', ...args], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 50_000,
    });
    expect(result.stderr).toContain('"stopped_by":"count"');
    expect(result.status).toBe(0);

    const generated = [
      ...take(syntheticTraffic({ seed: 3, customers: 80, startMs: Date.parse('2010-01-01T00:00:00Z'), currency: 'USD', idPrefix: prefix }), 300),
    ];
    const received = await readBack(createTestKafka(infra), topics, 300);
    checkRecords(received, topics, generated);
    expect(new Set(received.map((r) => r.topic)).size).toBe(INBOUND_TYPES.length);
  });
});

function* take<T>(items: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  let i = 0;
  for (const item of items) {
    yield item;
    if (++i >= n) return;
  }
}
