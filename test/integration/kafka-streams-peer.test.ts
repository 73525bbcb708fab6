// The benchmark's Kafka Streams peer (benchmarks/peers/kafka-streams) against
// clvstream's replay on the same small generated workload, on the real broker:
// for the dimensions the peer implements (RFM segment, value quadrant, account
// status, churn level) its emissions must be clvstream's, id for id. Customers
// touched by a referral are left out: clvstream credits referrers across
// customers (an internal topic); the peer does not (its README says so).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { expect, it } from 'vitest';
import { syntheticTraffic, type GeneratedEvent } from '../../src/app/generate.js';
import type { OutboundEvent } from '../../src/contracts/outbound.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import { decodeBytes } from '../../src/ingest/decode.js';
import { MemoryProcessor } from '../../src/pipeline/memory-processor.js';
import { GENERATED_TRAFFIC_RULES } from '../support/ingest-rules.js';
import { cleanupsAfterEach, createTestKafka, createTopic, deleteTopic, describeWithInfra, TEST_CONSUMER_TIMINGS, uniqueGroupId, uniqueTopic, waitFor } from '../support/infra.js';

const ROOT = join(import.meta.dirname, '..', '..');
const EVENTS = 3_000;
const INBOUND = { purchase: 'purchases', return: 'returns', referral: 'referrals', cancellation: 'cancellations', feedback: 'feedback' } as const;

/** The generated events: a small population over a few simulated years (every event type, due checks between them). */
function workload(): GeneratedEvent[] {
  const events: GeneratedEvent[] = [];
  // Without service interactions, which the peer does not implement (its README). With purchases' and
  // returns' own costs to serve, which it accepts and ignores: the reference is computed without them.
  const population = { interactionShare: 0, complaintBeforeCancellationShare: 0 };
  const traffic = syntheticTraffic({ seed: 11, customers: 400, startMs: Date.parse('1990-01-02T00:00:00Z'), currency: 'USD', idPrefix: 'peer', population });
  for (const e of traffic) {
    events.push(e);
    if (events.length >= EVENTS) break;
  }
  return events;
}

/** clvstream's emissions for the same events, emitting the peer's dimensions only (ids then count the same events). */
function reference(events: readonly GeneratedEvent[]): OutboundEvent[] {
  const parameters = { ...defaultDomainParameters, emit: { ...defaultDomainParameters.emit, dimensions: ['rfm_segment', 'value_quadrant', 'account_status'] as const } };
  const out: OutboundEvent[] = [];
  const processor = new MemoryProcessor({ model: UNFITTED_MODEL, parameters }, { onEmit: (e) => out.push(e) });
  for (const e of events) {
    // The peer ignores an event's own cost to serve (the flat estimate always applies): so does the reference.
    const { cost_to_serve: _ignored, ...withoutCost } = e.event as typeof e.event & { cost_to_serve?: string };
    const decoded = decodeBytes(Buffer.from(JSON.stringify(withoutCost)), e.type, GENERATED_TRAFFIC_RULES, Date.now());
    if (decoded.tag !== 'input') throw new Error(`the workload has an invalid event: ${decoded.rejection.message}`);
    const error = processor.tryApply(decoded.input);
    if (error !== null) throw error;
  }
  return out;
}

/** Each customer's emissions in sequence order (the two output topics are read in no common order). */
function byCustomer(emissions: readonly OutboundEvent[], skip: ReadonlySet<string>): Map<string, OutboundEvent[]> {
  const map = new Map<string, OutboundEvent[]>();
  for (const e of emissions) {
    if (skip.has(e.customer_id)) continue;
    let list = map.get(e.customer_id);
    if (list === undefined) map.set(e.customer_id, (list = []));
    list.push(e);
  }
  const sequence = (e: OutboundEvent): number => Number(e.event_id.slice(e.event_id.lastIndexOf(':') + 1));
  for (const list of map.values()) list.sort((a, b) => sequence(a) - sequence(b));
  return map;
}

