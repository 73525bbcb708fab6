// Proves the integration path end to end: kafkajs producer → topic →
// consumer group → ioredis → read back (broker faults are in
// runtime/broker-faults.test.ts).
import type { Consumer, KafkaMessage, Producer, ProducerConfig } from 'kafkajs';
import type { Cluster, Redis } from 'ioredis';
import { expect, it } from 'vitest';
import {
  cleanupsAfterEach,
  createTestKafka,
  createTestRedis,
  createTestRedisCluster,
  createTopic,
  deleteKeysByPrefix,
  deleteTopic,
  describeWithInfra,
  TEST_CONSUMER_TIMINGS,
  uniqueGroupId,
  uniqueRedisPrefix,
  uniqueSuffix,
  uniqueTopic,
  waitFor,
} from '../support/infra.js';

describeWithInfra('integration smoke: kafka → redis', (infra) => {
  // Everything a test opens is registered here and closed even if it fails.
  const cleanups = cleanupsAfterEach();

  async function connectedProducer(options: ProducerConfig = {}): Promise<Producer> {
    const producer = createTestKafka(infra).producer(options);
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    return producer;
  }

  async function freshTopic(label: string, partitions = 1): Promise<string> {
    const topic = uniqueTopic(label);
    await createTopic(infra, topic, { partitions });
    cleanups.push(() => deleteTopic(infra, topic));
    return topic;
  }

  function redisClient(): Redis {
    const redis = createTestRedis(infra);
    cleanups.push(() => redis.quit());
    return redis;
  }

  it('a purchase event produced to a fresh topic is consumed by a group, stored in Redis and read back', async () => {
    const topic = await freshTopic('smoke');
    const event = {
      type: 'purchase',
      event_id: `evt-${uniqueSuffix()}`,
      customer_id: 'c-1',
      occurred_at: '2026-01-01T10:00:00+00:00',
      amount: '12.50',
      currency: 'USD',
    };

    const producer = await connectedProducer({ idempotent: true, maxInFlightRequests: 1 });
    const [sent] = await producer.send({
      topic,
      acks: -1,
      messages: [{ key: event.customer_id, value: JSON.stringify(event) }],
    });
    expect(sent?.errorCode).toBe(0);

    const consumer: Consumer = createTestKafka(infra).consumer({
      groupId: uniqueGroupId('smoke'),
      ...TEST_CONSUMER_TIMINGS,
    });
    await consumer.connect();
    cleanups.push(() => consumer.disconnect());
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: KafkaMessage[] = [];
    await consumer.run({
      eachMessage: ({ message }) => {
        received.push(message);
        return Promise.resolve();
      },
    });
    const message = await waitFor(() => received[0], { timeoutMs: 30_000, what: 'the purchase event' });
    expect(message.key?.toString()).toBe('c-1');
    const consumed: unknown = JSON.parse(message.value?.toString() ?? 'null');

    const redis = redisClient();
    const prefix = uniqueRedisPrefix('smoke');
    cleanups.push(() => deleteKeysByPrefix(redis, prefix));
    const key = `${prefix}event:${event.event_id}`;
    await redis.set(key, JSON.stringify(consumed));

    const stored = await redis.get(key);
    expect(stored).not.toBeNull();
    expect(JSON.parse(stored ?? 'null')).toEqual(event);
    expect(received).toHaveLength(1);
  });

  it.skipIf(!infra.redisClusterNodes)('the Redis Cluster serves keys spread over all masters', async () => {
    const cluster = createTestRedisCluster(infra) as Cluster;
    cleanups.push(() => cluster.quit());
    const prefix = uniqueRedisPrefix('cluster');
    cleanups.push(() => deleteKeysByPrefix(cluster, prefix));

    const keys = Array.from({ length: 60 }, (_, i) => `${prefix}${i}`);
    for (const key of keys) await cluster.set(key, key);
    expect(await Promise.all(keys.map((key) => cluster.get(key)))).toEqual(keys);

    const masters = cluster.nodes('master');
    expect(masters).toHaveLength(3);
    const perMaster = await Promise.all(masters.map((node) => node.dbsize()));
    expect(perMaster.every((n) => n > 0)).toBe(true);
  });
});
