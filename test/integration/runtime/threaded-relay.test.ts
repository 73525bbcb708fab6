// The relay thread against the real servers: what a commit put in the outbox
// reaches Kafka with its ids and leaves the outbox; the metrics hear of it with
// the broker's acknowledgement time; a failing pass or a thread that cannot start
// rejects (never hangs) and the next pass starts a new thread.
import { expect, it } from 'vitest';
import { RELAY_BATCH_RECORDS, RECORD_ID_HEADER, type RelayedRecord } from '../../../src/service/outbox-relay.js';
import { ThreadedRelay } from '../../../src/service/threaded-relay.js';
import { KeySpace } from '../../../src/state/keys.js';
import type { OutboxRecord } from '../../../src/state/store.js';
import { TEST_KAFKA_OVERRIDES, cleanupsAfterEach, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { TopicReader, runtimeFixture } from '../../support/runtime-harness.js';

const PARTITIONS = 2;

describeWithInfra('threaded outbox relay', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  const setUp = async () => {
    const t = await runtimeFixture(infra, cleanups, 'thread', PARTITIONS);
    const relayed: { partition: number; records: readonly RelayedRecord[]; ackedAtMs: number }[] = [];
    const failed: { partition: number; error: unknown }[] = [];
    const redisCommands: string[] = [];
    const relay = new ThreadedRelay(
      { settings: t.settings, batchSize: RELAY_BATCH_RECORDS, kafkaOverrides: TEST_KAFKA_OVERRIDES },
      { relayed: (partition, records, ackedAtMs) => relayed.push({ partition, records, ackedAtMs }), relayFailed: (partition, error) => failed.push({ partition, error }) },
      undefined,
      { redisCommand: (command) => redisCommands.push(command) },
    );
    cleanups.push(() => relay.close());
    return { ...t, relay, relayed, failed, redisCommands };
  };

  const records = (topic: string, n: number, eventTimeMs: number | null): OutboxRecord[] =>
    Array.from({ length: n }, (_, i) => ({ id: `rec-${i}`, topic, key: `C-${i}`, value: JSON.stringify({ i }), eventTimeMs }));

  it('produces the outbox with the record ids, empties it, and reports the acknowledgement', { timeout: 60_000 }, async () => {
    const t = await setUp();
    const { epoch } = await t.state.store.claim(1);
    const eventTime = Date.now() - 5_000;
    // More than one produce request's worth: the pass loops until the outbox is empty.
    await t.state.store.commit(1, epoch, { outbox: records(t.topics.segmentChanged, RELAY_BATCH_RECORDS + 20, eventTime) });
    await t.state.store.commit(1, epoch, { outbox: records(t.topics.churnRisk, 3, null) });

    const before = Date.now();
    const result = await t.relay.relay(1);
    expect(result).toEqual({ relayed: RELAY_BATCH_RECORDS + 23, drained: true });
    expect(await t.state.store.outboxLength(1)).toBe(0);

    const seen = t.relayed.flatMap((r) => r.records);
    expect(seen).toHaveLength(RELAY_BATCH_RECORDS + 23);
    expect(seen.filter((r) => r.topic === t.topics.segmentChanged).every((r) => r.eventTimeMs === eventTime)).toBe(true);
    expect(seen.filter((r) => r.topic === t.topics.churnRisk).map((r) => r.eventTimeMs)).toEqual([null, null, null]);
    for (const r of t.relayed) expect(r.ackedAtMs).toBeGreaterThanOrEqual(before);

    const reader = new TopicReader(infra, [t.topics.churnRisk]);
    await reader.start();
    cleanups.push(() => reader.stop());
    await waitFor(() => reader.records.length >= 3, { timeoutMs: 20_000, what: 'the churn-risk records' });
    // Keyed by customer: the three land on different partitions, so their order across them is the broker's.
    // The thread's Redis commands reach the runner's timing histogram (flushed at the latest on close).
    await t.relay.close();
    expect(t.redisCommands).toContain('xrange');
    expect(t.redisCommands).toContain('script:outbox-ack');

    expect(reader.records.map((r) => [r.key, r.headers[RECORD_ID_HEADER]]).sort()).toEqual([
      ['C-0', 'rec-0'],
      ['C-1', 'rec-1'],
      ['C-2', 'rec-2'],
    ]);
  });

  it('a pass that fails rejects with the reason and leaves the outbox; a halted pass stops', { timeout: 60_000 }, async () => {
    const t = await setUp();
    const { epoch } = await t.state.store.claim(0);
    await t.state.store.commit(0, epoch, { outbox: records(t.topics.segmentChanged, 2, null) });
    // An entry the relay cannot decode (written by hand, not by a commit).
    await t.state.redis.xadd(new KeySpace(t.prefix).outbox(0), '*', 't', t.topics.segmentChanged, 'n', '1', 'r', 'not a packed entry');

    await expect(t.relay.relay(0)).rejects.toThrow(/outbox entry .* of partition 0/);
    expect(t.failed.map((f) => f.partition)).toEqual([0]);
    // Nothing was acknowledged: both entries wait for a pass that succeeds.
    expect(await t.state.redis.xlen(new KeySpace(t.prefix).outbox(0))).toBe(2);

    // Halted after the first produce request was acknowledged: the pass ends between reads, the rest waits.
    const other = await t.state.store.claim(1);
    const entries = 40;
    for (let i = 0; i < entries; i++) await t.state.store.commit(1, other.epoch, { outbox: records(t.topics.segmentChanged, RELAY_BATCH_RECORDS, null) });
    const halt = new AbortController();
    const acked = t.relayed.length;
    const pass = t.relay.relay(1, halt.signal);
    await waitFor(() => t.relayed.length > acked, { timeoutMs: 20_000, what: 'a first acknowledged read' });
    halt.abort();
    const result = await pass;
    expect(result.drained).toBe(false);
    expect(result.relayed).toBeGreaterThan(0);
    expect(result.relayed).toBeLessThan(entries * RELAY_BATCH_RECORDS);
    expect(await t.state.store.outboxLength(1)).toBe(entries * RELAY_BATCH_RECORDS - result.relayed);
    // Aborted before it starts: nothing is read.
    expect(await t.relay.relay(1, halt.signal)).toEqual({ relayed: 0, drained: false });
  });

  it('a thread that cannot start fails its pass, and the next pass tries a new one', { timeout: 60_000 }, async () => {
    const t = await setUp();
    const failures: number[] = [];
    const broken = new ThreadedRelay({ settings: { ...t.settings, REDIS_CLUSTER_NODES: ['no-port-here'] }, batchSize: 10 }, { relayFailed: (p) => failures.push(p) });
    cleanups.push(() => broken.close());
    await expect(broken.relay(0)).rejects.toThrow();
    await expect(broken.relay(0)).rejects.toThrow();
    expect(failures).toEqual([0, 0]); // counted as relay errors like any failed pass
    await broken.close();
    await expect(broken.relay(0)).rejects.toThrow(/closed/);
  });
});
