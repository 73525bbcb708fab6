/**
 * patches/kafkajs+2.2.4.patch makes kafkajs' protocol Encoder take its buffers
 * from Node's pool (Buffer.allocUnsafe) and write varints in place, which cut
 * the cost of encoding a produce request 3–4×, makes the producer's grouping
 * of messages by partition linear, and computes record batches' CRC-32C with
 * the crc-32 package's sliced tables (benchmarks/RESULTS.md). These tests
 * check that the installed kafkajs carries the patch and that what it encodes
 * still decodes to what went in, through kafkajs' own decoders.
 */
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

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
  readVarInt(): number;
  readUVarInt(): number;
  readVarLong(): { toString(): string };
  readInt8(): number;
  readVarIntString(): string;
}
interface DecodedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  offset: string;
  timestamp: string;
}

const Encoder = require('kafkajs/src/protocol/encoder.js') as new (initialSize?: number) => KafkajsEncoder;
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

  it('round-trips varlongs across the growth of its buffer', () => {
    fc.assert(
      fc.property(fc.array(fc.maxSafeInteger().map((v) => (v % 2 === 0 ? v : -v)), { maxLength: 200 }), (values) => {
        const e = new Encoder(1);
        for (const v of values) e.writeVarLong(v).writeInt8(7);
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
