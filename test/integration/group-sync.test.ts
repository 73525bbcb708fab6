// Consumer groups on the broker: a member whose SyncGroup reaches the
// coordinator after the leader's must get its assignment, with clvstream's
// co-partition assigner. (librdkafka's mock cluster, which the tests ran on
// before Apache Kafka, answered the late member INVALID_REQUEST, which kafkajs
// treats as fatal; Apache Kafka's coordinator answers it like the others.)
import { connect, type Socket } from 'node:net';
import type { Consumer } from 'kafkajs';
import { expect, it } from 'vitest';
import { coPartitionAssigner } from '../../src/kafka/co-partition-assigner.js';
import { cleanupsAfterEach, createTestKafka, createTopic, deleteTopic, describeWithInfra, uniqueGroupId, uniqueSuffix, type InfraEndpoints } from '../support/infra.js';

const JOIN_GROUP_API_KEY = 11;
const SYNC_GROUP_API_KEY = 14;

/**
 * kafkajs' socket, telling `sent` the API key of every request it writes, and
 * writing SyncGroup requests `syncDelayMs` late.
 */
function watchedSockets(sent: (apiKey: number) => void, syncDelayMs = 0) {
  return ({ host, port, onConnect }: { host: string; port: number; onConnect: () => void }): Socket => {
    const socket = connect({ host, port }, onConnect);
    const original = socket.write.bind(socket);
    socket.write = (chunk: Buffer): boolean => {
      // A request: int32 size, int16 api key, ...
      const apiKey = Buffer.isBuffer(chunk) && chunk.length >= 6 ? chunk.readInt16BE(4) : -1;
      sent(apiKey);
      if (apiKey === SYNC_GROUP_API_KEY && syncDelayMs > 0) {
        setTimeout(() => !socket.destroyed && original(chunk), syncDelayMs);
        return true;
      }
      return original(chunk);
    };
    return socket;
  };
}

/** Resolves with 'joined' on the member's first assignment, or with the crash's error. */
function outcome(consumer: Consumer): Promise<string> {
  return new Promise((resolve) => {
    consumer.on(consumer.events.GROUP_JOIN, () => resolve('joined'));
    consumer.on(consumer.events.CRASH, (event) => resolve(`crashed: ${event.payload.error.message}`));
  });
}

describeWithInfra('test broker consumer groups', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('a member whose SyncGroup arrives after the leader\'s still gets its assignment', { timeout: 60_000 }, async () => {
    const topic = `group-sync-${uniqueSuffix()}`;
    await createTopic(infra, topic, { partitions: 4 });
    cleanups.push(() => deleteTopic(infra, topic));
    const groupId = uniqueGroupId('sync');
    const member = (socketFactory: ReturnType<typeof watchedSockets>): Consumer => {
      const kafka = createTestKafka(infra, undefined, { socketFactory });
      const consumer = kafka.consumer({ groupId, partitionAssigners: [coPartitionAssigner], sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
      cleanups.push(() => consumer.disconnect());
      return consumer;
    };
    const start = async (consumer: Consumer): Promise<void> => {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic] });
      void consumer.run({ eachBatch: () => Promise.resolve() });
    };
    // The coordinator makes the first member to join the leader: the second one joins
    // once the first has asked to (both within the empty group's first
    // rebalance delay), and its SyncGroup goes out 500 ms after the leader's.
    let leaderAsked!: () => void;
    const leaderJoining = new Promise<void>((resolve) => (leaderAsked = resolve));
    const leader = member(watchedSockets((apiKey) => apiKey === JOIN_GROUP_API_KEY && leaderAsked()));
    const late = member(watchedSockets(() => undefined, 500));
    const results = [outcome(leader), outcome(late)];
    await start(leader);
    await leaderJoining;
    await start(late);
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('no assignment within 30 s'), 30_000));
    expect(await Promise.all(results.map((r) => Promise.race([r, timeout])))).toEqual(['joined', 'joined']);
  });
});
