// Claiming a partition takes one fencing epoch, even when reading the topics'
// log bounds fails on the way. In the service bench a single member's
// partitions sometimes ended at epoch 2: concurrent admin offset reads for
// different topics raced inside kafkajs (a metadata refresh for fewer topics
// landing last), one failed with a TypeError after the claim had already taken
// its epoch, and the retry took another.
import type { Admin } from 'kafkajs';
import { expect, it } from 'vitest';
import { cleanupsAfterEach, createTestKafka, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { inProcessRunner, runtimeFixture } from '../../support/runtime-harness.js';

const PARTITIONS = 4;

describeWithInfra('runtime claims', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('a claim whose log-bounds read fails takes no epoch, and the reads never overlap', { timeout: 60_000 }, async () => {
    const t = await runtimeFixture(infra, cleanups, 'claim', PARTITIONS);
    const kafka = createTestKafka(infra);
    const reads = { calls: 0, inFlight: 0, maxInFlight: 0 };
    const failedOnce = new Set<string>();
    const makeAdmin = kafka.admin.bind(kafka);
    kafka.admin = (config): Admin => {
      const admin = makeAdmin(config);
      const fetchOffsets = admin.fetchTopicOffsets.bind(admin);
      admin.fetchTopicOffsets = async (topic: string) => {
        reads.calls++;
        reads.inFlight++;
        reads.maxInFlight = Math.max(reads.maxInFlight, reads.inFlight);
        try {
          // The first read of every topic fails the way kafkajs did.
          if (!failedOnce.has(topic)) {
            failedOnce.add(topic);
            await new Promise((resolve) => setTimeout(resolve, 5));
            throw new TypeError("Cannot destructure property 'partitions' of 'high.pop(...)' as it is undefined.");
          }
          return await fetchOffsets(topic);
        } finally {
          reads.inFlight--;
        }
      };
      return admin;
    };
    const runner = inProcessRunner(infra, t.settings, t.state.store, { kafka });
    cleanups.push(() => runner.stop());
    await runner.start();
    await waitFor(() => runner.status().assigned.length === PARTITIONS && runner.status().unclaimed.length === 0, { timeoutMs: 30_000, what: 'every partition claimed' });

    expect(failedOnce.size).toBeGreaterThan(0);
    const epochs = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => t.state.redis.hget(t.state.keys.meta(p), 'epoch')));
    expect(epochs).toEqual(Array.from({ length: PARTITIONS }, () => '1'));
    // One read at a time, shared by the partitions claimed together.
    expect(reads.maxInFlight).toBe(1);
  });
});
