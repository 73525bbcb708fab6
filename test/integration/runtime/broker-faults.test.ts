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
import { partitionOfKey } from '../../../src/kafka/key-partition.js';
import { KeySpace } from '../../../src/state/keys.js';
import type { RedisClient } from '../../../src/state/store.js';
import { OutboxRelay, relayProducerOptions } from '../../../src/service/outbox-relay.js';
import { cleanupsAfterEach, createTestKafka, describeWithInfra, uniqueTopic, waitFor, type InfraEndpoints } from '../../support/infra.js';
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
  TopicReader,
  type TestMessage,
  type TopicSet,
} from '../../support/runtime-harness.js';

const PARTITIONS = 4;

describeWithInfra('runtime against failing Kafka brokers', (shared: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  /** Waits until more records than `from` are stored; resolves with the seconds it took. */
  const resumed = async (stored: () => Promise<number>, from: number, what: string, status?: () => unknown): Promise<number> => {
    const t0 = performance.now();
    try {
      await waitFor(async () => (await stored()) > from, { timeoutMs: 120_000, intervalMs: 50, what });
    } catch (error) {
      // A slow catch-up and a stall look alike from the count alone: say where it stood.
      console.log(`[broker-faults] ${what}: ${await stored()} of ${from + 1} stored; runner ${JSON.stringify(status?.())}`);
      throw error;
    }
    return (performance.now() - t0) / 1000;
  };

  // The whole stream is in Kafka before consuming starts, so the merge's order
  // (and with it the result) depends on the data only, as in the reference.
  // Fetching pauses at a small buffer (RUN_MAX_BUFFERED_RECORDS per topic and
  // partition; a fetch may overshoot it), so a partition does not hold the
  // stream in memory and must fetch again after the fault. How long it took to
  // consume the rest is printed: a figure for the notes, never asserted.
  const BUFFERED = 100;
  const setUp = async (infra: InfraEndpoints, label: string, replicationFactor: number, seed: number) => {
    const t = await runtimeFixture(infra, cleanups, label, PARTITIONS, {
      replicationFactor,
      extra: { RUN_BATCH_MAX_RECORDS: '100', RUN_MAX_BUFFERED_RECORDS: String(BUFFERED) },
    });
    const messages = eventStream({ seed, customers: 200, events: 20_000, stepMs: 15 * 60_000 });
    await produceAll(t.producer, t.topics, messages);
    // The service's own client configuration, not the tests' short retries.
    const consumerRestarts: string[] = [];
    const runner = inProcessRunner(infra, t.settings, t.state.store, {
      kafka: createKafka(t.settings),
      observer: { consumerRestarted: (error) => consumerRestarts.push(`${error.name}: ${error.message}`) },
    });
    cleanups.push(() => runner.stop());
    const stored = () => storedInboundRecords(t.state.redis, t.prefix, PARTITIONS, t.topics);
    return { ...t, messages, runner, stored, consumerRestarts: () => consumerRestarts.length, restartErrors: () => consumerRestarts };
  };

  // What was published is read back by a reader started after the fault: the
  // fixture's reader went through it too, and is not what is under test.
  const expectExact = async (t: Awaited<ReturnType<typeof setUp>>, infra: InfraEndpoints) => {
    const expected = reference(t.messages, t.settings, PARTITIONS);
    expect(await convergedStateDifferences(t.state.redis, t.prefix, PARTITIONS, expected.states, 180_000)).toEqual([]);
    // A reader started now, from the beginning of the log: what it misses is not on
    // Kafka. With the outbox depths a stopped relay is told from a lost record (the
    // SIGSTOP case below lost acknowledged records with every outbox empty).
    const fresh = new TopicReader(infra, [t.topics.segmentChanged, t.topics.churnRisk]);
    await fresh.start();
    cleanups.push(() => fresh.stop());
    const missing = await convergedEmissionDifferences(expected.emissions, fresh, 120_000);
    if (missing.length > 0) {
      const keys = new KeySpace(t.prefix);
      const depths = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => t.state.redis.xlen(keys.outbox(p))));
      console.log(`[broker-faults] emissions missing (${missing.slice(0, 2).join('; ')}); outbox depths per partition ${depths.join(', ')}; runner ${JSON.stringify(t.runner.status())}`);
    }
    expect(missing).toEqual([]);
  };

  it('one broker SIGKILLed mid-stream and restarted on its log: ends exact', { timeout: 600_000 }, async () => {
    const nodes = await KafkaNodes.start(1);
    cleanups.push(() => nodes.stop());
    const infra = { ...shared, kafkaBrokers: nodes.brokers };
    const t = await setUp(infra, 'brokerkill', 1, 83);
    await t.runner.start();
    await waitFor(async () => (await t.stored()) > 2_000, { timeoutMs: 60_000, what: 'progress before the kill' });

    await nodes.kill(1);
    const atKill = await t.stored();
    expect(atKill, 'the kill landed with records left to consume').toBeLessThan(t.messages.length);
    await nodes.restart(1);
    const seconds = await resumed(t.stored, t.messages.length - 1, 'the whole stream consumed through the restarted broker', () => ({ ...t.runner.status(), consumerRestarts: t.restartErrors() }));
    console.log(`[broker-faults] one broker: the stream was consumed to its end ${seconds.toFixed(1)} s after the restarted node logged its start; consumer restarts: ${t.consumerRestarts()}`);
    await expectExact(t, infra);
  });

  describe('three brokers', () => {
    let nodes: KafkaNodes;
    beforeAll(async () => {
      nodes = await KafkaNodes.start(3);
    }, 300_000);
    afterAll(async () => {
      await nodes?.stop();
    });

    // The coordinator's loss makes heartbeats and commits fail with NOT_COORDINATOR
    // or a broken connection: the consumer must find the new coordinator and
    // rejoin through it, not crash and be restarted by kafkajs.
    it('3 brokers: the group coordinator SIGKILLed mid-stream: the group moves to a new coordinator without a consumer restart; ends exact', { timeout: 600_000 }, async () => {
      const infra = { ...shared, kafkaBrokers: nodes.brokers };
      const t = await setUp(infra, 'coordkill', 3, 101);
      await t.runner.start();
      await waitFor(async () => (await t.stored()) > 2_000, { timeoutMs: 60_000, what: 'progress before the kill' });

      const coordinator = await groupCoordinator(infra, t.settings.KAFKA_GROUP_ID);
      await nodes.kill(coordinator);
      const atKill = await t.stored();
      expect(atKill, 'the kill landed with records left to consume').toBeLessThan(t.messages.length);
      const seconds = await resumed(t.stored, t.messages.length - 1, 'the whole stream consumed after the coordinator was lost', () => ({ ...t.runner.status(), consumerRestarts: t.restartErrors() }));
      console.log(`[broker-faults] 3 brokers: the stream was consumed to its end ${seconds.toFixed(1)} s after the group coordinator (node ${coordinator}) was killed; consumer restarts: ${t.consumerRestarts()}`);
      await nodes.restart(coordinator);
      expect(t.restartErrors(), 'the errors kafkajs restarted the consumer on').toEqual([]);
      await expectExact(t, infra);
    });

    // The relay's send covers partitions led by two brokers. One of them stops
    // answering and loses its partition's leadership to the other, which has already
    // acknowledged its own part; the stopped one comes back and refuses (not the
    // leader). The send is retried: every partition not yet acknowledged must go to
    // its new leader, even to a broker that has answered once, before the outbox is
    // trimmed. kafkajs 2.2.4 skipped a broker that had answered, so the send resolved
    // without the moved partition's records and the relay deleted them from the outbox.
    it('a relay send whose partition moves to a broker that already acknowledged its part delivers it there', { timeout: 180_000 }, async () => {
      const infra = { ...shared, kafkaBrokers: nodes.brokers };
      const t = await runtimeFixture(infra, cleanups, 'relaymove', 1, { replicationFactor: 3 });
      // Node 3's address only: an admin that never waits on the stopped node 2.
      const clear = { ...shared, kafkaBrokers: [nodes.node(3).address] };
      const stays = uniqueTopic('relaystays');
      const moves = uniqueTopic('relaymoves');
      const admin = createTestKafka(clear).admin();
      await admin.connect();
      cleanups.push(() => admin.disconnect());
      // Leaders by assignment: `stays` on node 1; `moves` on node 2, then node 1 (next in its list).
      await admin.createTopics({
        waitForLeaders: false, // a node may not know a new topic yet: the wait below asks again
        topics: [
          { topic: stays, replicaAssignment: [{ partition: 0, replicas: [1, 3, 2] }], configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
          { topic: moves, replicaAssignment: [{ partition: 0, replicas: [2, 1, 3] }], configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
        ],
      });
      cleanups.push(() => admin.deleteTopics({ topics: [stays, moves] }));
      const leaderOf = (topic: string): Promise<number | undefined> =>
        admin.fetchTopicMetadata({ topics: [topic] }).then(
          (m) => m.topics[0]?.partitions[0]?.leader,
          () => undefined,
        );
      await waitFor(async () => (await leaderOf(stays)) === 1 && (await leaderOf(moves)) === 2, { timeoutMs: 60_000, what: 'leaders as assigned' });
      const written = async (topic: string): Promise<number> => Number((await admin.fetchTopicOffsets(topic))[0]?.high ?? -1);

      // The service's own client and the relay's producer; it reports each Produce answer by broker.
      const answeredBy: string[] = [];
      const kafka = createKafka(t.settings);
      // The send is under way while the test waits for node 1's answer and the leader
      // move, which on a loaded machine outlasts the relay's own 30 s send timeout:
      // what is tested here is where the send ends up, so it may take its time.
      const relay = new OutboxRelay(
        t.state.store,
        () => {
          const producer = kafka.producer(relayProducerOptions(t.settings));
          producer.on(producer.events.REQUEST, ({ payload }) => {
            if (payload.apiName === 'Produce') answeredBy.push(payload.broker);
          });
          return producer;
        },
        undefined,
        undefined,
        null,
        600_000,
      );
      cleanups.push(() => relay.close());
      const { epoch } = await t.state.store.claim(0);
      const commitTo = (label: string) =>
        t.state.store.commit(0, epoch, { outbox: [stays, moves].map((topic) => ({ id: `${label}-${topic}`, topic, key: 'C-1', value: JSON.stringify({ label }), eventTimeMs: null })) });

      // The first send teaches the producer the leaders and connects it to both.
      await commitTo('first');
      expect(await relay.relay(0)).toEqual({ relayed: 2, drained: true });
      expect([await written(stays), await written(moves)]).toEqual([1, 1]);

      await commitTo('second');
      // Under load the first send may have been answered by node 2 more than once (a retried request): count from here.
      const node2Before = answeredBy.filter((b) => b === nodes.node(2).address).length;
      nodes.pause(2);
      let resumed = false;
      cleanups.push(() => resumed || nodes.resume(2));
      const sending = relay.relay(0);
      // Node 1 acknowledges its part (once node 2, fenced, has left the ISR); `moves` now has node 1 as leader.
      await waitFor(() => answeredBy.filter((b) => b === nodes.node(1).address).length >= 2, { timeoutMs: 60_000, what: "node 1's answer to the second send" });
      await waitFor(async () => (await leaderOf(moves)) === 1, { timeoutMs: 60_000, what: 'node 1 to lead the partition node 2 led' });
      // Paused, node 2 answered nothing of the second send.
      expect(answeredBy.filter((b) => b === nodes.node(2).address)).toHaveLength(node2Before);
      nodes.resume(2);
      resumed = true;
      const t0 = performance.now();

      expect(await sending).toEqual({ relayed: 2, drained: true });
      console.log(`[broker-faults] relay send: acknowledged ${((performance.now() - t0) / 1000).toFixed(1)} s after node 2 was resumed; Produce answers by node ${JSON.stringify([1, 2, 3].map((n) => answeredBy.filter((b) => b === nodes.node(n).address).length))}`);
      expect(await t.state.store.outboxLength(0)).toBe(0);
      // Acknowledged and trimmed from the outbox, so on Kafka: each topic holds both records, once.
      expect({ stays: await written(stays), moves: await written(moves) }).toEqual({ stays: 2, moves: 2 });
    });

    it('3 brokers, RF 3, min ISR 2: the leader of consumed and produced partitions SIGKILLed mid-stream, back later: ends exact', { timeout: 600_000 }, async () => {
      const infra = { ...shared, kafkaBrokers: nodes.brokers };
      const t = await setUp(infra, 'leaderkill', 3, 89);
      const leader = await leaderOfMost(infra, t.topics);
      await t.runner.start();
      await waitFor(async () => (await t.stored()) > 2_000, { timeoutMs: 60_000, what: 'progress before the kill' });

      const led = await inboundLedBy(infra, t.topics, leader);
      await nodes.kill(leader);
      const atKill = await inboundPositions(t);
      expect([...atKill].filter(([tp, n]) => led.includes(tp) && n < (inboundEnds(t).get(tp) ?? 0)).length, 'the kill left input of the dead node to consume').toBeGreaterThan(0);
      const ends = inboundEnds(t);
      // Two of three replicas remain: min ISR 2 still holds, so nothing waits for the dead broker.
      // Every input the dead node led must be fetched on from its new leader.
      const t0 = performance.now();
      await waitFor(
        async () => {
          const now = await inboundPositions(t);
          return led.every((tp) => (now.get(tp) ?? 0) === (ends.get(tp) ?? 0));
        },
        { timeoutMs: 120_000, intervalMs: 50, what: 'every input partition the dead node led to be consumed to its end' },
      );
      const seconds = (performance.now() - t0) / 1000;
      console.log(`[broker-faults] 3 brokers: the ${led.length} input partitions node ${leader} led were consumed to their end ${seconds.toFixed(1)} s after it was killed; consumer restarts: ${t.consumerRestarts()}`);
      await nodes.restart(leader);
      await expectExact(t, infra);
    });

    // Lost acknowledged emissions in 2 of 5 runs until the kafkajs patch: a send
    // retried after the stopped leader refused skipped the partitions that had
    // moved to a broker that had already answered (the test above shows it directly).
    it('3 brokers: the leader of consumed and produced partitions stops answering for 5 s (SIGSTOP) and comes back: ends exact', { timeout: 600_000 }, async () => {
      const infra = { ...shared, kafkaBrokers: nodes.brokers };
      const t = await setUp(infra, 'leaderpause', 3, 97);
      const leader = await leaderOfMost(infra, t.topics);
      await t.runner.start();
      await waitFor(async () => (await t.stored()) > 2_000, { timeoutMs: 60_000, what: 'progress before the pause' });

      const led = await inboundLedBy(infra, t.topics, leader);
      nodes.pause(leader);
      const atPause = await inboundPositions(t);
      expect([...atPause].filter(([tp, n]) => led.includes(tp) && n < (inboundEnds(t).get(tp) ?? 0)).length, 'the pause left input of the stopped node to consume').toBeGreaterThan(0);
      const ends = inboundEnds(t);
      const t0 = performance.now();
      // Stopped, the node keeps its connections open and answers nothing: requests to it
      // hang instead of failing. It comes back after 5 s, by then a follower.
      const back = new Promise<void>((resolve) => setTimeout(() => resolve(nodes.resume(leader)), 5_000));
      await waitFor(
        async () => {
          const now = await inboundPositions(t);
          return led.every((tp) => (now.get(tp) ?? 0) === (ends.get(tp) ?? 0));
        },
        { timeoutMs: 180_000, intervalMs: 50, what: 'every input partition the paused node led to be consumed to its end' },
      );
      const seconds = (performance.now() - t0) / 1000;
      await back;
      console.log(`[broker-faults] 3 brokers: the ${led.length} input partitions node ${leader} led were consumed to their end ${seconds.toFixed(1)} s after it stopped answering (back after 5 s); consumer restarts: ${t.consumerRestarts()}`);
      await expectExact(t, infra);
    });
  });
});

