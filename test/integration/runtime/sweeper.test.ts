// The sweeper without its tick: a batch that moves the watermark to a new day
// queues a sweep at once, and a sweep with more due customers than one round
// holds queues the next round. With the tick ten minutes away, a jump in event
// time that makes over a thousand untouched customers due on one partition must
// still fire every one of their checks, and end in the pure pipeline's states
// and emissions.
import { expect, it } from 'vitest';
import { cleanupsAfterEach, describeWithInfra, type InfraEndpoints } from '../../support/infra.js';
import { convergedEmissionDifferences, convergedStateDifferences, eventStream, produceAll, reference, runtimeFixture, type TestMessage } from '../../support/runtime-harness.js';

const PARTITIONS = 1;

describeWithInfra('runtime sweeper', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('a jump in event time fires every due check, in several rounds, without waiting for the tick', { timeout: 120_000 }, async () => {
    const { topics, prefix, settings, state, producer, reader, runner: newRunner } = await runtimeFixture(infra, cleanups, 'sweep', PARTITIONS, {
      extra: { RUN_SWEEP_INTERVAL_MS: '600000' },
    });
    // A day of traffic from a few thousand customers, then one purchase two years later.
    const messages: TestMessage[] = eventStream({ seed: 23, customers: 4_000, events: 2_400, stepMs: 30_000 });
    const late = { type: 'purchase', event_id: 'ev-late', customer_id: 'cust-late', occurred_at: '2025-01-01T08:00:00Z', order_id: 'ord-late', amount: '10.00', currency: 'USD' };
    messages.push({ type: 'purchase', key: late.customer_id, value: Buffer.from(JSON.stringify(late)) });
    await produceAll(producer, topics, messages);

    const expected = reference(messages, settings, PARTITIONS);
    // Well over two sweep rounds of customers re-evaluated after the day of traffic:
    // checks only the sweeper can fire (the late batch touches one customer).
    const lastTrafficDay = Math.floor(Date.parse('2023-01-02T23:59:59Z') / 86_400_000);
    const due = [...expected.states.values()].filter((s) => s.customerId !== 'cust-late' && s.asOfDay > lastTrafficDay);
    expect(due.length).toBeGreaterThan(1_000);

    const runner = newRunner();
    await runner.start();
    expect(await convergedStateDifferences(state.redis, prefix, PARTITIONS, expected.states, 60_000)).toEqual([]);
    expect(await convergedEmissionDifferences(expected.emissions, reader, 30_000)).toEqual([]);
    await runner.stop();
  });
});
