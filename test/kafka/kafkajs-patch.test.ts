/**
 * patches/kafkajs+2.2.4.patch makes kafkajs' protocol Encoder take its buffers
 * from Node's pool (Buffer.allocUnsafe) and write varints in place, which cut
 * the cost of encoding a produce request 3–4×, makes the producer's grouping
 * of messages by partition linear, computes record batches' CRC-32C with the
 * crc-32 package's sliced tables, and writes an uncompressed produce request
 * in one pass into one buffer (benchmarks/RESULTS.md), keeps its request
 * queue from asking Node for a negative timeout, and retries a send per
 * partition, not per broker (a partition whose leader moved to a broker that
 * had already answered was dropped, and the send resolved all the same).
 * These tests check that the installed kafkajs carries the patch, that what it
 * encodes still decodes to what went in, through kafkajs' own decoders, that
 * the one-pass produce request is byte for byte the released nested encoding,
 * and that a retried send reaches every partition's current leader.
 */
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';

const require = createRequire(import.meta.url);

interface KafkajsEncoder {
  buf: Buffer;
  readonly buffer: Buffer;
  writeVarInt(value: number): KafkajsEncoder;
  writeUVarInt(value: number): KafkajsEncoder;
  writeVarLong(value: number): KafkajsEncoder;
  writeInt8(value: number): KafkajsEncoder;
  writeVarIntString(value: string): KafkajsEncoder;
}
interface KafkajsDecoder {
  offset: number;
  readInt16(): number;
  readInt32(): number;
  readString(): string | null;
  readVarInt(): number;
  readUVarInt(): number;
  readVarLong(): { toString(): string };
  readInt8(): number;
  readVarIntString(): string;
}
type Bytes = string | Buffer | null;
interface ProduceMessage {
  key: Bytes;
  value: Bytes;
  headers?: Record<string, string | Buffer | (string | Buffer)[]>;
  timestamp?: string | number;
}
interface TopicData {
  topic: string;
  partitions: { partition: number; firstSequence?: number; messages: ProduceMessage[] }[];
}
interface DecodedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  offset: string;
  timestamp: string;
}

const Encoder = require('kafkajs/src/protocol/encoder.js') as new (initialSize?: number) => KafkajsEncoder;
const EncoderStatics = Encoder as unknown as { sizeOfVarLong(value: number): number };
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => KafkajsDecoder;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (args: Record<string, unknown>) => Promise<KafkajsEncoder>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (args: Record<string, unknown>) => KafkajsEncoder;
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: KafkajsDecoder) => Promise<{ records: DecodedRecord[] }>;
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition.js') as (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: { key: string }[];
  partitioner: (args: { message: { key: string } }) => number;
}) => Record<number, { key: string }[]>;
const Long = require('kafkajs/src/utils/long.js') as { fromNumber(value: number): unknown };
type ProduceArgs = Record<string, unknown> & { topicData: TopicData[] };
const produceV3 = require('kafkajs/src/protocol/requests/produce/v3/request.js') as ((args: ProduceArgs) => { encode(): Promise<KafkajsEncoder> }) & {
  encodeNested(args: ProduceArgs): Promise<KafkajsEncoder>;
};
const createRequest = require('kafkajs/src/protocol/request.js') as (args: {
  correlationId: number;
  clientId: string | null;
  request: { apiKey: number; apiVersion: number; encode(): Promise<KafkajsEncoder> };
}) => Promise<KafkajsEncoder>;
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Buffer) => number;
/** kafkajs' own byte-at-a-time CRC-32C, which the patched index no longer calls. */
const crc32CByteWise = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (buffer: Buffer) => number;

