// The service end to end against the real servers: events produced to Kafka →
// StreamRunner → customer states in Redis and segment-changed / churn-risk
// events on Kafka, checked against the pure pipeline over the same input — on a
// standalone Redis and on the 3-master Redis Cluster.
import type { Producer } from 'kafkajs';
import { expect, it } from 'vitest';
import { connectState, type StateConnection } from '../../../src/state/connect.js';
import { KeySpace } from '../../../src/state/keys.js';
import {
  cleanupsAfterEach,
  createTestKafka,
  deleteKeysByPrefix,
  describeWithInfra,
  uniqueRedisPrefix,
  waitFor,
  type InfraEndpoints,
} from '../../support/infra.js';
import {
  TopicReader,
  createTopicSet,
  deleteTopicSet,
  convergedEmissionDifferences,
  convergedStateDifferences,
  eventStream,
  inProcessRunner,
  produceAll,
  reference,
  runtimeEnv,
  settingsOf,
} from '../../support/runtime-harness.js';

const PARTITIONS = 4;

describeWithInfra('runtime end to end: Kafka → Redis → Kafka', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  const targets = [
    { name: 'standalone Redis', cluster: false },
    ...(infra.redisClusterNodes ? [{ name: 'Redis Cluster', cluster: true }] : []),
  ];

  for (const target of targets) {
    it(`${target.name}: state equals the pure pipeline's and every emission is published`, { timeout: 120_000 }, async () => {
      const topics = await createTopicSet(infra, PARTITIONS, 'e2e');
      cleanups.push(() => deleteTopicSet(infra, topics));
      const prefix = uniqueRedisPrefix('e2e').replace(/:$/, '').replace(/[^A-Za-z0-9_-]/g, '-').slice(-32);
      const env = runtimeEnv(infra, topics, {
        prefix,
        clusterNodes: target.cluster ? infra.redisClusterNodes?.map((n) => `${n.host}:${n.port}`).join(',') : undefined,
      });
      const settings = settingsOf(env);
      const state: StateConnection = connectState(settings);
      cleanups.push(() => state.close());
      cleanups.push(() => deleteKeysByPrefix(state.redis, `${prefix}:`));

      const messages = eventStream({ seed: target.cluster ? 11 : 7, customers: 60, events: 1_500 });
      const producer: Producer = createTestKafka(infra).producer();
      await producer.connect();
      cleanups.push(() => producer.disconnect());
      await produceAll(producer, topics, messages);

      const reader = new TopicReader(infra, [topics.segmentChanged, topics.churnRisk]);
      await reader.start();
      cleanups.push(() => reader.stop());

      const runner = inProcessRunner(infra, settings, state.store);
      await runner.start();
      cleanups.push(() => runner.stop());

      const expected = reference(messages, settings, PARTITIONS);
      expect(expected.emissions.size).toBeGreaterThan(100);
      expect(await convergedStateDifferences(state.redis, prefix, PARTITIONS, expected.states, 60_000)).toEqual([]);
      expect(await convergedEmissionDifferences(expected.emissions, reader, 30_000)).toEqual([]);

      // The outbox drains, Kafka's group offsets catch up with Redis.
      const keys = new KeySpace(prefix);
      await waitFor(async () => {
        let depth = 0;
        for (let p = 0; p < PARTITIONS; p++) depth += await state.redis.xlen(keys.outbox(p));
        return depth === 0;
      }, { timeoutMs: 20_000, what: 'empty outboxes' });
      const admin = createTestKafka(infra).admin();
      await admin.connect();
      cleanups.push(() => admin.disconnect());
      await waitFor(
        async () => {
          const [committed] = await admin.fetchOffsets({ groupId: settings.KAFKA_GROUP_ID, topics: [topics.byType.purchase] });
          const high = await admin.fetchTopicOffsets(topics.byType.purchase);
          return committed?.partitions.every((c) => c.offset === high.find((h) => h.partition === c.partition)?.high);
        },
        { timeoutMs: 20_000, what: 'Kafka group offsets at the high watermark' },
      );
      const status = runner.status();
      expect(status.joined).toBe(true);
      expect(status.assigned).toEqual([0, 1, 2, 3]);
      await runner.stop();
      expect(runner.status().state).toBe('stopped');
    });
  }
});
