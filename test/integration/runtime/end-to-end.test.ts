// The service end to end against the real servers: events produced to Kafka →
// StreamRunner → customer states in Redis and segment-changed / churn-risk
// events on Kafka, checked against the pure pipeline over the same input — on a
// standalone Redis and on the 3-master Redis Cluster.
import type { Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { ingestRulesFrom } from '../../../src/config/runtime-parameters.js';
import { MessageDecoder } from '../../../src/kafka/message-decoder.js';
import { StreamRunner } from '../../../src/service/stream-runner.js';
import { connectState, type StateConnection } from '../../../src/state/connect.js';
import { KeySpace } from '../../../src/state/keys.js';
import {
  createTestKafka,
  deleteKeysByPrefix,
  describeWithInfra,
  uniqueRedisPrefix,
  waitFor,
  type InfraEndpoints,
} from '../../support/infra.js';
import {
  TopicReader,
  contextOf,
  createTopicSet,
  deleteTopicSet,
  emissionDifferences,
  eventStream,
  produceAll,
  reference,
  runtimeEnv,
  settingsOf,
  stateDifferences,
} from '../../support/runtime-harness.js';

const PARTITIONS = 4;

describeWithInfra('runtime end to end: Kafka → Redis → Kafka', (infra: InfraEndpoints) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        console.warn(`cleanup failed: ${(err as Error).message}`);
      }
    }
  });

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

      const runner = new StreamRunner({
        settings,
        kafka: createTestKafka(infra),
        store: state.store,
        decoder: new MessageDecoder(ingestRulesFrom(settings), null),
        context: () => contextOf(settings),
        version: 'test',
        logger: pino({ level: 'silent' }),
      });
      await runner.start();
      cleanups.push(() => runner.stop());

      const expected = reference(messages, settings, PARTITIONS);
      expect(expected.emissions.size).toBeGreaterThan(100);
      await waitFor(async () => (await stateDifferences(state.redis, prefix, PARTITIONS, expected.states)).length === 0, {
        timeoutMs: 60_000,
        intervalMs: 500,
        what: 'Redis state to equal the reference',
      }).catch(() => undefined);
      expect((await stateDifferences(state.redis, prefix, PARTITIONS, expected.states)).slice(0, 5)).toEqual([]);

      await waitFor(() => emissionDifferences(expected.emissions, reader.emissions()).length === 0, {
        timeoutMs: 30_000,
        intervalMs: 250,
        what: 'every expected emission on Kafka',
      }).catch(() => undefined);
      expect(emissionDifferences(expected.emissions, reader.emissions()).slice(0, 5)).toEqual([]);

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