describe('kafkajs Encoder (patched)', () => {
  it('takes its buffer from the shared pool, not from a new zero-filled allocation', () => {
    // Unpatched, Buffer.alloc(512) owns an ArrayBuffer of exactly 512 bytes.
    const encoder = new Encoder();
    expect(encoder.buf.length).toBe(512);
    expect(encoder.buf.buffer.byteLength).toBe(Buffer.poolSize);
  });

  it('round-trips 32-bit varints, zigzag and unsigned, through the decoder', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 40 }), (signed, unsigned) => {
        const e = new Encoder(1);
        for (const v of signed) e.writeVarInt(v);
        for (const v of unsigned) e.writeUVarInt(v);
        const d = new Decoder(e.buffer);
        expect(signed.map(() => d.readVarInt())).toEqual(signed);
        expect(unsigned.map(() => d.readUVarInt())).toEqual(unsigned);
      }),
    );
  });

  it('round-trips varlongs across the growth of its buffer, and sizes them as written', () => {
    // Small integers take a 32-bit path (a timestamp delta usually is one): both sides of its bounds, ±2^30.
    const value = fc.oneof(fc.maxSafeInteger().map((v) => (v % 2 === 0 ? v : -v)), fc.integer({ min: -(2 ** 30) - 3, max: 2 ** 30 + 3 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 }));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 200 }), (values) => {
        const e = new Encoder(1);
        for (const v of values) {
          const before = e.buffer.length;
          e.writeVarLong(v);
          expect(e.buffer.length - before).toBe(EncoderStatics.sizeOfVarLong(v));
          e.writeInt8(7);
        }
        const d = new Decoder(e.buffer);
        for (const v of values) {
          expect(d.readVarLong().toString()).toBe(String(v));
          expect(d.readInt8()).toBe(7);
        }
      }),
    );
  });

  it('encodes a record batch that kafkajs decodes back, with a CRC over exactly its bytes', async () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key: text, value: fc.oneof(text, fc.uint8Array({ maxLength: 2000 })), header: text }), { minLength: 1, maxLength: 30 }),
        async (messages) => {
          const records = messages.map((m, i) =>
            Record({ offsetDelta: i, timestampDelta: i * 1000, key: m.key, value: typeof m.value === 'string' ? m.value : Buffer.from(m.value), headers: { 'clvstream-id': m.header } }),
          );
          const batch = await RecordBatch({ records, firstTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_000 + messages.length * 1000, lastOffsetDelta: records.length - 1 });
          const bytes = batch.buffer;
          // FirstOffset (8) Length (4) PartitionLeaderEpoch (4) Magic (1) CRC (4), then the body the CRC covers.
          expect(bytes.readUInt32BE(17)).toBe(crc32C(bytes.subarray(21)));
          const decoded = await decodeRecordBatch(new Decoder(bytes));
          expect(decoded.records).toHaveLength(messages.length);
          decoded.records.forEach((r, i) => {
            const m = messages[i] as (typeof messages)[number];
            expect(r.key?.toString('utf8')).toBe(Buffer.from(m.key, 'utf8').toString('utf8'));
            expect(r.value).toEqual(typeof m.value === 'string' ? Buffer.from(m.value, 'utf8') : Buffer.from(m.value));
            expect(r.headers['clvstream-id']).toEqual(Buffer.from(m.header, 'utf8'));
            expect(r.offset).toBe(String(i));
            expect(r.timestamp).toBe(String(1_700_000_000_000 + i * 1000));
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('kafkajs record batch CRC-32C (patched)', () => {
  it('gives the check value of CRC-32C (Castagnoli) and agrees with kafkajs\' own loop', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32C(Buffer.alloc(0))).toBe(0);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat({ max: 7 }), (bytes, offset) => {
        // A view that does not start at its ArrayBuffer's first byte, as the encoder's slices do not.
        const view = Buffer.from(new Uint8Array([...new Uint8Array(offset), ...bytes])).subarray(offset);
        expect(crc32C(view)).toBe(crc32CByteWise(view) >>> 0);
      }),
    );
  });
});

describe('kafkajs groupMessagesPerPartition (patched)', () => {
  it('puts each message under its partition, in the order given', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 8 }), { maxLength: 300 }), fc.integer({ min: 1, max: 12 }), (keys, partitions) => {
        const partitionOf = (key: string): number => (key.length * 31 + (key.charCodeAt(0) || 0)) % partitions;
        const messages = keys.map((key) => ({ key }));
        const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata: Array.from({ length: partitions }), messages, partitioner: ({ message }) => partitionOf(message.key) });
        for (let p = 0; p < partitions; p++) {
          const expected = messages.filter((m) => partitionOf(m.key) === p);
          expect(grouped[p] ?? []).toEqual(expected);
          // The very objects, not copies: kafkajs reads their fields later.
          (grouped[p] ?? []).forEach((m, i) => expect(m).toBe(expected[i]));
        }
        expect(Object.keys(grouped).every((k) => Number(k) < partitions)).toBe(true);
      }),
    );
  });

  it('groups nothing when the topic has no partition metadata', () => {
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages: [{ key: 'a' }], partitioner: () => 0 })).toEqual({});
  });
});

