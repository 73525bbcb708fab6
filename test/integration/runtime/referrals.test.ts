// Referrals across partitions end where the replay ends, whatever the timing of
// the internal topic (issue 24): the history is in Kafka before the processors
// start, so the partitions race through it, and a referral's attribution or
// credit reaches its target's partition whenever the relay and the fetches
// deliver it; the processor is stopped and started again half way. Every
// customer's final state equals the replay's — referrers' referral value,
// successful referrals, rung and emission counter included — and so does every
// emission a subscriber keeps (by event id): the partitions' merges wait for
// each other's positions so that each effect takes hold where the replay
// applies it (docs/architecture.md, "Referrals across partitions").
import { expect, it } from 'vitest';
import { partitionOfKey } from '../../../src/kafka/key-partition.js';
import { cleanupsAfterEach, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import {
  convergedEmissionDifferences,
  convergedStateDifferences,
  eventStream,
  produceAll,
  reference,
  runtimeFixture,
  storedInboundRecords,
  TopicReader,
} from '../../support/runtime-harness.js';

const PARTITIONS = 4;

describeWithInfra('referrals across partitions and restarts', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it("end in the replay's states and emissions, referral value, successful referrals, rung and counter included", { timeout: 300_000 }, async () => {
    // A settle delay of 30 days: the stream is sparse, and each hop of the partitions' positions lets them run one
    // settle delay further (docs/architecture.md, "Referrals across partitions"); exactness holds for any delay.
    const t = await runtimeFixture(infra, cleanups, 'referrals', PARTITIONS, { extra: { RUN_BATCH_MAX_RECORDS: '100', REFERRAL_VALUE: '5.00', REFERRAL_PURCHASE_SHARE: '0.2', REFERRAL_SETTLE_DAYS: '30' } });
    const messages = eventStream({ seed: 73, customers: 80, events: 12_000, referrals: true });
    await produceAll(t.producer, t.topics, messages);
    // Each partition keeps its own time rule (watermark and due checks), as the runtime does.
    const expected = reference(messages, t.settings, PARTITIONS);
    const states = [...expected.states.values()];
    const referrers = new Set(states.flatMap((s) => (s.referredBy === null ? [] : [s.referredBy])));
    const crossPartition = states.filter((s) => s.referredBy !== null && partitionOfKey(s.referredBy, PARTITIONS) !== partitionOfKey(s.customerId, PARTITIONS));
    expect(crossPartition.length).toBeGreaterThan(5);
    // Referred customers who bought more than the 6-order memory: what the earlier releases could not credit when the attribution came late.
    expect(states.filter((s) => s.referredBy !== null && s.referralCreditedPurchases > 6).length).toBeGreaterThan(3);
    const credited = states.filter((s) => referrers.has(s.customerId));
    expect(credited.reduce((sum, s) => sum + s.successfulReferrals, 0)).toBeGreaterThan(5);
    const reader = new TopicReader(infra, [t.topics.segmentChanged, t.topics.churnRisk]);
    await reader.start();
    cleanups.push(() => reader.stop());

    const first = t.runner();
    await first.start();
    await waitFor(async () => (await storedInboundRecords(t.state.redis, t.prefix, PARTITIONS, t.topics)) > 4_000, { timeoutMs: 120_000, what: 'progress' });
    await first.stop();
    const second = t.runner();
    await second.start();

    const stateDifferences = await convergedStateDifferences(t.state.redis, t.prefix, PARTITIONS, expected.states, 180_000);
    if (stateDifferences.length > 0) console.log(`[referrals] runner ${JSON.stringify(second.status())}`);
    expect(stateDifferences).toEqual([]);
    expect(await convergedEmissionDifferences(expected.emissions, reader, 60_000)).toEqual([]);
    console.log(`[referrals] ${credited.length} referrers, ${crossPartition.length} cross-partition referrals, ${expected.emissions.size} emissions: equal to the replay`);
    await second.stop();
  });
});
