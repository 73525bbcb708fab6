/**
 * The partition a key belongs to under the Java client's and kafkajs's default
 * partitioner: murmur2(key) made positive, modulo the partition count. Upstream
 * producers must use it for customer ids (librdkafka's default, consistent_random,
 * does not — set `partitioner=murmur2_random` there). An event that arrives on
 * another partition is re-routed through the internal topic rather than applied
 * to the wrong partition's state.
 */
// kafkajs ships murmur2 but does not export it; its module path is stable across 2.x.
import murmur2 from 'kafkajs/src/producer/partitioners/default/murmur2.js';


export function partitionOfKey(key: string | Buffer, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}
