import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RELAY_REQUEST_MAX_BYTES, produceRequests } from '../../src/service/outbox-relay.js';

const record = (id: string, valueBytes: number, key = 'customer-1'): { id: string; key: string; value: Buffer } => ({ id, key, value: Buffer.alloc(valueBytes, 0x61) });

describe('produceRequests (the relay splitting a read into produce requests)', () => {
  it('keeps every record once, in order, within the record and byte limits', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 300_000 }), { maxLength: 60 }), fc.integer({ min: 1, max: 20 }), (sizes, maxRecords) => {
        const records = sizes.map((size, i) => record(`r${i}`, size));
        const requests = produceRequests(records, maxRecords);
        expect(requests.flat()).toEqual(records);
        for (const request of requests) {
          expect(request.length).toBeGreaterThan(0);
          expect(request.length).toBeLessThanOrEqual(maxRecords);
          const bytes = request.reduce((sum, r) => sum + r.value.length, 0);
          // Only a request of one record may pass the limit: that record alone is larger.
          if (request.length > 1) expect(bytes).toBeLessThanOrEqual(RELAY_REQUEST_MAX_BYTES);
        }
      }),
    );
  });

  it('splits a read at the record limit or the byte limit, whichever comes first; a record larger than the limit goes alone', () => {
    const small = Array.from({ length: 2_500 }, (_, i) => record(`seg:c:${i}`, 300));
    expect(produceRequests(small, 2_000).map((r) => r.length)).toEqual([2_000, 500]);
    // Emission-sized values reach the byte limit first: 500 + 10 (key) + 10 (id) + 48 bytes each, 1,584 in 900,000.
    const emissions = Array.from({ length: 2_000 }, (_, i) => record(`seg:c:${String(i).padStart(4, '0')}`, 500));
    expect(produceRequests(emissions, 2_000).map((r) => r.length)).toEqual([1_584, 416]);
    const deadLetters = Array.from({ length: 5 }, (_, i) => record(`dlq:t:0:${i}`, 400_000));
    expect(produceRequests(deadLetters, 2_000).map((r) => r.length)).toEqual([2, 2, 1]);
    expect(produceRequests([record('huge', 2_000_000)], 2_000).map((r) => r.length)).toEqual([1]);
  });

  it('counts keys and ids in UTF-8 bytes', () => {
    // 150,000 three-byte characters: 450,000 bytes of key, not 150,000.
    const wide = '€'.repeat(150_000);
    const requests = produceRequests([record('a', 0, wide), record('b', 0, wide), record('c', 0, wide)], 2_000);
    expect(requests.map((r) => r.length)).toEqual([1, 1, 1]);
  });
});
