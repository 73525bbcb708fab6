/**
 * Bounded memory of a customer's latest event ids, as 48-bit hashes (6 bytes each
 * when packed). A producer retry delivers the same event_id at a new offset;
 * offsets cannot catch that, this can — for repeats within the customer's last
 * `capacity` events. A false match needs a 48-bit collision among those few
 * hashes (about 1 in 2·10^13 per event at capacity 12).
 */

/** Two independent 32-bit FNV-1a style passes folded into 48 bits (a safe integer). */
export function hashEventId(id: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ id.length;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return (h1 >>> 0) * 0x10000 + ((h2 >>> 0) & 0xffff);
}

export function seenRecently(recent: readonly number[], hash: number): boolean {
  return recent.includes(hash);
}

/** Appends `hash`, dropping the oldest beyond `capacity`. Mutates `recent`. */
export function remember(recent: number[], hash: number, capacity: number): void {
  recent.push(hash);
  while (recent.length > capacity) recent.shift();
}
