/**
 * The outbox relay alone, against a bare producer, in the same run on the same
 * broker: what it costs to move committed emissions from Redis to Kafka, and
 * how much of that is the Kafka client's.
 *
 * - relay: the service's OutboxRelay drains outboxes filled beforehand (8
 *   partitions, `--commits` commits each of `--records` emission-sized records,
 *   a fifth of them churn-risk) — XRANGE, produce, outbox-ack, as the service does;
 * - producer: the same records, already in memory, sent by a kafkajs producer
 *   with the relay's settings (idempotent, one request in flight, our
 *   partitioner, the record-id header), in the same sends: the floor the relay
 *   stands on.
 *
 * Rounds alternate so the machine's drift hits both alike. CPU is this
 * process's (process.cpuUsage) and Redis' (INFO cpu); the broker's is not
 * counted. Needs the test servers (`bash scripts/test-infra.sh start`).
 *
 *   npm run bench:relay -- [--commits 100] [--records 50] [--rounds 3]
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import { KeySpace } from '../src/state/keys.js';
import { PartitionStore, type OutboxRecord } from '../src/state/store.js';
import { OutboxRelay, RELAY_BATCH_RECORDS, RELAY_PRODUCER_CONFIG, produceRequests, topicMessagesOf } from '../src/service/outbox-relay.js';
import { integerArg } from './args.js';
import { infraVariables } from './endpoints.js';
import { redisCpuSeconds } from './service/measure/cpu.js';
import { Topics, type TopicSet } from './service/topics.js';

const PARTITIONS = 8;

/** A segment-changed value as the service writes it (about 560 bytes). */
function emissionValue(customer: string, n: number, churn: boolean): string {
  const snapshot = {
    recency_days: n % 90,
    frequency: n % 7,
    monetary_minor: 12_345 + n,
    r_score: 4,
    f_score: 3,
    m_score: 5,
    clv_historic_minor: 34_567 + n,
    clv_predicted_minor: 98_765 + n,
    p_alive: 0.934_567_89,
    churn_level: 'active',
    currency: 'USD',
  };
  const cause = { kind: 'event', event_id: `p-${customer}-${n}`, event_type: 'purchase' };
  const common = { customer_id: customer, occurred_at: new Date(1_700_000_000_000 + n * 60_000).toISOString() };
  return JSON.stringify(
    churn
      ? { type: 'churn-risk', event_id: `churn:${customer}:${n}`, ...common, level: 'cooling', previous_level: 'active', direction: 'rising', reasons: ['p_alive'], cause, snapshot, model_version: 'm-1' }
      : { type: 'segment-changed', event_id: `seg:${customer}:${n}`, ...common, dimension: 'rfm', from: 'Champions', to: 'Loyal Customers', cause, snapshot, model_version: 'm-1' },
  );
}

function commitRecords(topics: TopicSet, p: number, commit: number, records: number): OutboxRecord[] {
  return Array.from({ length: records }, (_, i) => {
    const customer = `C${p}-${commit}-${i % 17}`;
    const churn = i % 5 === 0;
    return {
      id: `${churn ? 'churn' : 'seg'}:${customer}:${i}`,
      topic: churn ? topics.churnRisk : topics.segmentChanged,
      key: customer,
      value: emissionValue(customer, commit * records + i, churn),
      eventTimeMs: 1_700_000_000_000 + commit,
    };
  });
}

interface Measured {
  readonly seconds: number;
  readonly nodeUs: number;
  readonly redisUs: number;
}

async function measure(redis: Redis, records: number, run: () => Promise<void>): Promise<Measured> {
  const redisBefore = (await redisCpuSeconds(redis)) ?? Number.NaN;
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const redisSeconds = ((await redisCpuSeconds(redis)) ?? Number.NaN) - redisBefore;
  return { seconds, nodeUs: (cpu.user + cpu.system) / records, redisUs: (redisSeconds * 1e6) / records };
}

async function delivered(topics: Topics, set: TopicSet): Promise<number> {
  let sum = 0;
  for (const o of await topics.offsets([set.segmentChanged, set.churnRisk])) sum += o.high - o.low;
  return sum;
}

