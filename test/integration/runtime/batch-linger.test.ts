// RUN_BATCH_LINGER_MS: records that reach a partition within the linger, from
// different topics' fetches, are committed as one batch (one state read, one
// commit, one relay pass) instead of one batch per fetch response; a full
// batch ends the linger at once. The linger here is far longer than the test
// may take, so the second fetch joins whatever the machine's load, and only
// a full batch can end it.
import { expect, it } from 'vitest';
import { cleanupsAfterEach, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { runtimeFixture } from '../../support/runtime-harness.js';

describeWithInfra('runtime batch linger', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('a purchase and a feedback fetched separately share one batch; a full batch does not wait out the linger', { timeout: 60_000 }, async () => {
    const t = await runtimeFixture(infra, cleanups, 'linger', 1, { extra: { RUN_BATCH_LINGER_MS: '60000', RUN_BATCH_MAX_RECORDS: '2' } });
    const batches: string[][] = [];
    const runner = t.runner({ observer: { batchCommitted: (_p, records) => batches.push(records.map((r) => r.topic)) } });
    await runner.start();
    await waitFor(() => runner.status().assigned.length === 1 && runner.status().unclaimed.length === 0, { timeoutMs: 30_000, what: 'the partition claimed' });

    const base = { customer_id: 'cust-linger', occurred_at: '2024-03-01T10:00:00Z' };
    const purchase = { ...base, type: 'purchase', event_id: 'ev-linger-1', order_id: 'ord-linger-1', amount: '25.00', currency: 'USD' };
    const feedback = { ...base, type: 'feedback', event_id: 'ev-linger-2', occurred_at: '2024-03-01T10:05:00Z', score: 9 };
    const send = (topic: string, value: object) => t.producer.send({ topic, messages: [{ key: base.customer_id, value: JSON.stringify(value) }] });
    await send(t.topics.byType.purchase, purchase);
    await waitFor(() => runner.status().buffered === 1, { timeoutMs: 20_000, what: 'the purchase fetched and lingering' });
    expect(batches, 'no batch while the linger holds the purchase').toEqual([]);
    await send(t.topics.byType.feedback, feedback);
    await waitFor(() => batches.length > 0, { timeoutMs: 20_000, what: 'a batch committed' });
    expect(batches[0]).toEqual([t.topics.byType.purchase, t.topics.byType.feedback]);
  });
});
