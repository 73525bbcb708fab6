// The relay's passes against the real servers: a pass asked for while another
// runs on the same partition must still deliver what was committed after the
// running pass last read the outbox (the runner asks after every commit; joining
// the running pass left those records waiting for the next commit or tick).
import type { Producer, ProducerBatch } from 'kafkajs';
import { expect, it } from 'vitest';
import { OutboxRelay, RELAY_BATCH_RECORDS, RELAY_PRODUCER_CONFIG } from '../../../src/service/outbox-relay.js';
import { ThreadedRelay } from '../../../src/service/threaded-relay.js';
import type { OutboxRecord } from '../../../src/state/store.js';
import { TEST_KAFKA_OVERRIDES, cleanupsAfterEach, createTestKafka, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { runtimeFixture } from '../../support/runtime-harness.js';

describeWithInfra('outbox relay passes', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  const records = (topic: string, label: string, n: number): OutboxRecord[] =>
    Array.from({ length: n }, (_, i) => ({ id: `${label}-${i}`, topic, key: `C-${i}`, value: JSON.stringify({ label, i }), eventTimeMs: null }));

  it('a pass asked for while one runs follows it and delivers what was committed meanwhile', { timeout: 60_000 }, async () => {
    const t = await runtimeFixture(infra, cleanups, 'relaypass', 1);
    const { epoch } = await t.state.store.claim(0);
    await t.state.store.commit(0, epoch, { outbox: records(t.topics.segmentChanged, 'first', 3) });

    // The real producer, with its first send held until the test lets it go: the
    // running pass has read the outbox and is waiting for the broker.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let sendsStarted = 0;
    const kafka = createTestKafka(infra);
    const relay = new OutboxRelay(t.state.store, (): Producer => {
      const producer = kafka.producer(RELAY_PRODUCER_CONFIG);
      const sendBatch = producer.sendBatch.bind(producer);
      producer.sendBatch = async (batch: ProducerBatch) => {
        if (sendsStarted++ === 0) await held;
        return sendBatch(batch);
      };
      return producer;
    });
    cleanups.push(() => relay.close());

    const running = relay.relay(0);
    await waitFor(() => sendsStarted === 1, { timeoutMs: 20_000, what: 'the first pass to read and start sending' });
    await t.state.store.commit(0, epoch, { outbox: records(t.topics.churnRisk, 'later', 2) });
    const asked = relay.relay(0);
    const again = relay.relay(0); // asked twice meanwhile: one follow-up pass serves both
    release();

    expect(await running).toEqual({ relayed: 3, drained: true });
    expect(await asked).toEqual({ relayed: 2, drained: true });
    expect(await again).toEqual({ relayed: 2, drained: true });
    expect(await t.state.store.outboxLength(0)).toBe(0);
    expect(sendsStarted).toBe(2);
  });

  it('on the relay thread, a pass asked for while one runs is a new pass after it', { timeout: 60_000 }, async () => {
    const t = await runtimeFixture(infra, cleanups, 'relaythr', 1);
    const relay = new ThreadedRelay({ settings: t.settings, batchSize: RELAY_BATCH_RECORDS, kafkaOverrides: TEST_KAFKA_OVERRIDES });
    cleanups.push(() => relay.close());
    const { epoch } = await t.state.store.claim(0);
    await t.state.store.commit(0, epoch, { outbox: records(t.topics.segmentChanged, 'first', 5) });

    // Both asked before the thread can have answered the first (it has not even started).
    const running = relay.relay(0);
    const asked = relay.relay(0);
    expect(await running).toEqual({ relayed: 5, drained: true });
    expect(await asked).toEqual({ relayed: 0, drained: true });

    // A pass aborted before its turn does not run; the next request still does.
    await t.state.store.commit(0, epoch, { outbox: records(t.topics.segmentChanged, 'second', 4) });
    const stop = new AbortController();
    const first = relay.relay(0);
    const cancelled = relay.relay(0, stop.signal);
    stop.abort();
    expect(await first).toEqual({ relayed: 4, drained: true });
    expect(await cancelled).toEqual({ relayed: 0, drained: false });
    expect(await t.state.store.outboxLength(0)).toBe(0);
  });
});
