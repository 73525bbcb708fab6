/**
 * Splits a list, in order, into runs of at most `maxCount` items whose sizes add
 * up to at most `maxSize` (an item larger than that forms a run of its own).
 * Outbox entries at commit (store.ts) and the relay's produce requests
 * (service/outbox-relay.ts) are both cut this way.
 */
export function splitByCountAndSize<T>(items: readonly T[], maxCount: number, maxSize: number, sizeOf: (item: T) => number): T[][] {
  const runs: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    const itemSize = sizeOf(item);
    if (current.length > 0 && (current.length >= maxCount || size + itemSize > maxSize)) {
      runs.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += itemSize;
  }
  if (current.length > 0) runs.push(current);
  return runs;
}
