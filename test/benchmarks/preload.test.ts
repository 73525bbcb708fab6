// The service bench's --preload: the workload's first events back-filled into a
// key space in chunks, their emissions acknowledged unpublished, the reader left
// where the backlog continues.
import { expect, it } from 'vitest';
import { preloadChunks, preloadState } from '../../benchmarks/service/preload.js';
import { WorkloadReader } from '../../benchmarks/workload.js';
import { partitionOfKey } from '../../src/kafka/key-partition.js';
import { connectState } from '../../src/state/connect.js';
import { META_FIELDS } from '../../src/state/keys.js';
import { cleanupsAfterEach, deleteKeysByPrefix, describeWithInfra, uniqueSuffix, type InfraEndpoints } from '../support/infra.js';
import { settingsOf } from '../support/runtime-harness.js';

const PARTITIONS = 4;

describeWithInfra('bench --preload', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('stores every preloaded customer, leaves no outbox behind and hands the reader on past the preload', { timeout: 60_000 }, async () => {
    const prefix = `clvtest-pre-${uniqueSuffix()}`.slice(0, 32);
    const state = connectState(settingsOf({ REDIS_URL: infra.redisUrl, REDIS_KEY_PREFIX: prefix }));
    cleanups.push(() => state.close());
    cleanups.push(() => deleteKeysByPrefix(state.redis, `${prefix}:`));
    const workload = { seed: 11, customers: 400 };
    const expected = new WorkloadReader(workload).take(3_000);

    const reader = new WorkloadReader(workload);
    const chunks = preloadChunks(reader, 2_500, 1_000);
    // The next record the reader gives is the first one not preloaded.
    expect(reader.take(1)[0]?.eventId).toBe(expected[2_500]?.eventId);
    const progress: number[] = [];
    const result = await preloadState({ redisUrl: infra.redisUrl, keyPrefix: prefix, partitions: PARTITIONS, topicEnv: {}, chunks, onChunk: (done) => progress.push(done) });

    expect(result.events).toBe(2_500);
    expect(progress).toEqual([1_000, 2_000, 2_500]);

    const byPartition = new Map<number, Set<string>>();
    for (const r of expected.slice(0, 2_500)) {
      const p = partitionOfKey(r.key, PARTITIONS);
      byPartition.set(p, (byPartition.get(p) ?? new Set()).add(r.key));
    }
    for (let p = 0; p < PARTITIONS; p++) {
      const ids = [...(byPartition.get(p) ?? [])];
      const loaded = await state.store.loadStates(p, ids);
      expect(ids.filter((id) => !loaded.has(id))).toEqual([]);
      expect(await state.store.outboxLength(p)).toBe(0);
      // Each chunk's back-fill claimed every partition: the bench expects the service's claim after these.
      expect(await state.redis.hget(state.keys.meta(p), META_FIELDS.epoch)).toBe(String(chunks.length));
    }
    // Segments changed, so there were emissions to drop.
    expect(result.outboxDropped).toBeGreaterThan(2_500);
  });
});
