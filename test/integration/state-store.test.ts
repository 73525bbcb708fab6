// PartitionStore against real servers: the standalone Redis and, when the
// infrastructure has one, the 3-master Redis Cluster. Each test uses its own key
// prefix and deletes its keys afterwards.
import { Cluster, type Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CustomerState } from '../../src/domain/state.js';
import { encodeState } from '../../src/state/codec.js';
import { FencedError, OffsetOverlapError, StateError } from '../../src/state/errors.js';
import { KeySpace, META_FIELDS, offsetField } from '../../src/state/keys.js';
import { connectState } from '../../src/state/connect.js';
import { runScript } from '../../src/state/scripts.js';
import { PartitionStore, type OutboxRecord } from '../../src/state/store.js';
import {
  deleteKeysByPrefix,
  describeWithInfra,
  redisTargets,
  uniqueRedisPrefix,
} from '../support/infra.js';
import { heavyState, typicalState } from '../state/fixtures.js';

type Client = Redis | Cluster;


const TOPIC_A = 'clv.purchases';
const TOPIC_B = 'clv.returns';

function withDay(s: CustomerState, nextCheckDay: number | null): CustomerState {
  return { ...s, nextCheckDay };
}

function record(i: number, customerId = `C-${i}`): OutboxRecord {
  const id = `seg:${customerId}:${i}`;
  return { id, topic: 'clv.segment-changed', key: customerId, value: JSON.stringify({ type: 'segment-changed', event_id: id, n: i }) };
}

