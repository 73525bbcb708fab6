import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { partitionOfKey } from '../../src/kafka/key-partition.js';

const kafkajsDefault = Partitioners.DefaultPartitioner();

function viaKafkajs(key: string, partitionCount: number): number {
  const partitionMetadata = Array.from({ length: partitionCount }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
  }));
  return kafkajsDefault({ topic: 't', partitionMetadata, message: { key, value: null } });
}

describe('partitionOfKey', () => {
  it('agrees with the partition kafkajs (and the Java client) choose for a key', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 128 }), (key, n) => {
        expect(partitionOfKey(key, n)).toBe(viaKafkajs(key, n));
      }),
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
