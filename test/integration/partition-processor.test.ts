// PartitionProcessor against real servers (standalone Redis and, when present, the
// Redis Cluster): a batch step must end where MemoryProcessor ends, however the
// records are split into batches and however often a batch is redelivered.
import type { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deadLetterSchema } from '../../src/contracts/dead-letter.js';
import type { InboundType } from '../../src/contracts/inbound.js';
import { internalSchema } from '../../src/contracts/internal.js';
import type { OutboundEvent } from '../../src/contracts/outbound.js';
import { localDayOf } from '../../src/domain/time.js';
import { decodeBytes, type IngestRules } from '../../src/ingest/decode.js';
import type { SourceMessage } from '../../src/ingest/dead-letter-record.js';
import { partitionOfKey } from '../../src/kafka/key-partition.js';
import { MemoryProcessor } from '../../src/pipeline/memory-processor.js';
import { PartitionProcessor, ProcessingError, type BatchRecord, type OutputTopics } from '../../src/service/partition-processor.js';
import { FencedError, OffsetOverlapError } from '../../src/state/errors.js';
import { KeySpace } from '../../src/state/keys.js';
import { PartitionStore } from '../../src/state/store.js';
import { ctx } from '../domain/fixtures.js';
import {
  deleteKeysByPrefix,
  describeWithInfra,
  redisTargets,
  uniqueRedisPrefix,
} from '../support/infra.js';

type Client = Redis | Cluster;


const PARTITIONS = 4;
const P = 2;
const NOW = Date.parse('2027-01-01T00:00:00Z');
const TOPICS: OutputTopics = {
  TOPIC_SEGMENT_CHANGED: 'clv.segment-changed',
  TOPIC_CHURN_RISK: 'clv.churn-risk',
  TOPIC_DEAD_LETTER: 'clv.dead-letter',
  TOPIC_INTERNAL: 'clv.internal',
};
const SOURCE: Record<InboundType, string> = {
  purchase: 'clv.purchases',
  return: 'clv.returns',
  referral: 'clv.referrals',
  cancellation: 'clv.cancellations',
  feedback: 'clv.feedback',
  interaction: 'clv.interactions',
};
const RULES: IngestRules = {
  unknownFields: 'reject',
  earliestMs: Date.parse('1990-01-01T00:00:00Z'),
  maxFutureSkewMs: 300_000,
  maxMessageBytes: 4096,
  baseCurrency: 'USD',
  rates: {},
};

/** Customer ids `<label>-<n>` whose key hashes to partition `p` (or, with `other`, does not). */
function customerOn(label: string, p: number, other = false): string {
  for (let n = 0; ; n++) {
    const id = `${label}-${n}`;
    if ((partitionOfKey(id, PARTITIONS) === p) !== other) return id;
  }
}
const A = customerOn('A', P);
const B = customerOn('B', P);
const C = customerOn('C', P);
const ELSEWHERE = customerOn('X', P, true);

/** Noon UTC of day `day` of 2026 (0 = 1 January). */
const iso = (day: number): string => new Date(Date.UTC(2026, 0, 1 + day, 12)).toISOString();

class Feed {
  private readonly offsets = new Map<string, bigint>();
  private n = 0;

  raw(type: InboundType, value: Buffer, key: string | null): BatchRecord {
    const topic = SOURCE[type];
    const offset = this.offsets.get(topic) ?? 100n;
    this.offsets.set(topic, offset + 1n);
    const message: SourceMessage = {
      topic,
      partition: P,
      offset: offset.toString(),
      timestamp: String(NOW),
      key: key === null ? null : Buffer.from(key),
      value,
      headers: { trace: 'abc' },
    };
    return { topic, offset, message, decoded: decodeBytes(value, type, RULES, NOW) };
  }

  event(type: InboundType, customer: string, occurredAt: string, fields: Record<string, unknown>): BatchRecord {
    const event = { type, event_id: `e-${++this.n}`, customer_id: customer, occurred_at: occurredAt, ...fields };
    return this.raw(type, Buffer.from(JSON.stringify(event)), customer);
  }
  purchase(customer: string, day: number, amount: string, orderId?: string): BatchRecord {
    return this.event('purchase', customer, iso(day), { amount, currency: 'USD', ...(orderId ? { order_id: orderId } : {}) });
  }
  returned(customer: string, day: number, amount: string, orderId: string): BatchRecord {
    return this.event('return', customer, iso(day), { amount, currency: 'USD', order_id: orderId });
  }
  feedback(customer: string, day: number, score: number): BatchRecord {
    return this.event('feedback', customer, iso(day), { score });
  }
}

