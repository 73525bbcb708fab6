// The re-score list on real servers (standalone Redis and the 3-master Redis
// Cluster): staging lists exactly the partition's customers, fenced; a chunk's
// commit moves the list with its states and outbox entries or writes nothing —
// a repeated commit (a retry after a lost reply) and a commit for another
// version are refused instead of skipping customers.
import type { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { partitionOfKey } from '../../src/kafka/key-partition.js';
import { FencedError } from '../../src/state/errors.js';
import { KeySpace, META_FIELDS } from '../../src/state/keys.js';
import { RescoreStore } from '../../src/state/rescore-store.js';
import { runScript } from '../../src/state/scripts.js';
import { PartitionStore } from '../../src/state/store.js';
import { typicalState } from '../state/fixtures.js';
import { deleteKeysByPrefix, describeWithInfra, redisTargets, uniqueRedisPrefix } from '../support/infra.js';

const PARTITIONS = 4;
const P = 2;

describeWithInfra('re-score list: RescoreStore and the commit script on Redis', (infra) => {
  describe.each(redisTargets(infra))('on $name', (target) => {
    let redis: Redis | Cluster;
    let keys: KeySpace;
    let store: PartitionStore;
    let rescore: RescoreStore;
    let prefix: string;
    /** Customers of partition P, and a few of other partitions. */
    let mine: string[];

    beforeAll(() => {
      redis = target.connect();
    });
    afterAll(async () => {
      await redis.quit();
    });
    beforeEach(async () => {
      prefix = uniqueRedisPrefix('rescore');
      keys = new KeySpace(prefix);
      store = new PartitionStore(redis, keys);
      rescore = new RescoreStore(store);
      mine = [];
      for (let i = 0; mine.length < 23; i++) {
        const id = `C-${i}`;
        const p = partitionOfKey(id, PARTITIONS);
        await redis.set(keys.customer(p, id), Buffer.from(new Uint8Array(0)));
        if (p === P) mine.push(id);
      }
    });
    afterEach(async () => {
      await deleteKeysByPrefix(redis, prefix);
    });

    it("stages exactly the partition's customers for a version, fenced", async () => {
      const { epoch } = await store.claim(P);
      expect(await rescore.progress(P)).toEqual({ version: null, total: 0, remaining: 0 });
      expect(await rescore.stage(P, epoch, 'v2')).toBe(mine.length);
      expect(await rescore.progress(P)).toEqual({ version: 'v2', total: mine.length, remaining: mine.length });
      expect((await rescore.head(P, 1_000)).sort()).toEqual([...mine].sort());

      await store.claim(P); // another owner
      await expect(rescore.stage(P, epoch, 'v3')).rejects.toBeInstanceOf(FencedError);
      expect(await rescore.progress(P)).toEqual({ version: 'v2', total: mine.length, remaining: mine.length });
    });

    it('a staging cut short after its first page leaves no list to work on', async () => {
      const { epoch } = await store.claim(P);
      await rescore.stage(P, epoch, 'v2');
      await runScript(redis, 'rescore-stage', [keys.meta(P), keys.rescore(P)], [String(epoch), 'v3', '1', '0', 'C-x'], { partition: P, epoch });
      expect(await rescore.progress(P)).toEqual({ version: null, total: 0, remaining: 0 });
    });

    it("a chunk's commit moves the list with its states and outbox, or writes nothing", async () => {
      const { epoch } = await store.claim(P);
      await rescore.stage(P, epoch, 'v2');
      const head = await rescore.head(P, 5);
      const states = new Map(head.map((id) => [id, typicalState(id)]));
      const outbox = [{ id: 'x1', topic: 't', key: head[0] as string, value: '{}' }];
      const chunk = { states, outbox, rescore: { version: 'v2', firstId: head[0] as string, count: head.length } };

      // Another version's chunk, or a chunk whose head is not the list's: refused, nothing written.
      expect((await store.commit(P, epoch, { ...chunk, rescore: { ...chunk.rescore, version: 'v1' } })).applied).toBe(false);
      expect((await store.commit(P, epoch, { ...chunk, rescore: { ...chunk.rescore, firstId: head[1] as string } })).applied).toBe(false);
      expect(await redis.xlen(keys.outbox(P))).toBe(0);
      expect(await redis.strlen(keys.customer(P, head[0] as string))).toBe(0);

      expect((await store.commit(P, epoch, chunk)).applied).toBe(true);
      expect(await rescore.progress(P)).toEqual({ version: 'v2', total: mine.length, remaining: mine.length - head.length });
      expect(await redis.xlen(keys.outbox(P))).toBe(1);
      expect(await redis.strlen(keys.customer(P, head[0] as string))).toBeGreaterThan(0);

      // The same chunk again (a retry after a lost reply): refused, the next chunk is not skipped.
      expect((await store.commit(P, epoch, chunk)).applied).toBe(false);
      expect(await rescore.progress(P)).toEqual({ version: 'v2', total: mine.length, remaining: mine.length - head.length });
      expect(await redis.xlen(keys.outbox(P))).toBe(1);

      // A newer owner fences the old one's chunk.
      const next = await rescore.head(P, 5);
      await store.claim(P);
      await expect(store.commit(P, epoch, { rescore: { version: 'v2', firstId: next[0] as string, count: next.length } })).rejects.toBeInstanceOf(FencedError);
      expect(await redis.hget(keys.meta(P), META_FIELDS.rescoreVersion)).toBe('v2');
      expect(await rescore.head(P, 5)).toEqual(next);
    });
  });
});
