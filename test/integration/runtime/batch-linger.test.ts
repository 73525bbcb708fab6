// RUN_BATCH_LINGER_MS: records that reach a partition within the linger, from
// different topics' fetches, are committed as one batch (one state read, one
// commit, one relay pass) instead of one batch per fetch response.
import { expect, it } from 'vitest';
import { cleanupsAfterEach, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { runtimeFixture } from '../../support/runtime-harness.js';

describeWithInfra('runtime batch linger', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('a purchase and a feedback fetched 300 ms apart share one batch under a 1 s linger', { timeout: 60_000 }, async () => {
    const t = await runtimeFixture(infra, cleanups, 'linger', 1, { extra: { RUN_BATCH_LINGER_MS: '1000' } });
    const batches: string[][] = [];
    const runner = t.runner({ observer: { batchCommitted: (_p, records) => batches.push(records.map((r) => r.topic)) } });
    await runner.start();
    await waitFor(() => runner.status().assigned.length === 1 && runner.status().unclaimed.length === 0, { timeoutMs: 30_000, what: 'the partition claimed' });

    const base = { customer_id: 'cust-linger', occurred_at: '2024-03-01T10:00:00Z' };
    const purchase = { ...base, type: 'purchase', event_id: 'ev-linger-1', order_id: 'ord-linger-1', amount: '25.00', currency: 'USD' };
    const feedback = { ...base, type: 'feedback', event_id: 'ev-linger-2', occurred_at: '2024-03-01T10:05:00Z', score: 9 };
    const sentAt = Date.now();
    await t.producer.send({ topic: t.topics.byType.purchase, messages: [{ key: base.customer_id, value: JSON.stringify(purchase) }] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await t.producer.send({ topic: t.topics.byType.feedback, messages: [{ key: base.customer_id, value: JSON.stringify(feedback) }] });
    await waitFor(() => batches.length > 0, { timeoutMs: 20_000, what: 'a batch committed' });

    // Without the linger the purchase is fetched within the 100 ms fetch wait and committed alone.
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1_000);
    expect(batches[0]).toEqual([t.topics.byType.purchase, t.topics.byType.feedback]);
  });
});
