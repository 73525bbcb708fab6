// Consumer lag refreshed from the broker on a timer: with the stored offset of a
// partition standing still (a stalled partition: nothing commits), the lag the
// sampler reports grows as records arrive — which the runner's own per-batch
// report cannot show. Real Kafka and Redis; the gauge read from /metrics' text.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LagSampler, sampleLagEvery } from '../../src/service/lag-sampler.js';
import { RuntimeMetrics } from '../../src/ops/metrics.js';
import { KeySpace, META_FIELDS } from '../../src/state/keys.js';
import { PartitionStore } from '../../src/state/store.js';
import {
  cleanupsAfterEach,
  createTestKafka,
  createTopic,
  deleteKeysByPrefix,
  deleteTopic,
  describeWithInfra,
  uniqueRedisPrefix,
  uniqueTopic,
  waitFor,
  type InfraEndpoints,
} from '../support/infra.js';

describeWithInfra('consumer lag from the broker on a timer', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();
  const topic = uniqueTopic('lag');
  const prefix = uniqueRedisPrefix('lag');
  let redis: Redis;

  beforeAll(async () => {
    await createTopic(infra, topic, { partitions: 2 });
    redis = new Redis(infra.redisUrl);
  });
  afterAll(async () => {
    await deleteKeysByPrefix(redis, prefix);
    await redis.quit();
    await deleteTopic(infra, topic);
  });

  /** The gauge's value for topic/partition as /metrics would show it, or undefined when there is no series. */
  async function gauge(metrics: RuntimeMetrics, partition: number): Promise<number | undefined> {
    const line = (await metrics.render()).split('\n').find((l) => l.startsWith(`clvstream_consumer_lag{topic="${topic}",partition="${partition}"}`));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  }

  it("a stalled partition's lag grows with every record that arrives; only owned partitions are reported", async () => {
    const kafka = createTestKafka(infra);
    const producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const send = (n: number) => producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ partition: 0, key: `c${i}`, value: '{}' })) });

    const store = new PartitionStore(redis, new KeySpace(prefix));
    // The partition stopped at offset 2: records from there on wait, and nothing commits.
    await redis.hset(store.keys.meta(0), `${META_FIELDS.offsetPrefix}${topic}`, '2');
    await send(5);

    const metrics = new RuntimeMetrics({ defaultMetrics: false });
    const sampler = new LagSampler({ offsets: admin, store, topics: [topic], assigned: () => [0], report: (t, p, lag) => metrics.lag(t, p, lag) });
    await sampler.sample();
    expect(await gauge(metrics, 0)).toBe(3);
    expect(await gauge(metrics, 1)).toBeUndefined();

    await send(4);
    await sampler.sample();
    expect(await gauge(metrics, 0)).toBe(7);

    // On its timer: the next arrivals show without anyone calling sample().
    const errors: unknown[] = [];
    const stop = sampleLagEvery(sampler, 50, (error) => errors.push(error));
    cleanups.push(stop);
    await send(10);
    await waitFor(async () => (await gauge(metrics, 0)) === 17, { what: 'the sampled lag to reach 17' });
    await stop();
    expect(errors).toEqual([]);
  });
});