describeWithInfra('the Kafka Streams peer', (infra) => {
  const cleanups = cleanupsAfterEach();

  it('emits what clvstream replay emits for the dimensions it implements', { timeout: 300_000 }, async () => {
    const events = workload();
    const expected = reference(events);
    // The build is cached (scripts/kafka-streams-peer.sh); scripts/test-infra.sh start builds it first.
    const classpath = readFileSync(execFileSync('bash', [join(ROOT, 'scripts', 'kafka-streams-peer.sh'), 'classpath'], { encoding: 'utf8' }).trim(), 'utf8').trim();

    const name = uniqueTopic('peer');
    const topics = {
      ...Object.fromEntries(Object.entries(INBOUND).map(([type, suffix]) => [type, `${name}.${suffix}`])),
      segmentChanged: `${name}.segment-changed`,
      churnRisk: `${name}.churn-risk`,
      deadLetter: `${name}.dead-letter`,
    } as Record<keyof typeof INBOUND | 'segmentChanged' | 'churnRisk' | 'deadLetter', string>;
    for (const topic of Object.values(topics)) {
      await createTopic(infra, topic, { partitions: 1 });
      cleanups.push(() => deleteTopic(infra, topic));
    }
    const kafka = createTestKafka(infra);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    // One partition per topic: the job's one task sees every customer, so its watermark is the replay's.
    // Record timestamps are the event times: Kafka Streams merges its five inputs in timestamp order.
    await producer.sendBatch({
      acks: -1,
      topicMessages: (Object.keys(INBOUND) as (keyof typeof INBOUND)[]).map((type) => ({
        topic: topics[type],
        messages: events.filter((e) => e.type === type).map((e) => ({ key: e.key, value: JSON.stringify(e.event), timestamp: String(e.atMs) })),
      })),
    });

    const applicationId = uniqueGroupId('peer');
    const stateDir = mkdtempSync(join(tmpdir(), 'clv-peer-test-'));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const job: ChildProcess = spawn('java', ['-Xmx256m', '-cp', classpath, 'dev.clvstream.peer.ClvPeer'], {
      env: {
        PATH: process.env.PATH ?? '',
        KAFKA_BROKERS: infra.kafkaBrokers.join(','),
        TOPIC_PURCHASE: topics.purchase,
        TOPIC_RETURN: topics.return,
        TOPIC_REFERRAL: topics.referral,
        TOPIC_CANCELLATION: topics.cancellation,
        TOPIC_FEEDBACK: topics.feedback,
        TOPIC_SEGMENT_CHANGED: topics.segmentChanged,
        TOPIC_CHURN_RISK: topics.churnRisk,
        TOPIC_DEAD_LETTER: topics.deadLetter,
        PEER_APPLICATION_ID: applicationId,
        PEER_STATE_DIR: stateDir,
        PEER_THREADS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    job.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
    job.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
    const exited = new Promise<void>((resolve) => job.once('exit', () => resolve()));
    cleanups.push(async () => {
      if (job.exitCode === null && job.signalCode === null) job.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
      if (job.exitCode === null && job.signalCode === null) job.kill('SIGKILL');
    });

    // Done when the group has committed every input (exactly once: the emissions are committed with the offsets).
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const inbound = (Object.keys(INBOUND) as (keyof typeof INBOUND)[]).map((t) => topics[t]);
    let committed = 0;
    await waitFor(
      async () => {
        if (job.exitCode !== null) throw new Error(`the job exited (${job.exitCode}):\n${output}`);
        // A fresh topic's metadata can lag behind its creation on the admin's broker: ask again.
        const groups = await admin.fetchOffsets({ groupId: applicationId, topics: inbound }).catch((error: Error & { retriable?: boolean }) => {
          if (error.retriable === true) return [];
          throw error;
        });
        committed = groups.flatMap((g) => g.partitions).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
        return committed === events.length;
      },
      { timeoutMs: 120_000, intervalMs: 200, what: 'the job to commit every input' },
    ).catch((error: Error) => {
      throw new Error(`${error.message} (${committed} of ${events.length} committed); the job said:\n${output}`);
    });

    const ends = await admin.fetchTopicOffsets(topics.segmentChanged);
    const churnEnds = await admin.fetchTopicOffsets(topics.churnRisk);
    const deadEnds = await admin.fetchTopicOffsets(topics.deadLetter);
    // Transaction markers take offsets too: the records are counted as they arrive, read committed.
    const consumer = kafka.consumer({ groupId: uniqueGroupId('peer-reader'), ...TEST_CONSUMER_TIMINGS });
    await consumer.connect();
    cleanups.push(() => consumer.disconnect());
    await consumer.subscribe({ topics: [topics.segmentChanged, topics.churnRisk, topics.deadLetter], fromBeginning: true });
    const received: { topic: string; message: KafkaMessage }[] = [];
    const reached = new Map<string, number>();
    await consumer.run({
      eachMessage: ({ topic, message }) => {
        received.push({ topic, message });
        reached.set(topic, Number(message.offset) + 1);
        return Promise.resolve();
      },
    });
    const endOf = (offsets: { high: string }[]): number => Number(offsets[0]?.high ?? 0);
    // Read until each topic's position passes its last data record (the end offset less its final commit marker).
    await waitFor(
      () =>
        [
          [topics.segmentChanged, endOf(ends)],
          [topics.churnRisk, endOf(churnEnds)],
          [topics.deadLetter, endOf(deadEnds)],
        ].every(([topic, end]) => (end as number) === 0 || (reached.get(topic as string) ?? 0) >= (end as number) - 1),
      { timeoutMs: 60_000, what: 'the emissions to be read back' },
    );
    expect(received.filter((r) => r.topic === topics.deadLetter).map((r) => r.message.value?.toString())).toEqual([]);
    const actual = received.filter((r) => r.topic !== topics.deadLetter).map((r) => JSON.parse(r.message.value?.toString() ?? 'null') as OutboundEvent);

    const referralTouched = new Set<string>();
    for (const e of events) {
      if (e.event.type === 'referral') {
        referralTouched.add(e.event.customer_id);
        referralTouched.add(e.event.referred_customer_id);
      }
    }
    const want = byCustomer(expected, referralTouched);
    const got = byCustomer(actual, referralTouched);
    // The comparison means something: most customers are in it, with several emissions each, timers among them,
    // and a share of the events carry their own cost to serve (the peer must accept them, not dead-letter them).
    expect(want.size).toBeGreaterThan(200);
    expect(events.filter((e) => 'cost_to_serve' in e.event).length).toBeGreaterThan(100);
    expect(expected.filter((e) => e.cause.kind === 'timer').length).toBeGreaterThan(100);
    const mismatched = [...want.keys()].filter((id) => JSON.stringify(got.get(id) ?? []) !== JSON.stringify(want.get(id)));
    const extra = [...got.keys()].filter((id) => !want.has(id));
    if (mismatched.length > 0) {
      const id = mismatched[0] as string;
      expect({ customer: id, peer: got.get(id) ?? [] }).toEqual({ customer: id, peer: want.get(id) });
    }
    expect(extra).toEqual([]);
    expect(mismatched).toEqual([]);
  });
});
