import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeySpace, offsetField, topicOfOffsetField } from '../../src/state/keys.js';

/** Redis Cluster's key slot: CRC16-XMODEM of the hash tag (or the whole key) mod 16384. */
function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16(Buffer.from(key.slice(open + 1, close))) % 16384;
  }
  return crc16(Buffer.from(key)) % 16384;
}

// ioredis' own slot function (a dependency of ioredis, untyped): a cross-check of ours.
const clusterKeySlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 64 });
const prefix = fc.stringMatching(/^[A-Za-z0-9_:-]{1,32}$/);

describe('state keys', () => {
  it('builds the documented layout', () => {
    const k = new KeySpace();
    expect(k.customer(7, 'C-1')).toBe('clv:{p7}:c:C-1');
    expect(k.meta(7)).toBe('clv:{p7}:meta');
    expect(k.outbox(7)).toBe('clv:{p7}:outbox');
    expect(k.timers(7)).toBe('clv:{p7}:timers');
    expect(k.quarantine(7, 'C-1')).toBe('clv:{p7}:q:C-1');
    expect(k.customerIdOf(7, k.quarantine(7, 'C-1'))).toBeUndefined(); // never read as a customer
    expect(k.parseCustomerKey(k.quarantine(7, 'C-1'))).toBeUndefined();
    expect(k.modelCurrent()).toBe('clv:{model}:current');
    expect(k.modelVersion('fit-20250301T120000Z')).toBe('clv:{model}:v:fit-20250301T120000Z');
    expect(k.modelVersions()).toBe('clv:{model}:versions');
    expect(new KeySpace('clvtest:x:abc:').meta(0)).toBe('clvtest:x:abc:{p0}:meta');
  });

  it('puts every key of a partition in one cluster slot, whatever the prefix and customer id', () => {
    fc.assert(
      fc.property(prefix.filter((s) => s !== ':'), fc.integer({ min: 0, max: 100_000 }), fc.array(printable, { minLength: 1, maxLength: 8 }), (pre, p, ids) => {
        const k = new KeySpace(pre);
        const keys = [k.meta(p), k.outbox(p), k.timers(p), ...ids.map((id) => k.customer(p, id)), ...ids.map((id) => k.quarantine(p, id))];
        const slot = keySlot(k.meta(p));
        for (const key of keys) {
          expect(keySlot(key)).toBe(slot);
          expect(clusterKeySlot(key)).toBe(slot);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('matches known Redis slots (CLUSTER KEYSLOT)', () => {
    // Values from `redis-cli cluster keyslot`.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('clv:{p7}:meta')).toBe(clusterKeySlot('p7'));
  });

  it('spreads partitions over the slots', () => {
    const k = new KeySpace();
    const slots = new Set(Array.from({ length: 256 }, (_, p) => keySlot(k.meta(p))));
    expect(slots.size).toBeGreaterThan(250);
  });

  it('recovers the customer id and topic from keys and fields', () => {
    fc.assert(
      fc.property(prefix.filter((s) => s !== ':'), fc.nat(5000), printable, (pre, p, id) => {
        const k = new KeySpace(pre);
        expect(k.customerIdOf(p, k.customer(p, id))).toBe(id);
        expect(k.customerIdOf(p + 1, k.customer(p, id))).toBeUndefined();
      }),
    );
    expect(topicOfOffsetField(offsetField('clv.purchases'))).toBe('clv.purchases');
    expect(topicOfOffsetField('epoch')).toBeUndefined();
  });

  it('puts every model key in one slot, apart from the partitions', () => {
    fc.assert(
      fc.property(prefix.filter((s) => s !== ':'), fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/), (pre, version) => {
        const k = new KeySpace(pre);
        const slot = keySlot(k.modelCurrent());
        expect(keySlot(k.modelVersion(version))).toBe(slot);
        expect(keySlot(k.modelVersions())).toBe(slot);
        expect(clusterKeySlot(k.modelVersion(version))).toBe(slot);
      }),
    );
    expect(() => new KeySpace().modelVersion('')).toThrow(RangeError);
    expect(() => new KeySpace().modelVersion('a b')).toThrow(RangeError);
    expect(() => new KeySpace().modelVersion('x'.repeat(65))).toThrow(RangeError);
  });

  it('parses customer keys of any partition back, and nothing else', () => {
    fc.assert(
      fc.property(prefix.filter((s) => s !== ':'), fc.nat(1_000_000), printable, (pre, p, id) => {
        const k = new KeySpace(pre);
        expect(k.parseCustomerKey(k.customer(p, id))).toEqual({ partition: p, customerId: id });
      }),
    );
    const k = new KeySpace('clv');
    expect(k.allCustomersPattern()).toBe('clv:{p*}:c:*');
    expect(k.parseCustomerKey('clv:{p7}:c:a}:c:b')).toEqual({ partition: 7, customerId: 'a}:c:b' });
    for (const other of ['clv:{p7}:meta', 'clv:{p7}:timers', 'clv:{model}:current', 'clv:{p07}:c:x', 'clv:{p7}:c:', 'clv:{px}:c:y', 'clvx:{p7}:c:y', 'clv:{p1000001}:c:y']) {
      expect(k.parseCustomerKey(other), other).toBeUndefined();
    }
  });

  it("parses every partition's meta key back to its partition, and nothing else", () => {
    fc.assert(
      fc.property(prefix.filter((s) => s !== ':'), fc.nat(1_000_000), (pre, p) => {
        expect(new KeySpace(pre).parseMetaKey(new KeySpace(pre).meta(p))).toBe(p);
      }),
    );
    const k = new KeySpace('clv');
    expect(k.allMetaPattern()).toBe('clv:{p*}:meta');
    for (const other of ['clv:{p7}:c:meta', 'clv:{p7}:timers', 'clv:{model}:meta', 'clv:{p07}:meta', 'clv:{p}:meta', 'clvx:{p7}:meta', 'clv:{p1000001}:meta', 'clv:{p7}:meta:x']) {
      expect(k.parseMetaKey(other), other).toBeUndefined();
    }
  });

  it('escapes glob characters of the prefix in the SCAN pattern', () => {
    expect(new KeySpace('a*b').customerPattern(3)).toBe('a\\*b:{p3}:c:*');
    expect(new KeySpace('a*b').allCustomersPattern()).toBe('a\\*b:{p*}:c:*');
  });

  it('refuses prefixes that would break the hash tag, and bad partitions', () => {
    for (const bad of ['', ':', 'a{b', 'a}b', 'has space']) expect(() => new KeySpace(bad)).toThrow(RangeError);
    const k = new KeySpace();
    for (const p of [-1, 1.5, Number.NaN, 2_000_000]) expect(() => k.meta(p)).toThrow(RangeError);
    expect(() => k.customer(0, '')).toThrow(RangeError);
  });
});