describeWithInfra('state store: PartitionStore on Redis', (infra) => {
  describe.each(redisTargets(infra))('on $name', (target) => {
    let redis: Client;
    let prefix: string;
    let keys: KeySpace;
    let store: PartitionStore;

    beforeAll(() => {
      redis = target.connect();
    });
    afterAll(async () => {
      await redis.quit();
    });
    beforeEach(() => {
      prefix = uniqueRedisPrefix('state');
      keys = new KeySpace(prefix);
      store = new PartitionStore(redis, keys);
    });
    afterEach(async () => {
      await deleteKeysByPrefix(redis, prefix);
    });

    /** Everything stored for partition p (and the given customers), for before/after comparisons. */
    async function snapshot(p: number, ids: readonly string[]) {
      return {
        meta: await redis.hgetall(keys.meta(p)),
        states: await Promise.all(ids.map(async (id) => (await redis.getBuffer(keys.customer(p, id)))?.toString('hex') ?? null)),
        outbox: await redis.xrange(keys.outbox(p), '-', '+'),
        timers: await redis.zrange(keys.timers(p), 0, '-1', 'WITHSCORES'),
      };
    }

    it('claim bumps the fencing epoch and returns the stored offsets and watermark', async () => {
      const first = await store.claim(3);
      expect(first).toEqual({ partition: 3, epoch: 1, nextOffsets: new Map(), watermarkDay: null });
      await store.commit(3, 1, { nextOffsets: new Map([[TOPIC_A, 42n]]), watermarkDay: 20_100 });
      const second = await store.claim(3);
      expect(second.epoch).toBe(2);
      expect(second.nextOffsets).toEqual(new Map([[TOPIC_A, '42']]));
      expect(second.watermarkDay).toBe(20_100);
      expect(await redis.hget(keys.meta(3), META_FIELDS.epoch)).toBe('2');
      // Partitions are independent.
      expect((await store.claim(4)).epoch).toBe(1);
    });

    it('commit writes states, offsets, watermark, outbox and timers, and they read back equal', async () => {
      const p = 7;
      const { epoch } = await store.claim(p);
      const a = withDay(typicalState('C-a'), 20_300);
      const b = withDay(heavyState('C-b'), 20_250);
      const c = withDay(typicalState('C-c'), null);
      const outbox = [record(1, 'C-a'), record(2, 'C-b'), record(3, 'C-a')];
      const result = await store.commit(p, epoch, {
        states: new Map([
          ['C-a', a],
          ['C-b', b],
          ['C-c', c],
        ]),
        nextOffsets: new Map<string, string | number>([
          [TOPIC_A, '1001'],
          [TOPIC_B, 17],
        ]),
        watermarkDay: 20_210,
        outbox,
      });
      expect(result).toEqual({ applied: true, staleTopics: [] });

      const loaded = await store.loadStates(p, ['C-a', 'C-b', 'C-c', 'C-missing']);
      expect([...loaded.keys()].sort()).toEqual(['C-a', 'C-b', 'C-c']);
      expect(loaded.get('C-a')).toStrictEqual(a);
      expect(loaded.get('C-b')).toStrictEqual(b);
      expect(loaded.get('C-c')).toStrictEqual(c);

      expect(await redis.hget(keys.meta(p), offsetField(TOPIC_A))).toBe('1001');
      expect(await redis.hget(keys.meta(p), offsetField(TOPIC_B))).toBe('17');
      expect(await redis.hget(keys.meta(p), META_FIELDS.watermark)).toBe('20210');

      const { entries, refs, more } = await store.readOutbox(p, 10);
      expect(entries.map(({ id, topic, key, value }) => ({ id, topic, key, value: value.toString() }))).toEqual(outbox);
      expect(entries.map((e) => e.eventTimeMs)).toEqual([null, null, null]);
      // One commit, one topic: one stream entry holding the three records.
      expect(refs).toEqual([{ streamId: expect.any(String) as unknown, topic: 'clv.segment-changed', records: 3 }]);
      expect(await redis.xlen(keys.outbox(p))).toBe(1);
      expect(more).toBe(false);
      expect(await store.outboxLength(p)).toBe(3);

      expect(await redis.zrange(keys.timers(p), 0, '-1', 'WITHSCORES')).toEqual(['C-b', '20250', 'C-a', '20300']);
    });

    it('rejects a commit with a stale epoch with FencedError and changes nothing', async () => {
      const p = 11;
      const ids = ['C-1', 'C-2', 'C-3'];
      const old = await store.claim(p);
      await store.commit(p, old.epoch, {
        states: new Map(ids.map((id, i) => [id, withDay(typicalState(id), 20_300 + i)])),
        nextOffsets: new Map([[TOPIC_A, '500']]),
        watermarkDay: 20_200,
        outbox: [record(1)],
      });
      const current = await store.claim(p); // another owner took over
      const before = await snapshot(p, [...ids, 'C-new']);

      const attempt = store.commit(p, old.epoch, {
        states: new Map<string, CustomerState | null>([
          ['C-1', withDay(heavyState('C-1'), 20_400)],
          ['C-2', null],
          ['C-new', typicalState('C-new')],
        ]),
        nextOffsets: new Map([[TOPIC_A, '900']]),
        watermarkDay: 20_500,
        outbox: [record(2), record(3)],
      });
      const err = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(FencedError);
      const fenced = err as FencedError;
      expect(fenced.code).toBe('FENCED');
      expect(fenced.retriable).toBe(false);
      expect(fenced.callerEpoch).toBe(old.epoch);
      expect(fenced.currentEpoch).toBe(current.epoch);
      expect(await snapshot(p, [...ids, 'C-new'])).toEqual(before);

      // The current owner commits fine.
      await expect(store.commit(p, current.epoch, { nextOffsets: new Map([[TOPIC_A, '501']]) })).resolves.toEqual({
        applied: true,
        staleTopics: [],
      });
    });

    it('refuses a commit before any claim and a commit into a key of the wrong type, writing nothing', async () => {
      const notClaimed = await store.commit(12, 1, { states: new Map([['C-1', typicalState('C-1')]]) }).catch((e: unknown) => e);
      expect(notClaimed).toBeInstanceOf(StateError);
      expect((notClaimed as StateError).code).toBe('NOT_CLAIMED');
      expect(await redis.exists(keys.customer(12, 'C-1'))).toBe(0);

      const { epoch } = await store.claim(12);
      await redis.set(keys.timers(12), 'not a zset');
      const wrongType = await store
        .commit(12, epoch, { states: new Map([['C-1', typicalState('C-1')]]), outbox: [record(1)] })
        .catch((e: unknown) => e);
      expect((wrongType as StateError).code).toBe('WRONG_TYPE');
      expect(await redis.exists(keys.customer(12, 'C-1'), keys.outbox(12))).toBe(0);
    });

    it('never moves offsets or the watermark backwards, and skips a batch that was committed already', async () => {
      const p = 5;
      const { epoch } = await store.claim(p);
      await store.commit(p, epoch, {
        nextOffsets: new Map([
          [TOPIC_A, '100'],
          [TOPIC_B, '50'],
        ]),
        watermarkDay: 20_000,
      });
      // A stored topic beside a new one: the batch would repeat what is stored.
      const mixed = await store
        .commit(p, epoch, {
          nextOffsets: new Map([
            [TOPIC_A, '90'],
            [TOPIC_B, '60'],
          ]),
          states: new Map([['C-1', typicalState('C-1')]]),
        })
        .catch((e: unknown) => e);
      expect(mixed).toBeInstanceOf(OffsetOverlapError);
      expect((mixed as OffsetOverlapError).storedNext).toEqual(new Map([[TOPIC_A, 100n]]));
      expect(await redis.exists(keys.customer(p, 'C-1'))).toBe(0);
      await store.commit(p, epoch, { nextOffsets: new Map([[TOPIC_B, '60']]), watermarkDay: 19_990 });
      let claim = await store.claim(p);
      expect(claim.nextOffsets).toEqual(
        new Map([
          [TOPIC_A, '100'],
          [TOPIC_B, '60'],
        ]),
      );
      expect(claim.watermarkDay).toBe(20_000);

      // A retry of a committed batch (no offset moves forward) writes nothing.
      const replay = await store.commit(p, claim.epoch, {
        nextOffsets: new Map([[TOPIC_A, '100']]),
        states: new Map([['C-2', typicalState('C-2')]]),
        outbox: [record(1)],
      });
      expect(replay).toEqual({ applied: false, staleTopics: [TOPIC_A] });
      expect(await redis.exists(keys.customer(p, 'C-2'), keys.outbox(p))).toBe(0);

      // Offsets beyond 2^53 compare exactly (strings, not doubles).
      await store.commit(p, claim.epoch, { nextOffsets: new Map([[TOPIC_A, 9_223_372_036_854_775_806n]]) });
      const beyond = await store.commit(p, claim.epoch, { nextOffsets: new Map([[TOPIC_A, '9223372036854775807']]) });
      expect(beyond.applied).toBe(true);
      const back = await store.commit(p, claim.epoch, { nextOffsets: new Map([[TOPIC_A, '9223372036854775806']]) });
      expect(back.applied).toBe(false);
      claim = await store.claim(p);
      expect(claim.nextOffsets.get(TOPIC_A)).toBe('9223372036854775807');

      await expect(store.commit(p, claim.epoch, { nextOffsets: new Map([[TOPIC_A, '-1']]) })).rejects.toMatchObject({
        code: 'BAD_ARGUMENTS',
      });
    });

    it('refuses a batch whose first records are stored already, and takes one that starts at or after the stored offset', async () => {
      const p = 6;
      const { epoch } = await store.claim(p);
      await store.commit(p, epoch, { nextOffsets: new Map([[TOPIC_A, '100']]), firstOffsets: new Map([[TOPIC_A, '0']]) });

      // Records 95..119: 95..99 are stored; applying them again would count them twice.
      const overlap = await store
        .commit(p, epoch, {
          nextOffsets: new Map([[TOPIC_A, '120']]),
          firstOffsets: new Map([[TOPIC_A, '95']]),
          states: new Map([['C-1', typicalState('C-1')]]),
          outbox: [record(1)],
        })
        .catch((e: unknown) => e);
      expect(overlap).toBeInstanceOf(OffsetOverlapError);
      expect(overlap).toMatchObject({ code: 'OFFSET_OVERLAP', partition: p, storedNext: new Map([[TOPIC_A, 100n]]) });
      expect(await redis.exists(keys.customer(p, 'C-1'), keys.outbox(p))).toBe(0);
      expect((await store.claim(p)).nextOffsets.get(TOPIC_A)).toBe('100');

      const claim = await store.claim(p);
      // From the stored offset on, and past a gap (records the log no longer has): applied.
      await expect(store.commit(p, claim.epoch, { nextOffsets: new Map([[TOPIC_A, '120']]), firstOffsets: new Map([[TOPIC_A, '100']]) })).resolves.toEqual({ applied: true, staleTopics: [] });
      await expect(store.commit(p, claim.epoch, { nextOffsets: new Map([[TOPIC_A, '150']]), firstOffsets: new Map([[TOPIC_A, '130']]) })).resolves.toEqual({ applied: true, staleTopics: [] });
      // Stored in full (a retry after a lost reply): not applied, no error.
      await expect(store.commit(p, claim.epoch, { nextOffsets: new Map([[TOPIC_A, '150']]), firstOffsets: new Map([[TOPIC_A, '130']]) })).resolves.toEqual({ applied: false, staleTopics: [TOPIC_A] });
      // A first offset not before the next one is a malformed batch.
      await expect(store.commit(p, claim.epoch, { nextOffsets: new Map([[TOPIC_A, '160']]), firstOffsets: new Map([[TOPIC_A, '160']]) })).rejects.toMatchObject({ code: 'BAD_ARGUMENTS' });
    });

    it('keeps a commit\'s records in one entry per topic, reads whole entries and acks them idempotently, also after a rebalance', async () => {
      const p = 2;
      const { epoch } = await store.claim(p);
      const first = [0, 1, 2].map((i) => record(i));
      const churn = { id: 'churn:C-9:1', topic: 'clv.churn-risk', key: 'C-9', value: Buffer.from([0, 0xff, 7]), eventTimeMs: -86_400_000 };
      const second = [record(3), churn, { ...record(4), eventTimeMs: 1_767_225_600_123 }];
      await store.commit(p, epoch, { outbox: first });
      await store.commit(p, epoch, { outbox: second });
      expect(await redis.xlen(keys.outbox(p))).toBe(3);
      expect(await store.outboxLength(p)).toBe(6);

      // A read stops after the entry that reaches the record limit, and says more is waiting.
      const head = await store.readOutbox(p, 2);
      expect(head.entries.map((e) => e.id)).toEqual(first.map((r) => r.id));
      expect(head.refs.map((r) => [r.topic, r.records])).toEqual([['clv.segment-changed', 3]]);
      expect(head.more).toBe(true);
      const tail = await store.readOutbox(p, 10, head.refs[0]?.streamId);
      expect(tail.more).toBe(false);
      // Entries are per topic, in commit order: the second commit's segment records, then its churn record.
      expect(tail.entries.map((e) => [e.topic, e.id, e.eventTimeMs])).toEqual([
        ['clv.segment-changed', record(3).id, null],
        ['clv.segment-changed', record(4).id, 1_767_225_600_123],
        ['clv.churn-risk', churn.id, -86_400_000],
      ]);
      expect(tail.entries[2]?.value).toEqual(churn.value);
      expect(tail.refs.map((r) => [r.topic, r.records])).toEqual([
        ['clv.segment-changed', 2],
        ['clv.churn-risk', 1],
      ]);

      expect(await store.ackOutbox(p, head.refs)).toBe(3);
      expect(await store.ackOutbox(p, head.refs)).toBe(0);
      expect(await store.outboxLength(p)).toBe(3);
      await store.claim(p); // a new owner; the old relay's late ack is still harmless
      expect(await store.ackOutbox(p, [...head.refs, ...tail.refs.slice(0, 1)])).toBe(2);
      expect((await store.readOutbox(p, 10)).entries.map((e) => e.id)).toEqual([churn.id]);
      expect(await store.outboxLength(p)).toBe(1);
      expect(await store.ackOutbox(p, tail.refs)).toBe(1);
      expect(await store.outboxLength(p)).toBe(0);
      expect(await redis.hget(keys.meta(p), META_FIELDS.outboxRecords)).toBe('0');
      expect(await store.ackOutbox(p, [])).toBe(0);
      await expect(store.ackOutbox(p, [{ streamId: 'not-an-id', records: 1 }])).rejects.toMatchObject({ code: 'BAD_ARGUMENTS' });
      await expect(store.ackOutbox(p, [{ streamId: '1-0', records: -1 }])).rejects.toMatchObject({ code: 'BAD_ARGUMENTS' });
      // Acking on a partition without an outbox is fine too.
      expect(await store.ackOutbox(p + 100, head.refs)).toBe(0);
    });

    it('caps entries at commit, and bounds an outbox read by bytes as well as records', async () => {
      const p = 4;
      const { epoch } = await store.claim(p);
      const big = 'x'.repeat(512 * 1024);
      // Ten commits of two 512 KiB records each: 10 MiB in all, one record per entry (512 KiB of values at most).
      for (let c = 0; c < 10; c++) {
        await store.commit(p, epoch, { outbox: [0, 1].map((i) => ({ ...record(2 * c + i), value: big })) });
      }
      expect(await redis.xlen(keys.outbox(p))).toBe(20);
      expect(await store.outboxLength(p)).toBe(20);
      const read = await store.readOutbox(p, 1_000);
      // 4 MiB reached after eight entries; the rest waits.
      expect(read.refs).toHaveLength(8);
      expect(read.entries.map((e) => e.id)).toEqual(Array.from({ length: 8 }, (_, i) => record(i).id));
      expect(read.more).toBe(true);

      // A large commit of small records: entries of at most 500, in order; reads follow the entries' size.
      const q = 7;
      const many = await store.claim(q);
      const records = Array.from({ length: 1_234 }, (_, i) => record(i));
      await store.commit(q, many.epoch, { outbox: records });
      expect(await redis.xlen(keys.outbox(q))).toBe(3);
      const seen: string[] = [];
      let after: string | undefined;
      for (let guard = 0; guard < 10; guard++) {
        const page = await store.readOutbox(q, 600, after);
        seen.push(...page.entries.map((e) => e.id));
        after = page.refs.at(-1)?.streamId ?? after;
        expect(page.refs.every((r) => r.records <= 500)).toBe(true);
        if (!page.more) break;
      }
      expect(seen).toEqual(records.map((r) => r.id));
    });

    it('refuses to read an outbox key of the wrong type', async () => {
      await redis.set(keys.outbox(8), 'not a stream');
      await expect(store.readOutbox(8, 10)).rejects.toMatchObject({ code: 'WRONG_TYPE' });
    });

    it('reports a corrupt outbox entry with its stream id instead of sending garbage', async () => {
      const p = 6;
      await store.claim(p);
      const id = await redis.xadd(keys.outbox(p), '*', 't', 'clv.segment-changed', 'n', '1', 'r', Buffer.from([1, 1, 200]));
      await expect(store.readOutbox(p, 10)).rejects.toMatchObject({ code: 'CODEC_CORRUPT', message: expect.stringContaining(`outbox entry ${String(id)} of partition ${p}`) as unknown });
    });

    it('returns due timers up to a day, earliest first, and follows state changes', async () => {
      const p = 9;
      const { epoch } = await store.claim(p);
      await store.commit(p, epoch, {
        states: new Map([
          ['C-10', withDay(typicalState('C-10'), 10)],
          ['C-20', withDay(typicalState('C-20'), 20)],
          ['C-30', withDay(typicalState('C-30'), 30)],
          ['C-none', withDay(typicalState('C-none'), null)],
        ]),
      });
      expect(await store.dueTimers(p, 9, 10)).toEqual([]);
      expect(await store.dueTimers(p, 20, 10)).toEqual([
        { customerId: 'C-10', day: 10 },
        { customerId: 'C-20', day: 20 },
      ]);
      expect(await store.dueTimers(p, 1_000, 1)).toEqual([{ customerId: 'C-10', day: 10 }]);

      // The timer path re-schedules C-10, C-20 stops needing a check, C-30 is deleted.
      await store.commit(p, epoch, {
        states: new Map<string, CustomerState | null>([
          ['C-10', withDay(typicalState('C-10'), 40)],
          ['C-20', withDay(typicalState('C-20'), null)],
          ['C-30', null],
        ]),
      });
      expect(await store.dueTimers(p, 1_000, 10)).toEqual([{ customerId: 'C-10', day: 40 }]);
      expect(await redis.exists(keys.customer(p, 'C-30'))).toBe(0);
      expect((await store.loadStates(p, ['C-20'])).get('C-20')?.nextCheckDay).toBeNull();
    });

    it('commits a batch of 5,000 customers in one call', async () => {
      const p = 1;
      const { epoch } = await store.claim(p);
      const template = typicalState('template');
      const states = new Map<string, CustomerState>();
      for (let i = 0; i < 5_000; i++) {
        const id = `C-${String(i).padStart(8, '0')}`;
        states.set(id, { ...template, customerId: id, nextCheckDay: 20_000 + (i % 300), grossMinor: template.grossMinor + i });
      }
      const outbox = Array.from({ length: 5_000 }, (_, i) => record(i));
      const started = performance.now();
      const result = await store.commit(p, epoch, { states, outbox, nextOffsets: new Map([[TOPIC_A, '5000']]), watermarkDay: 20_150 });
      const commitMs = performance.now() - started;
      expect(result.applied).toBe(true);

      const loadStarted = performance.now();
      const loaded = await store.loadStates(p, states.keys());
      const loadMs = performance.now() - loadStarted;
      console.log(
        `[state] ${target.name}: commit of 5,000 states + 5,000 outbox records ${commitMs.toFixed(0)} ms; loadStates (MGET) ${loadMs.toFixed(0)} ms`,
      );
      expect(loaded.size).toBe(5_000);
      for (const [id, s] of states) expect(loaded.get(id)).toStrictEqual(s);
      expect(await redis.zcard(keys.timers(p))).toBe(5_000);
      expect(await store.outboxLength(p)).toBe(5_000);
      expect((await store.dueTimers(p, 20_000, 10_000)).length).toBe(Math.ceil(5_000 / 300));
    });

    it('keeps a realistic customer within 300 bytes of Redis memory (MEMORY USAGE)', async () => {
      const p = 6;
      const { epoch } = await store.claim(p);
      // 1,000 customers: enough for the timer set to leave its compact (listpack) encoding.
      const ids = Array.from({ length: 1_000 }, (_, i) => `C-${String(100_000 + i)}`);
      const typical = new Map(ids.map((id) => [id, typicalState(id)]));
      await store.commit(p, epoch, { states: typical });
      const heavyId = 'C-9f8e7d6c-5b4a-3210-aaaa-bbbbccccdddd';
      await store.commit(p, epoch, { states: new Map([[heavyId, heavyState(heavyId)]]) });

      const sampled = await store.bytesPerCustomer(p); // random members of the timer set
      const typicalUsage = await store.bytesPerCustomer(p, ids);
      const heavyUsage = await store.bytesPerCustomer(p, [heavyId]);
      const value = encodeState(typicalState(ids[0])).length;
      console.log(
        `[state] ${target.name}: MEMORY USAGE typical customer ${typicalUsage.avgMemoryBytes} B ` +
          `(value ${typicalUsage.avgValueBytes} B, key ${typicalUsage.avgKeyBytes} B; packed ${value} B); ` +
          `heavy customer ${heavyUsage.avgMemoryBytes} B (value ${heavyUsage.avgValueBytes} B); ` +
          `sample of ${sampled.samples}: ${sampled.avgMemoryBytes} B; timer set ${typicalUsage.timerBytesPerCustomer} B per scheduled customer`,
      );
      expect(typicalUsage.samples).toBe(1_000);
      // The test prefix makes keys ~25 bytes longer than production's `clv:{p6}:c:<id>`.
      expect(typicalUsage.avgMemoryBytes).toBeLessThanOrEqual(300);
      expect(typicalUsage.timerBytesPerCustomer).toBeGreaterThan(0);
      expect(sampled.samples).toBeGreaterThan(0);
    });

    it('rejects malformed commit arguments, and customer keys of another partition, before writing', async () => {
      const p = 13;
      const { epoch } = await store.claim(p);
      const fixed = [keys.meta(p), keys.outbox(p), keys.timers(p)];
      const value = encodeState(typicalState('C-1'));
      const malformed: (string | Buffer)[][] = [
        [String(epoch), '', '0', '1', keys.customer(p, 'C-1'), value, '0', '0'], // missing the last count
        [String(epoch), '', '0', '1', keys.customer(p, 'C-1'), value, '0', '0', '0', 'extra'],
        [String(epoch), 'x', '0', '0', '0', '0', '0'],
        [String(epoch), '', '1', offsetField(TOPIC_A), '01', '0', '0', '0', '0'],
        // The second customer key belongs to partition p + 1: in a cluster another slot.
        [String(epoch), '', '0', '2', keys.customer(p, 'C-1'), value, keys.customer(p + 1, 'C-2'), value, '0', '0', '0'],
        [String(epoch), '', '0', '1', keys.customer(p, 'C-1'), value, '0', '1', 'C-1', 'soon', '0'],
      ];
      for (const args of malformed) {
        const err = await runScript(redis, 'commit', fixed, args, { partition: p, epoch }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StateError);
        expect((err as StateError).code).toBe('BAD_ARGUMENTS');
      }
      expect(await redis.exists(keys.customer(p, 'C-1'), keys.timers(p), keys.outbox(p))).toBe(0);
      expect(await redis.exists(keys.customer(p + 1, 'C-2'))).toBe(0);
      expect(await redis.hgetall(keys.meta(p))).toEqual({ [META_FIELDS.epoch]: String(epoch) });
    });

    it('keeps partitions apart: one owner per partition, fenced independently', async () => {
      const a = await store.claim(20);
      const b = await store.claim(21);
      await store.claim(20); // partition 20 moves to another owner
      await expect(store.commit(20, a.epoch, { states: new Map([['C-1', typicalState('C-1')]]) })).rejects.toBeInstanceOf(FencedError);
      await expect(store.commit(21, b.epoch, { states: new Map([['C-1', typicalState('C-1')]]) })).resolves.toMatchObject({ applied: true });
      expect((await store.loadStates(20, ['C-1'])).size).toBe(0);
      expect((await store.loadStates(21, ['C-1'])).size).toBe(1);
    });
  });

  it('connectState builds a working store from the Redis settings (standalone and cluster)', async () => {
    const variants: (string[] | undefined)[] = [undefined];
    if (infra.redisClusterNodes) variants.push(infra.redisClusterNodes.map((n) => `${n.host}:${n.port}`));
    for (const nodes of variants) {
      const prefix = uniqueRedisPrefix('state-connect');
      const conn = connectState({ REDIS_URL: infra.redisUrl, REDIS_CLUSTER_NODES: nodes, REDIS_KEY_PREFIX: prefix });
      try {
        const { epoch } = await conn.store.claim(0);
        await conn.store.commit(0, epoch, { states: new Map([['C-1', typicalState('C-1')]]) });
        expect((await conn.store.loadStates(0, ['C-1'])).get('C-1')).toStrictEqual(typicalState('C-1'));
        expect(conn.keys.meta(0).startsWith(prefix)).toBe(true);
        expect(conn.redis instanceof Cluster).toBe(nodes !== undefined);
      } finally {
        await deleteKeysByPrefix(conn.redis, prefix);
        await conn.close();
      }
    }
  });
});
