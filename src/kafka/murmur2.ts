/**
 * The Java Kafka client's murmur2 hash (Utils.murmur2: seed 0x9747b28c, the
 * MurmurHash2 mixing constants) over a key's UTF-8 bytes: what its default
 * partitioner, and kafkajs's, hash keys with. kafkajs's own copy works on 64-bit
 * Long objects, a cost paid for every emission the relay produces and every
 * event whose owner the runtime checks; this one stays in
 * 32-bit integer arithmetic (Math.imul wraps like Java's int). The tests check it
 * against kafkajs's partitioner on arbitrary keys and against the Java client's
 * published test values.
 */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** ASCII keys (customer ids, normally) are hashed from their char codes, without encoding them first. */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function hashBytes(at: (i: number) => number, length: number): number {
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = at(i4) | (at(i4 + 1) << 8) | (at(i4 + 2) << 16) | (at(i4 + 3) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= at(tail + 2) << 16;
    if (rest >= 2) h ^= at(tail + 1) << 8;
    h ^= at(tail);
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** murmur2 of the key's UTF-8 bytes, as a signed 32-bit integer (Java's int). */
export function murmur2(key: string | Uint8Array): number {
  if (typeof key === 'string' && isAscii(key)) return hashBytes((i) => key.charCodeAt(i), key.length);
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return hashBytes((i) => bytes[i] as number, bytes.length);
}