describe('kafkajs produce request (patched)', () => {
  afterEach(() => vi.restoreAllMocks());

  const text = fc.string({ unit: 'grapheme', maxLength: 30 });
  const bytes = fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a));
  const message: fc.Arbitrary<ProduceMessage> = fc.record(
    {
      key: fc.option(fc.oneof(text, bytes)),
      value: fc.option(fc.oneof(text, bytes, fc.string({ maxLength: 3000 }))),
      headers: fc.dictionary(
        text.filter((k) => k !== '__proto__'),
        fc.oneof(text, bytes, fc.array(fc.oneof(text, bytes), { maxLength: 3 })),
        { maxKeys: 3 },
      ),
      timestamp: fc.oneof(fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }), fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }).map(String)),
    },
    { requiredKeys: ['key', 'value'] },
  );
  const topicData: fc.Arbitrary<TopicData[]> = fc.array(
    fc.record({
      topic: text,
      partitions: fc.array(
        fc.record({ partition: fc.nat({ max: 64 }), firstSequence: fc.nat(), messages: fc.array(message, { minLength: 1, maxLength: 12 }) }, { requiredKeys: ['partition', 'messages'] }),
        { minLength: 1, maxLength: 4 },
      ),
    }),
    { minLength: 1, maxLength: 3 },
  );
  const request = fc.record({
    acks: fc.constantFrom(-1, 0, 1),
    timeout: fc.nat({ max: 60_000 }),
    transactionalId: fc.option(text),
    producerId: fc.integer({ min: -1, max: 2 ** 40 }).map((id) => Long.fromNumber(id)),
    producerEpoch: fc.nat({ max: 32_767 }),
    compression: fc.constant(0),
    topicData,
  });

  it('writes an uncompressed request byte for byte as the released nested encoding', async () => {
    // Messages without a timestamp take the encoder's clock: the same for both.
    vi.spyOn(Date, 'now').mockReturnValue(1_750_000_000_000);
    await fc.assert(
      fc.asyncProperty(request, async (args) => {
        const flat = (await produceV3(args).encode()).buffer;
        const nested = (await produceV3.encodeNested(args)).buffer;
        expect(flat.equals(nested)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('writes record batches that kafkajs decodes back, each with a CRC over exactly its bytes', async () => {
    const messages: ProduceMessage[] = [
      { key: 'customer-1', value: '{"type":"segment-changed"}', headers: { 'clvstream-id': 'seg:1' }, timestamp: 1_700_000_000_500 },
      { key: null, value: Buffer.from([0, 1, 2, 255]), headers: { many: ['a', Buffer.from('b')] }, timestamp: 1_700_000_000_000 },
      { key: Buffer.from('k'), value: null },
    ];
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_009_000);
    const encoded = await produceV3({ acks: -1, timeout: 30_000, topicData: [{ topic: 'emissions', partitions: [{ partition: 5, firstSequence: 9, messages }] }] }).encode();
    const d = new Decoder(encoded.buffer);
    expect([d.readString(), d.readInt16(), d.readInt32(), d.readInt32(), d.readString(), d.readInt32(), d.readInt32()]).toEqual([null, -1, 30_000, 1, 'emissions', 1, 5]);
    const recordSetSize = d.readInt32();
    const batch = encoded.buffer.subarray(d.offset, d.offset + recordSetSize);
    expect(d.offset + recordSetSize).toBe(encoded.buffer.length);
    expect(batch.readUInt32BE(17)).toBe(crc32C(batch.subarray(21)));
    const decoded = await decodeRecordBatch(new Decoder(batch));
    // Timestamps are the batch's smallest plus each record's delta; a record without one takes the clock.
    expect(decoded.records.map((r) => [r.key?.toString('utf8') ?? null, r.value, r.headers, r.offset, r.timestamp])).toEqual([
      ['customer-1', Buffer.from('{"type":"segment-changed"}'), { 'clvstream-id': Buffer.from('seg:1') }, '0', '1700000000500'],
      [null, Buffer.from([0, 1, 2, 255]), { many: [Buffer.from('a'), Buffer.from('b')] }, '1', '1700000000000'],
      ['k', null, {}, '2', '1700000009000'],
    ]);
  });

  it('still encodes a compressed request the released way, which decodes back', async () => {
    const messages: ProduceMessage[] = [{ key: 'a', value: 'x'.repeat(500) }, { key: 'b', value: 'y' }];
    const args = { acks: -1, timeout: 1_000, compression: 1 /* gzip */, topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }] };
    const encoded = (await produceV3(args).encode()).buffer;
    const d = new Decoder(encoded);
    expect([d.readString(), d.readInt16(), d.readInt32(), d.readInt32(), d.readString(), d.readInt32(), d.readInt32()]).toEqual([null, -1, 1_000, 1, 't', 1, 0]);
    const recordSetSize = d.readInt32();
    expect(recordSetSize).toBeLessThan(300); // compressed: 500 repeated bytes take a few dozen
    const decoded = await decodeRecordBatch(new Decoder(encoded.subarray(d.offset, d.offset + recordSetSize)));
    expect(decoded.records.map((r) => [r.key?.toString(), r.value?.toString()])).toEqual([
      ['a', 'x'.repeat(500)],
      ['b', 'y'],
    ]);
  });

  it('frames a request as size, header and payload', async () => {
    const payload = new Encoder().writeVarIntString('payload, ünïcode');
    const framed = (await createRequest({ correlationId: 77, clientId: 'clvstream-relay', request: { apiKey: 0, apiVersion: 7, encode: () => Promise.resolve(payload) } })).buffer;
    const clientId = Buffer.from('clvstream-relay');
    const header = Buffer.alloc(10);
    header.writeInt16BE(0, 0);
    header.writeInt16BE(7, 2);
    header.writeInt32BE(77, 4);
    header.writeInt16BE(clientId.length, 8);
    const size = Buffer.alloc(4);
    size.writeInt32BE(header.length + clientId.length + payload.buffer.length);
    expect(framed).toEqual(Buffer.concat([size, header, clientId, payload.buffer]));
  });
});

describe('kafkajs request queue (patched)', () => {
  afterEach(() => vi.restoreAllMocks());

  interface RequestQueueLike {
    scheduleCheckPendingRequests(): void;
    destroy(): void;
  }
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (options: Record<string, unknown>) => RequestQueueLike;
  const queue = (): RequestQueueLike =>
    new RequestQueue({
      instrumentationEmitter: null,
      maxInFlightRequests: null,
      requestTimeout: 30_000,
      enforceRequestTimeout: true,
      clientId: 'test',
      broker: 'localhost:0',
      logger: { debug: () => undefined, warn: () => undefined, error: () => undefined, info: () => undefined },
    });

  it('schedules its pending check without a negative timeout when nothing is throttled (no TimeoutNegativeWarning)', () => {
    const delays: number[] = [];
    const real = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation((handler: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return real(handler, ms);
    });
    const q = queue();
    q.scheduleCheckPendingRequests();
    q.destroy();
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBe(1);
  });
});

describe('kafkajs sendMessages (patched)', () => {
  interface PartitionAnswer {
    topicName: string;
    partition: number;
    errorCode: number;
    baseOffset: string;
  }
  interface ProduceArgs {
    topicData: { topic: string; partitions: { partition: number; messages: { value: string }[] }[] }[];
  }
  type Send = (args: { acks: number; timeout: number; compression: number; topicMessages: { topic: string; messages: { key: string; value: string }[] }[] }) => Promise<PartitionAnswer[]>;
  const sendMessagesOf = require('kafkajs/src/producer/sendMessages.js') as (options: Record<string, unknown>) => Send;
  const createRetry = require('kafkajs/src/retry/index.js') as (options: Record<string, unknown>) => unknown;
  const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode: (code: number) => Error };
  const NOT_LEADER_OR_FOLLOWER = 6;
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

  /** A cluster of brokers 1 and 2 whose leaders the test moves; each broker answers through `answer`. */
  const cluster = (leaders: Map<string, number>, answer: (nodeId: number, args: ProduceArgs) => Promise<void>) => {
    const sent: { nodeId: number; parts: string[] }[] = [];
    const broker = (nodeId: number) => ({
      nodeId,
      produce: async (args: ProduceArgs) => {
        sent.push({ nodeId, parts: args.topicData.flatMap((t) => t.partitions.map((p) => `${t.topic}/${p.partition}:${p.messages.map((m) => m.value).join(',')}`)) });
        await answer(nodeId, args);
        return {
          topics: args.topicData.map((t) => ({ topicName: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })) })),
        };
      },
    });
    const brokers = new Map([1, 2].map((id) => [id, broker(id)]));
    const leaderOf = (topic: string) => leaders.get(topic);
    return {
      sent,
      cluster: {
        targetTopics: new Set<string>(),
        addMultipleTargetTopics: () => Promise.resolve(),
        refreshMetadataIfNecessary: () => Promise.resolve(),
        refreshMetadata: () => Promise.resolve(),
        isConnected: () => true,
        removeBroker: () => undefined,
        findTopicPartitionMetadata: (topic: string) => [{ partitionId: 0, leader: leaderOf(topic) }],
        findLeaderForPartitions: (topic: string, partitions: string[]) => {
          const leader = leaderOf(topic);
          return leader === undefined ? {} : { [leader]: partitions.map(Number) };
        },
        findBroker: ({ nodeId }: { nodeId: string }) => Promise.resolve(brokers.get(Number(nodeId))),
      },
    };
  };
  const eosManager = {
    isTransactional: () => false,
    getSequence: () => 0,
    updateSequence: () => undefined,
    getProducerId: () => 1,
    getProducerEpoch: () => 0,
    acquireBrokerLock: () => Promise.resolve(),
    releaseBrokerLock: () => Promise.resolve(),
  };
  const send = (c: ReturnType<typeof cluster>['cluster']) =>
    sendMessagesOf({ logger: quiet, cluster: c, partitioner: () => 0, eosManager, retrier: createRetry({ retries: 5, initialRetryTime: 1, maxRetryTime: 5 }) })({
      acks: -1,
      timeout: 30_000,
      compression: 0,
      topicMessages: [
        { topic: 'stays', messages: [{ key: 'k', value: 's1' }] },
        { topic: 'moves', messages: [{ key: 'k', value: 'm1' }] },
      ],
    });

  it('sends a partition whose leader moved to a broker that already answered to that broker on the retry', async () => {
    const leaders = new Map([
      ['stays', 1],
      ['moves', 2],
    ]);
    // Broker 2 has lost `moves` to broker 1 by the time it answers: it refuses, after broker 1 acknowledged `stays`.
    let broker1Answered!: () => void;
    const answered = new Promise<void>((resolve) => (broker1Answered = resolve));
    const c = cluster(leaders, async (nodeId) => {
      if (nodeId === 1) return broker1Answered();
      await answered;
      leaders.set('moves', 1);
      throw createErrorFromCode(NOT_LEADER_OR_FOLLOWER);
    });
    const acknowledged = await send(c.cluster);
    expect(c.sent).toEqual([
      { nodeId: 1, parts: ['stays/0:s1'] },
      { nodeId: 2, parts: ['moves/0:m1'] },
      { nodeId: 1, parts: ['moves/0:m1'] }, // only what is not acknowledged yet, to its new leader
    ]);
    expect(acknowledged.map((a) => `${a.topicName}/${a.partition}`).sort()).toEqual(['moves/0', 'stays/0']);
  });

  it('does not resolve while a partition has no leader to send it to; it is sent once one is known', async () => {
    const leaders = new Map([['stays', 1]]);
    let refusals = 0;
    const c = cluster(leaders, () => Promise.resolve());
    c.cluster.refreshMetadata = () => {
      if (++refusals === 2) leaders.set('moves', 2);
      return Promise.resolve();
    };
    const acknowledged = await send(c.cluster);
    expect(c.sent).toEqual([
      { nodeId: 1, parts: ['stays/0:s1'] },
      { nodeId: 2, parts: ['moves/0:m1'] },
    ]);
    expect(acknowledged.map((a) => `${a.topicName}/${a.partition}`).sort()).toEqual(['moves/0', 'stays/0']);
  });
});
