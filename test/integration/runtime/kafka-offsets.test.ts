// What standard Kafka tooling shows: the consumer group's committed offsets,
// read with the admin API as `kafka-consumer-groups --describe`, Burrow,
// kafka-exporter or KEDA read them, follow the offsets stored with the state in
// Redis and are never ahead of them. With processing held mid-stream they come
// to equal the stored ones exactly, so an external lag monitor sees the real lag.
// The stream arrives in two halves, so where processing holds does not depend on timing.
import { expect, it } from 'vitest';
import { KeySpace } from '../../../src/state/keys.js';
import { cleanupsAfterEach, createTestKafka, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { heldMember } from '../../support/held-member.js';
import { eventStream, produceAll, runtimeFixture, type TopicSet } from '../../support/runtime-harness.js';

const PARTITIONS = 3;
const INTERVAL_MS = 300;

type Offsets = Map<string, bigint>; // "topic/partition" → next offset

describeWithInfra('consumer-group offsets as Kafka tooling reads them', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('follow the offsets stored in Redis, never ahead, equal once processing holds', { timeout: 180_000 }, async () => {
    const t = await runtimeFixture(infra, cleanups, 'kofs', PARTITIONS, {
      extra: { KAFKA_OFFSET_COMMIT_INTERVAL_MS: String(INTERVAL_MS), RUN_BATCH_MAX_RECORDS: '100', RUN_MAX_BUFFERED_RECORDS: '100' },
    });
    const messages = eventStream({ seed: 41, customers: 150, events: 12_000, stepMs: 20 * 60_000 });
    const half = messages.length / 2;
    await produceAll(t.producer, t.topics, messages.slice(0, half));
    const admin = createTestKafka(infra).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const keys = new KeySpace(t.prefix);
    const inbound = Object.values(t.topics.byType);

    const stored = async (): Promise<Offsets> => {
      const out: Offsets = new Map();
      for (let p = 0; p < PARTITIONS; p++) {
        const meta = await t.state.redis.hgetall(keys.meta(p));
        for (const topic of inbound) out.set(`${topic}/${p}`, BigInt(meta[`off:${topic}`] ?? '0'));
      }
      return out;
    };
    const committed = async (): Promise<Offsets> => {
      const out: Offsets = new Map();
      for (const group of await admin.fetchOffsets({ groupId: t.settings.KAFKA_GROUP_ID, topics: inbound })) {
        for (const { partition, offset } of group.partitions) out.set(`${group.topic}/${partition}`, offset === '-1' ? 0n : BigInt(offset));
      }
      return out;
    };
    const ahead = (kafka: Offsets, redis: Offsets): string[] =>
      [...kafka].filter(([tp, k]) => k > (redis.get(tp) ?? 0n)).map(([tp, k]) => `${tp}: Kafka ${k} > Redis ${redis.get(tp)}`);

    const member = heldMember(t);
    await member.runner.start();
    // While it consumes the first half: read Kafka first, then Redis (which only
    // grows), so a committed offset above the stored one read after it is a real violation.
    let samples = 0;
    await waitFor(
      async () => {
        const kafka = await committed();
        const redis = await stored();
        expect(ahead(kafka, redis)).toEqual([]);
        samples++;
        return total(redis) === half;
      },
      { timeoutMs: 90_000, intervalMs: 100, what: 'the first half stored' },
    );

    // Processing holds (commits wait at the gate) while the second half arrives:
    // what Kafka shows becomes exactly what the state holds, and the lag a
    // monitor computes from it is the second half.
    member.gate.close();
    await produceAll(t.producer, t.topics, messages.slice(half));
    const heldAt = await waitFor(
      async () => {
        const redis = await stored();
        const kafka = await committed();
        return [...redis].every(([tp, r]) => kafka.get(tp) === r) ? redis : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: 'committed offsets equal to the stored ones while processing holds' },
    );
    expect(total(heldAt)).toBe(half);
    // External lag = log end - committed, the figure a lag monitor alerts on.
    const lag = await externalLag(admin, t.topics, await committed());
    expect(lag).toBe(messages.length - half);
    member.gate.open();
    await waitFor(async () => total(await committed()) === messages.length, { timeoutMs: 90_000, what: 'the group offsets at the end of the stream' });
    console.log(`[kafka-offsets] ${samples} samples while running, none ahead of Redis; held at ${total(heldAt)} of ${messages.length} with lag ${lag}`);
  });
});

function total(offsets: Offsets): number {
  return Number([...offsets.values()].reduce((sum, o) => sum + o, 0n));
}

async function externalLag(admin: ReturnType<ReturnType<typeof createTestKafka>['admin']>, topics: TopicSet, committed: Offsets): Promise<number> {
  let lag = 0n;
  for (const topic of Object.values(topics.byType)) {
    for (const { partition, high } of await admin.fetchTopicOffsets(topic)) lag += BigInt(high) - (committed.get(`${topic}/${partition}`) ?? 0n);
  }
  return Number(lag);
}
