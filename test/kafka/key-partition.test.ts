import fc from 'fast-check';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { keyPartitioner, partitionOfKey } from '../../src/kafka/key-partition.js';
import { murmur2 } from '../../src/kafka/murmur2.js';

const kafkajsDefault = Partitioners.DefaultPartitioner();

function metadata(partitionCount: number): PartitionMetadata[] {
  return Array.from({ length: partitionCount }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
    offlineReplicas: [],
  }));
}

function viaKafkajs(key: string | Buffer, partitionCount: number): number {
  return kafkajsDefault({ topic: 't', partitionMetadata: metadata(partitionCount), message: { key, value: null } });
}

/** Any string: ASCII, other BMP characters, astral ones (surrogate pairs) and lone surrogates. */
const anyString = fc.oneof(fc.string({ maxLength: 64 }), fc.string({ unit: 'grapheme', maxLength: 16 }), fc.string({ unit: 'binary', maxLength: 32 }));

describe('murmur2', () => {
  it('gives the Java client\'s values (its Utils.murmur2 test cases)', () => {
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
    expect(murmur2('a-little-bit-longer-string')).toBe(-1486304829);
    expect(murmur2('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971);
    expect(murmur2(Buffer.from('abc'))).toBe(479470107);
  });

  it('hashes a string and its UTF-8 bytes alike', () => {
    fc.assert(
      fc.property(anyString, (key) => {
        expect(murmur2(key)).toBe(murmur2(Buffer.from(key, 'utf8')));
      }),
    );
  });
});

describe('partitionOfKey', () => {
  it('agrees with the partition kafkajs (and the Java client) choose for a key', () => {
    fc.assert(
      fc.property(anyString, fc.integer({ min: 1, max: 128 }), (key, n) => {
        expect(partitionOfKey(key, n)).toBe(viaKafkajs(key, n));
      }),
      { numRuns: 2_000 },
    );
  });

  it('always lands inside the partition range', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 1000 }), (key, n) => {
        const p = partitionOfKey(key, n);
        expect(p >= 0 && p < n && Number.isInteger(p)).toBe(true);
      }),
    );
  });
});

describe('keyPartitioner (the relay producer\'s)', () => {
  const ours = keyPartitioner();

  it('puts every keyed record where kafkajs\'s default partitioner would', () => {
    fc.assert(
      fc.property(anyString, fc.boolean(), fc.integer({ min: 1, max: 64 }), (text, asBuffer, n) => {
        const key = asBuffer ? Buffer.from(text, 'utf8') : text;
        expect(ours({ topic: 't', partitionMetadata: metadata(n), message: { key, value: null } })).toBe(viaKafkajs(key, n));
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps an explicit partition and spreads keyless records over the partitions', () => {
    expect(ours({ topic: 't', partitionMetadata: metadata(8), message: { key: 'C-1', value: null, partition: 5 } })).toBe(5);
    const seen = new Set(Array.from({ length: 8 }, () => ours({ topic: 't', partitionMetadata: metadata(8), message: { key: null, value: null } })));
    expect(seen).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
  });
});
