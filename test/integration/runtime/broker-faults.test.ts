// The runtime against real Apache Kafka brokers that fail: brokers of the test's
// own (scripts/kafka-node.sh via KafkaNodes), never the shared one.
// - one broker SIGKILLed mid-stream and restarted on its log;
// - a 3-broker cluster (replication factor 3, min.insync.replicas 2) whose
//   leader of partitions being consumed and produced is SIGKILLed mid-stream,
//   and comes back later.
// Each ends with every customer's state and the de-duplicated emissions exactly
// those of one clean pass. How long consumption took to resume is printed (the
// figure goes in the notes; the test waits for the resumption, never for a time).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../../src/kafka/client.js';
import { cleanupsAfterEach, createTestKafka, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { KafkaNodes } from '../../support/kafka-nodes.js';
import {
  convergedEmissionDifferences,
  convergedStateDifferences,
  eventStream,
  inProcessRunner,
  produceAll,
  reference,
  runtimeFixture,
  storedInboundRecords,
  type TopicSet,
} from '../../support/runtime-harness.js';

const PARTITIONS = 4;

describeWithInfra('runtime against failing Kafka brokers', (shared: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  /** Waits until more records than `from` are stored; resolves with the seconds it took. */
  const resumed = async (stored: () => Promise<number>, from: number, what: string): Promise<number> => {
    const t0 = performance.now();
    await waitFor(async () => (await stored()) > from, { timeoutMs: 120_000, intervalMs: 50, what });
    return (performance.now() - t0) / 1000;
  };

  const setUp = async (infra: InfraEndpoints, label: string, replicationFactor: number, seed: number) => {
    const t = await runtimeFixture(infra, cleanups, label, PARTITIONS, { replicationFactor, extra: { RUN_BATCH_MAX_RECORDS: '100' } });
    const messages = eventStream({ seed, customers: 200, events: 20_000, stepMs: 15 * 60_000 });
    await produceAll(t.producer, t.topics, messages);
    // The service's own client configuration, not the tests' short retries.
    const runner = inProcessRunner(infra, t.settings, t.state.store, { kafka: createKafka(t.settings) });
    cleanups.push(() => runner.stop());
    const stored = () => storedInboundRecords(t.state.redis, t.prefix, PARTITIONS, t.topics);
    return { ...t, messages, runner, stored };
  };

  const expectExact = async (t: Awaited<ReturnType<typeof setUp>>) => {
    const expected = reference(t.messages, t.settings, PARTITIONS);
    expect(await convergedStateDifferences(t.state.redis, t.prefix, PARTITIONS, expected.states, 180_000)).toEqual([]);
    expect(await convergedEmissionDifferences(expected.emissions, t.reader, 120_000)).toEqual([]);
  };

  it('one broker SIGKILLed mid-stream and restarted on its log: ends exact', { timeout: 420_000 }, async () => {
    const nodes = await KafkaNodes.start(1);
    cleanups.push(() => nodes.stop());
    const infra = { ...shared, kafkaBrokers: nodes.brokers };
    const t = await setUp(infra, 'brokerkill', 1, 83);
    await t.runner.start();
    await waitFor(async () => (await t.stored()) > 2_000, { timeoutMs: 60_000, what: 'progress before the kill' });

    await nodes.kill(1);
    const atKill = await t.stored();
    expect(atKill, 'the kill landed mid-stream').toBeLessThan(t.messages.length);
    await nodes.restart(1);
    const seconds = await resumed(t.stored, await t.stored(), 'consumption after the broker restarted');
    console.log(`[broker-faults] one broker: consumption resumed ${seconds.toFixed(1)} s after the restarted broker served`);
    await expectExact(t);
  });

  describe('three brokers', () => {
    let nodes: KafkaNodes;
    beforeAll(async () => {
      nodes = await KafkaNodes.start(3);
    }, 300_000);
    afterAll(async () => {
      await nodes?.stop();
    });

    it('3 brokers, RF 3, min ISR 2: the leader of consumed and produced partitions SIGKILLed mid-stream, back later: ends exact', { timeout: 420_000 }, async () => {
      const infra = { ...shared, kafkaBrokers: nodes.brokers };
      const t = await setUp(infra, 'leaderkill', 3, 89);
      const leader = await leaderOfMost(infra, t.topics);
      await t.runner.start();
      await waitFor(async () => (await t.stored()) > 2_000, { timeoutMs: 60_000, what: 'progress before the kill' });

      await nodes.kill(leader);
      const atKill = await t.stored();
      expect(atKill, 'the kill landed mid-stream').toBeLessThan(t.messages.length);
      // Two of three replicas remain: min ISR 2 still holds, so nothing waits for the dead broker.
      const seconds = await resumed(t.stored, atKill, 'consumption after the leader died');
      console.log(`[broker-faults] 3 brokers: consumption resumed ${seconds.toFixed(1)} s after the leader (node ${leader}) was killed`);
      await waitFor(async () => (await t.stored()) >= t.messages.length * 0.6 || (await t.stored()) === t.messages.length, {
        timeoutMs: 120_000,
        what: 'more progress without the old leader',
      });
      await nodes.restart(leader);
      await expectExact(t);
    });
  });
});

/** The node leading most partitions of the inbound and emission topics (ties: the lowest id). */
async function leaderOfMost(infra: InfraEndpoints, topics: TopicSet): Promise<number> {
  const admin = createTestKafka(infra).admin();
  await admin.connect();
  try {
    const { topics: described } = await admin.fetchTopicMetadata({ topics: [...topics.all] });
    const counts = new Map<number, number>();
    for (const t of described) for (const p of t.partitions) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
  } finally {
    await admin.disconnect();
  }
}
