// The service end to end against the real servers: events produced to Kafka →
// StreamRunner → customer states in Redis and segment-changed / churn-risk
// events on Kafka, checked against the pure pipeline over the same input — on a
// standalone Redis and on the 3-master Redis Cluster.
import { expect, it } from 'vitest';
import { KeySpace } from '../../../src/state/keys.js';
import { cleanupsAfterEach, createTestKafka, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { convergedEmissionDifferences, convergedStateDifferences, eventStream, produceAll, reference, runtimeFixture } from '../../support/runtime-harness.js';

const PARTITIONS = 4;

describeWithInfra('runtime end to end: Kafka → Redis → Kafka', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  // The service relays from a thread of its own (RUN_RELAY_THREAD); the runner's own-thread relay is checked too.
  const targets = [
    { name: 'standalone Redis', cluster: false, relayThread: true },
    { name: 'standalone Redis, relay on the runner\'s thread', cluster: false, relayThread: false },
    ...(infra.redisClusterNodes ? [{ name: 'Redis Cluster', cluster: true, relayThread: true }] : []),
  ];

  for (const target of targets) {
    it(`${target.name}: state equals the pure pipeline's and every emission is published`, { timeout: 120_000 }, async () => {
      const clusterNodes = target.cluster ? infra.redisClusterNodes?.map((n) => `${n.host}:${n.port}`).join(',') : undefined;
      const { topics, prefix, settings, state, producer, reader, runner: newRunner } = await runtimeFixture(infra, cleanups, 'e2e', PARTITIONS, {
        // With the cluster, REDIS_URL names one of its nodes: a URL beside the cluster naming another server is refused.
        extra: { RUN_RELAY_THREAD: String(target.relayThread), ...(clusterNodes === undefined ? {} : { REDIS_CLUSTER_NODES: clusterNodes, REDIS_URL: `redis://${clusterNodes.split(',')[0] ?? ''}` }) },
      });
      const messages = eventStream({ seed: target.cluster ? 11 : target.relayThread ? 7 : 13, customers: 60, events: 1_500 });
      await produceAll(producer, topics, messages);

      const runner = newRunner();
      await runner.start();

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
