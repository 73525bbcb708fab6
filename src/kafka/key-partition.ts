/**
 * The partition a key belongs to under the Java client's and kafkajs's default
 * partitioner: murmur2(key) made positive, modulo the partition count. Upstream
 * producers must use it for customer ids (librdkafka's default, consistent_random,
 * does not — set `partitioner=murmur2_random` there). An event that arrives on
 * another partition is re-routed through the internal topic rather than applied
 * to the wrong partition's state.
 */
import type { ICustomPartitioner } from 'kafkajs';
import { murmur2 } from './murmur2.js';

export function partitionOfKey(key: string | Buffer, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}

/**
 * The producer partitioner for clvstream's own records: the same partition as
 * kafkajs's default partitioner (and the Java client's) for every keyed message,
 * with the 32-bit murmur2 above; an explicit `partition` wins. Every record
 * clvstream produces has a key; a keyless one (none today) goes round-robin.
 */
export const keyPartitioner: ICustomPartitioner = () => {
  let next = 0;
  return ({ partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const count = partitionMetadata.length;
    if (message.key === null || message.key === undefined) return next++ % count;
    return (murmur2(message.key) & 0x7fffffff) % count;
  };
};

const partitionKeys = new Map<string, string>();

/**
 * A key the partitioner sends to `partition` of `partitionCount`: records
 * addressed to a partition rather than to a customer (a partition's progress,
 * sent to each partition of the internal topic) go through the same keyed
 * outbox and relay as every other record. Found by trying `<prefix>:<n>` for
 * n = 0, 1, …; murmur2 spreads them, so a few tries per partition suffice.
 */
export function keyForPartition(prefix: string, partition: number, partitionCount: number): string {
  const cacheKey = `${prefix}\u0000${partition}\u0000${partitionCount}`;
  const known = partitionKeys.get(cacheKey);
  if (known !== undefined) return known;
  for (let n = 0; n < 1_000_000; n++) {
    const key = `${prefix}:${n}`;
    if (partitionOfKey(key, partitionCount) === partition) {
      partitionKeys.set(cacheKey, key);
      return key;
    }
  }
  throw new RangeError(`no key of prefix ${prefix} for partition ${partition} of ${partitionCount}`);
}