/** Purchases, returns and feedback of three customers over four months, in merge (time) order. */
function scenario(): BatchRecord[] {
  const f = new Feed();
  return [
    f.purchase(A, 0, '100.00', 'oa1'),
    f.purchase(B, 0, '50.00', 'ob1'),
    f.feedback(C, 2, 3),
    f.purchase(A, 10, '80.00'),
    f.returned(B, 12, '20.00', 'ob1'),
    f.purchase(C, 20, '35.50'),
    f.feedback(A, 40, 9),
    f.purchase(B, 45, '60.00'),
    f.returned(A, 50, '100.00', 'oa1'),
    f.purchase(C, 95, '12.00'),
    f.purchase(A, 120, '240.00'),
    f.feedback(B, 121, 10),
  ];
}

function reference(records: readonly BatchRecord[]): { memory: MemoryProcessor; emits: OutboundEvent[] } {
  const emits: OutboundEvent[] = [];
  const memory = new MemoryProcessor(ctx, { onEmit: (e) => emits.push(e) });
  for (const r of records) {
    if (r.decoded.tag !== 'input') throw new Error('reference takes valid inbound records only');
    memory.apply(r.decoded.input);
  }
  return { memory, emits };
}

describeWithInfra('PartitionProcessor on Redis', (infra) => {
  describe.each(redisTargets(infra))('on $name', (target) => {
    let redis: Client;
    let prefix: string;
    let store: PartitionStore;
    let processor: PartitionProcessor;

    beforeAll(() => {
      redis = target.connect();
    });
    afterAll(async () => {
      await redis.quit();
    });
    beforeEach(() => {
      prefix = uniqueRedisPrefix('pproc');
      store = new PartitionStore(redis, new KeySpace(prefix));
      processor = new PartitionProcessor(store, { ctx, topics: TOPICS, partitionCount: PARTITIONS, version: '0.1.0-test', now: () => NOW });
    });
    afterEach(async () => {
      await deleteKeysByPrefix(redis, prefix);
    });

    const outbox = async () => (await store.readOutbox(P, 10_000)).entries;
    const states = () => store.loadStates(P, [A, B, C, ELSEWHERE]);

    it('ends where MemoryProcessor ends, with every emission in the outbox under its deterministic id', async () => {
      const records = scenario();
      const { epoch } = await store.claim(P);
      const outcome = await processor.processBatch(P, epoch, null, records);
      const { memory, emits } = reference(records);

      expect(outcome.applied).toBe(true);
      expect(outcome.watermarkDay).toBe(memory.watermark);
      expect(outcome.timersFired).toBeGreaterThan(0); // the scenario does cross check days
      expect(await states()).toEqual(memory.states);
      expect(emits.length).toBeGreaterThan(0);
      const entries = await outbox();
      expect(new Set(entries.map((e) => e.id))).toEqual(new Set(emits.map((e) => e.event_id)));
      expect(entries).toHaveLength(emits.length);
      for (const event of emits) {
        const entry = entries.find((e) => e.id === event.event_id);
        expect(entry?.topic).toBe(event.type === 'segment-changed' ? TOPICS.TOPIC_SEGMENT_CHANGED : TOPICS.TOPIC_CHURN_RISK);
        expect(entry?.key).toBe(event.customer_id);
        expect(JSON.parse(entry?.value.toString('utf8') ?? 'null')).toEqual(event);
        expect(entry?.eventTimeMs).toBe(Date.parse(event.occurred_at));
      }
      expect(outcome.emissions).toEqual(emits);
      expect(await store.outboxLength(P)).toBe(emits.length);
      const claim = await store.claim(P);
      expect(Object.fromEntries(claim.nextOffsets)).toEqual({ 'clv.purchases': '107', 'clv.returns': '102', 'clv.feedback': '103' });
      expect(claim.watermarkDay).toBe(memory.watermark);
    });

    it('ends in the same state when the records come in several batches (with sweeps between them)', async () => {
      const records = scenario();
      const { epoch } = await store.claim(P);
      let watermark: number | null = null;
      for (const batch of [records.slice(0, 3), records.slice(3, 4), records.slice(4, 9), records.slice(9)]) {
        watermark = (await processor.processBatch(P, epoch, watermark, batch)).watermarkDay;
        if (watermark !== null) while ((await processor.sweep(P, epoch, watermark, 2)).more);
      }
      const { memory, emits } = reference(records);
      expect(await states()).toEqual(memory.states);
      expect(new Set((await outbox()).map((e) => e.id))).toEqual(new Set(emits.map((e) => e.event_id)));
    });

    it('changes nothing when a committed batch is delivered again', async () => {
      const records = scenario();
      const { epoch } = await store.claim(P);
      await processor.processBatch(P, epoch, null, records.slice(0, 6));
      const second = await processor.processBatch(P, epoch, null, records.slice(6));
      const before = { states: await states(), outbox: await outbox() };
      const again = await processor.processBatch(P, epoch, second.watermarkDay, records.slice(6));
      expect(again.applied).toBe(false);
      expect({ states: await states(), outbox: await outbox() }).toEqual(before);
    });

    it('refuses a batch that repeats stored records beside new ones, writing nothing; the rest then ends where MemoryProcessor ends', async () => {
      const records = scenario();
      const { epoch } = await store.claim(P);
      const first = await processor.processBatch(P, epoch, null, records.slice(0, 6));
      const before = { states: await states(), outbox: await outbox() };
      // The last two committed records again, ahead of the ones not yet committed
      // (what a fetch behind the runner position would have merged).
      const repeated = [...records.slice(4, 6), ...records.slice(6)];
      const refused = await processor.processBatch(P, epoch, first.watermarkDay, repeated).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OffsetOverlapError);
      const stored = (refused as OffsetOverlapError).storedNext;
      expect({ states: await states(), outbox: await outbox() }).toEqual(before);

      const rest = repeated.filter((r) => r.offset >= (stored.get(r.topic) ?? 0n));
      expect(rest).toEqual(records.slice(6));
      await processor.processBatch(P, epoch, first.watermarkDay, rest);
      const { memory, emits } = reference(records);
      expect(await states()).toEqual(memory.states);
      expect(new Set((await outbox()).map((e) => e.id))).toEqual(new Set(emits.map((e) => e.event_id)));
      expect(await outbox()).toHaveLength(emits.length);
    });

    it('refuses a commit with a stale epoch and writes nothing', async () => {
      const records = scenario();
      const old = await store.claim(P);
      const current = await store.claim(P);
      await expect(processor.processBatch(P, old.epoch, null, records)).rejects.toBeInstanceOf(FencedError);
      expect((await states()).size).toBe(0);
      expect(await outbox()).toEqual([]);
      expect((await store.claim(P)).nextOffsets.size).toBe(0);
      expect(current.epoch).toBe(old.epoch + 1);
    });

    it('dead-letters a rejected message with its original bytes', async () => {
      const f = new Feed();
      const bad = f.raw('purchase', Buffer.from([0x7b, 0xff, 0x00, 0x22]), A);
      const { epoch } = await store.claim(P);
      const outcome = await processor.processBatch(P, epoch, null, [bad, f.purchase(B, 0, '5.00')]);
      expect(outcome.deadLetters).toBe(1);
      const [dead] = (await outbox()).filter((e) => e.topic === TOPICS.TOPIC_DEAD_LETTER);
      expect(dead?.key).toBe(A);
      expect(dead?.id).toBe(`dlq:clv.purchases:${P}:100`);
      const record = deadLetterSchema.parse(JSON.parse(dead?.value.toString('utf8') ?? 'null'));
      expect(record.value_base64).toBe(Buffer.from([0x7b, 0xff, 0x00, 0x22]).toString('base64'));
      expect(record.key_base64).toBe(Buffer.from(A).toString('base64'));
      expect(record.error.code).toBe('invalid_utf8');
      expect(record.source).toEqual({ topic: 'clv.purchases', partition: P, offset: '100', timestamp: String(NOW) });
      expect(record.rejected_at).toBe(new Date(NOW).toISOString());
      expect((await store.claim(P)).nextOffsets.get('clv.purchases')).toBe('102');
    });

    it('re-routes an event whose customer belongs to another partition instead of applying it', async () => {
      const f = new Feed();
      const stray = f.purchase(ELSEWHERE, 3, '10.00');
      const { epoch } = await store.claim(P);
      const outcome = await processor.processBatch(P, epoch, null, [stray]);
      expect(outcome.forwarded).toBe(1);
      expect((await states()).size).toBe(0);
      const entries = await outbox();
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ topic: TOPICS.TOPIC_INTERNAL, key: ELSEWHERE, id: 'reroute:e-1' });
      const record = internalSchema.parse(JSON.parse(entries[0]?.value.toString('utf8') ?? 'null'));
      expect(record).toEqual({
        kind: 'reroute',
        target_customer_id: ELSEWHERE,
        source_topic: 'clv.purchases',
        payload: JSON.parse((stray.message.value as Buffer).toString('utf8')) as unknown,
      });
      expect((await store.claim(P)).nextOffsets.get('clv.purchases')).toBe('101');
    });

    it('sends a referral attribution to the internal topic, keyed by the referred customer, on the same local day', async () => {
      const f = new Feed();
      const occurredAt = '2026-01-05T23:30:00-05:00'; // already 6 January in UTC
      const ref = f.event('referral', A, occurredAt, { referred_customer_id: ELSEWHERE });
      const { epoch } = await store.claim(P);
      await processor.processBatch(P, epoch, null, [ref]);
      const internal = (await outbox()).filter((e) => e.topic === TOPICS.TOPIC_INTERNAL);
      expect(internal).toHaveLength(1);
      expect(internal[0]).toMatchObject({ key: ELSEWHERE, id: 'e-1:attributed' });
      const record = internalSchema.parse(JSON.parse(internal[0]?.value.toString('utf8') ?? 'null'));
      expect(record).toMatchObject({ kind: 'referral_attributed', event_id: 'e-1:attributed', target_customer_id: ELSEWHERE, referrer_customer_id: A });
      if (record.kind !== 'referral_attributed') throw new Error('unreachable');
      expect(Date.parse(record.occurred_at)).toBe(Date.parse(occurredAt));
      expect(localDayOf(record.occurred_at)).toBe(localDayOf(occurredAt));
      expect((await states()).get(A)?.referralsMade).toBe(1);
    });

    describe('an input that fails to reduce or store', () => {
      /** A valid cancellation carrying text no codec can store, as a decoder without the edge rule would let through. */
      const unstorable = (f: Feed, customer: string, day: number): BatchRecord => {
        const record = f.event('cancellation', customer, iso(day), { reason: 'competitor', competitor: 'placeholder' });
        if (record.decoded.tag !== 'input' || record.decoded.input.kind !== 'cancellation') throw new Error('expected a valid cancellation');
        return { ...record, decoded: { ...record.decoded, input: { ...record.decoded.input, competitor: '\ud800' } } };
      };
      /** A context whose reducer throws on referrals (a fault in our code, on a valid event). */
      const throwingOnReferrals = { ...ctx, parameters: Object.defineProperty({ ...ctx.parameters }, 'referralValueMinor', { get: () => { throw new TypeError('boom in the referral rule'); } }) };

      it('dead-letters it (processing_error, the message only) and commits the rest as if it had not arrived', async () => {
        const f = new Feed();
        const before = [f.purchase(A, 0, '100.00'), f.purchase(B, 1, '50.00')];
        const bad = unstorable(f, A, 2);
        const after = [f.purchase(A, 3, '20.00'), f.feedback(B, 4, 9)];
        const { epoch } = await store.claim(P);
        const outcome = await processor.processBatch(P, epoch, null, [...before, bad, ...after]);

        expect(outcome.processingErrors.map((e) => [e.topic, e.offset, e.customerId])).toEqual([[bad.topic, bad.offset, A]]);
        expect(outcome.processingErrors[0]?.message).toMatch(/competitor is not a well-formed string/);
        const { memory } = reference([...before, ...after]);
        expect(await states()).toEqual(memory.states);
        const letters = (await outbox()).filter((e) => e.topic === TOPICS.TOPIC_DEAD_LETTER);
        expect(letters).toHaveLength(1);
        const letter = deadLetterSchema.parse(JSON.parse(letters[0]?.value.toString('utf8') ?? 'null'));
        expect(letter.error.code).toBe('processing_error');
        expect(letter.error.message).not.toMatch(/\n\s+at /);
        expect(Buffer.from(letter.value_base64 ?? '', 'base64').equals(bad.message.value as Buffer)).toBe(true);
        expect(Object.fromEntries((await store.claim(P)).nextOffsets)).toMatchObject({ [bad.topic]: String(bad.offset + 1n) });
      });

      it('dead-letters a reducer exception; the same customer\'s earlier and later inputs in the batch stand', async () => {
        const f = new Feed();
        const referral = f.event('referral', A, iso(5), { referred_customer_id: ELSEWHERE });
        const records = [f.purchase(A, 0, '100.00'), f.feedback(A, 3, 9), referral, f.purchase(A, 8, '30.00')];
        processor.context = throwingOnReferrals;
        const { epoch } = await store.claim(P);
        const outcome = await processor.processBatch(P, epoch, null, records);
        expect(outcome.processingErrors.map((e) => [e.offset, e.kind, e.message])).toEqual([[referral.offset, 'referral', 'boom in the referral rule']]);
        const { memory } = reference(records.filter((r) => r !== referral));
        expect(await states()).toEqual(memory.states);
        // Nothing the failed reduction would have sent (the attribution) is in the outbox.
        expect((await outbox()).filter((e) => e.topic === TOPICS.TOPIC_INTERNAL)).toEqual([]);
      });

      it('with ON_PROCESSING_ERROR=stop, fails the batch and writes nothing', async () => {
        const stopping = new PartitionProcessor(store, { ctx, topics: TOPICS, partitionCount: PARTITIONS, version: '0.1.0-test', now: () => NOW, onProcessingError: 'stop' });
        const f = new Feed();
        const { epoch } = await store.claim(P);
        await expect(stopping.processBatch(P, epoch, null, [f.purchase(A, 0, '100.00'), unstorable(f, A, 1)])).rejects.toThrow(ProcessingError);
        expect(await states()).toEqual(new Map());
        expect(await store.outboxLength(P)).toBe(0);
      });
    });
  });
});