async function main(): Promise<void> {
  const commits = integerArg('commits', 100);
  const perCommit = integerArg('records', 50);
  const rounds = integerArg('rounds', 3);
  const env = infraVariables();
  const runId = `bench-relay-${process.pid}`;
  const kafka = new Kafka({ clientId: runId, brokers: (env.KAFKA_BROKERS ?? '').split(','), logLevel: logLevel.NOTHING });
  const topics = await Topics.connect(kafka);
  const redis = new Redis(env.REDIS_URL ?? '', { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  const total = PARTITIONS * commits * perCommit;
  console.log(`relay: ${PARTITIONS} partitions × ${commits} commits × ${perCommit} records (${total} records of ~${emissionValue('C0-0-0', 0, false).length} bytes); ${rounds} alternating rounds`);
  const results: Record<'relay' | 'producer', Measured[]> = { relay: [], producer: [] };
  const producers: Producer[] = [];
  const newProducer = (): Producer => {
    const producer = kafka.producer(RELAY_PRODUCER_CONFIG);
    producers.push(producer);
    return producer;
  };
  try {
    for (let round = 0; round < rounds; round++) {
      // relay: fill the outboxes (not measured), then drain them.
      const relaySet = await topics.create(runId, `relay${round}`, PARTITIONS);
      const prefix = `${runId}-${round}`;
      const store = new PartitionStore(redis, new KeySpace(prefix));
      const inMemory: OutboxRecord[][] = [];
      for (let p = 0; p < PARTITIONS; p++) {
        const { epoch } = await store.claim(p);
        const all: OutboxRecord[] = [];
        for (let c = 0; c < commits; c++) {
          const batch = commitRecords(relaySet, p, c, perCommit);
          all.push(...batch);
          await store.commit(p, epoch, { outbox: batch, nextOffsets: new Map([['bench.purchases', String(c + 1)]]) });
        }
        inMemory.push(all);
      }
      const relay = new OutboxRelay(store, newProducer);
      const relayed = await measure(redis, total, async () => {
        await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => relay.relay(p)));
      });
      await relay.close();
      const relayDelivered = await delivered(topics, relaySet);
      if (relayDelivered !== total) throw new Error(`relay: ${relayDelivered} of ${total} records reached the topics`);
      results.relay.push(relayed);

      // producer: the same records from memory, the same sends per partition.
      const produceSet = await topics.create(runId, `producer${round}`, PARTITIONS);
      const rename = (topic: string): string => (topic === relaySet.churnRisk ? produceSet.churnRisk : produceSet.segmentChanged);
      const producer = newProducer();
      await producer.connect();
      // The same records as the outbox gives them back (values as bytes), on this round's producer topics.
      const renamed = inMemory.map((records) => records.map((r) => ({ topic: rename(r.topic), key: r.key, id: r.id, value: Buffer.from(r.value) })));
      const produced = await measure(redis, total, async () => {
        await Promise.all(
          renamed.map(async (records) => {
            // The relay's own requests and grouping.
            for (const request of produceRequests(records, RELAY_BATCH_RECORDS)) {
              await producer.sendBatch({ acks: -1, topicMessages: topicMessagesOf(request) });
            }
          }),
        );
      });
      await producer.disconnect();
      const producerDelivered = await delivered(topics, produceSet);
      if (producerDelivered !== total) throw new Error(`producer: ${producerDelivered} of ${total} records reached the topics`);
      results.producer.push(produced);

      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      for (const [name, m] of [['relay', relayed], ['producer', produced]] as const) {
        console.log(`  round ${round + 1} ${name.padEnd(9)} ${Math.round(total / m.seconds).toLocaleString('en-US').padStart(8)} records/s  Node ${m.nodeUs.toFixed(2).padStart(6)} µs/record  Redis ${m.redisUs.toFixed(2).padStart(5)} µs/record`);
      }
    }
  } finally {
    for (const p of producers) await p.disconnect().catch(() => undefined);
    await topics.close();
    await redis.quit();
  }
  const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const line = (name: string, ms: readonly Measured[]): string =>
    `${name.padEnd(9)} ${Math.round(median(ms.map((m) => total / m.seconds))).toLocaleString('en-US').padStart(8)} records/s  Node ${median(ms.map((m) => m.nodeUs)).toFixed(2).padStart(6)} µs/record  Redis ${median(ms.map((m) => m.redisUs)).toFixed(2).padStart(5)} µs/record`;
  console.log('median of the rounds:');
  console.log(`  ${line('relay', results.relay)}`);
  console.log(`  ${line('producer', results.producer)}`);
  const nodeRatio = median(results.relay.map((m) => m.nodeUs)) / median(results.producer.map((m) => m.nodeUs));
  console.log(`  relay / producer, Node CPU per record: ${nodeRatio.toFixed(2)}× (the rest of the relay's cost is reading, decoding and acknowledging the outbox)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