type Fixture = { state: { redis: RedisClient }; prefix: string; topics: TopicSet; messages: readonly TestMessage[] };

/** The next offset stored in Redis for each inbound "topic/partition". */
async function inboundPositions(t: Fixture): Promise<Map<string, number>> {
  const keys = new KeySpace(t.prefix);
  const out = new Map<string, number>();
  for (let p = 0; p < PARTITIONS; p++) {
    const meta = await t.state.redis.hgetall(keys.meta(p));
    for (const topic of Object.values(t.topics.byType)) out.set(`${topic}/${p}`, Number(meta[`off:${topic}`] ?? 0));
  }
  return out;
}

/** Records in each inbound "topic/partition" of the whole stream. */
function inboundEnds(t: Fixture): Map<string, number> {
  const ends = new Map<string, number>();
  for (const m of t.messages) {
    const tp = `${t.topics.byType[m.type]}/${partitionOfKey(m.key, PARTITIONS)}`;
    ends.set(tp, (ends.get(tp) ?? 0) + 1);
  }
  return ends;
}

/** The inbound "topic/partition"s that `node` leads. */
async function inboundLedBy(infra: InfraEndpoints, topics: TopicSet, node: number): Promise<string[]> {
  const admin = createTestKafka(infra).admin();
  await admin.connect();
  try {
    const { topics: described } = await admin.fetchTopicMetadata({ topics: Object.values(topics.byType) });
    return described.flatMap((t) => t.partitions.filter((p) => p.leader === node).map((p) => `${t.name}/${p.partitionId}`));
  } finally {
    await admin.disconnect();
  }
}

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

/**
 * The node coordinating `groupId`: the leader of its partition of
 * __consumer_offsets, which Kafka picks as the absolute value of the group
 * id's Java hashCode modulo that topic's partition count.
 */
async function groupCoordinator(infra: InfraEndpoints, groupId: string): Promise<number> {
  let hash = 0;
  for (let i = 0; i < groupId.length; i++) hash = (Math.imul(hash, 31) + groupId.charCodeAt(i)) | 0;
  const admin = createTestKafka(infra).admin();
  await admin.connect();
  try {
    const { topics: [offsets] } = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
    const partitions = offsets!.partitions.length;
    const partition = (hash === -2147483648 ? 0 : Math.abs(hash)) % partitions;
    return offsets!.partitions.find((p) => p.partitionId === partition)!.leader;
  } finally {
    await admin.disconnect();
  }
}
