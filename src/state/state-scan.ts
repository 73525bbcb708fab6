/**
 * Reads customer states in bulk, for population jobs (`fit --state`, reports,
 * `export`), not for the per-event path. `scanCustomerStates`: one SCAN over
 * every partition's customer keys (on each master of a cluster), then one MGET
 * per partition and page of keys (keys of one partition share a slot; keys of
 * several do not). `scanPartitionStates`: one partition's customers alone, with
 * SCAN on its own key pattern — one pass over the node's keys per partition.
 *
 * SCAN returns every key that exists for the whole scan at least once and may
 * return a key twice; repeats are dropped (a set of the keys seen, ~100 bytes
 * per customer). A customer created or deleted during the scan may or may not
 * be seen — the scan is not a snapshot.
 */
import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import type { CustomerState } from '../domain/state.js';
import { wrapRedisError } from './errors.js';
import type { KeySpace } from './keys.js';
import type { PartitionStore, RedisClient } from './store.js';

export interface ScanOptions {
  /** SCAN COUNT hint per call. Default 1000. */
  readonly count?: number;
}

export interface ScanSummary {
  /** Distinct customer keys read. */
  readonly customers: number;
  /** Keys that matched the pattern but are not customer keys of this prefix (left alone). */
  readonly foreignKeys: number;
  /** Keys that disappeared between SCAN and MGET. */
  readonly vanished: number;
}

/** Calls `onStates` with each page of decoded states; resolves when every node has been scanned. */
export async function scanCustomerStates(
  store: PartitionStore,
  /** A page of states, all of partition `partition`. */
  onStates: (states: readonly CustomerState[], partition: number) => void | Promise<void>,
  options: ScanOptions = {},
): Promise<ScanSummary> {
  const { redis, keys } = store;
  const seen = new Set<string>();
  let foreignKeys = 0;
  let vanished = 0;
  for (const node of await mastersOf(redis)) {
    let cursor = '0';
    do {
      let page: string[];
      try {
        [cursor, page] = await node.scan(cursor, 'MATCH', keys.allCustomersPattern(), 'COUNT', options.count ?? 1000);
      } catch (err) {
        throw wrapRedisError(err, 'scanning the customer keys');
      }
      const byPartition = groupNew(keys, page, seen);
      foreignKeys += byPartition.foreign;
      for (const [p, ids] of byPartition.ids) {
        const states = await store.loadStates(p, ids);
        vanished += ids.length - states.size;
        if (states.size > 0) await onStates([...states.values()], p);
      }
    } while (cursor !== '0');
  }
  return { customers: seen.size - vanished, foreignKeys, vanished };
}

function groupNew(keys: KeySpace, page: readonly string[], seen: Set<string>): { ids: Map<number, string[]>; foreign: number } {
  const ids = new Map<number, string[]>();
  let foreign = 0;
  for (const key of page) {
    const parsed = keys.parseCustomerKey(key);
    if (parsed === undefined) {
      foreign++;
      continue;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    let list = ids.get(parsed.partition);
    if (list === undefined) ids.set(parsed.partition, (list = []));
    list.push(parsed.customerId);
  }
  return { ids, foreign };
}

/** SCAN rounds per node and pass: a bound on the loop, far above any real keyspace at COUNT ≥ 100. */
const MAX_SCAN_ROUNDS = 10_000_000;

/**
 * The partitions that have a meta hash, ascending. Every partition holding a
 * customer has one: a commit writes states only after its processor claimed
 * the partition, which creates the hash (epoch). One SCAN pass per node.
 */
export async function statePartitions(store: PartitionStore, options: ScanOptions = {}): Promise<number[]> {
  const { redis, keys } = store;
  const found = new Set<number>();
  for (const node of await mastersOf(redis)) {
    let cursor = '0';
    for (let round = 0; round === 0 || cursor !== '0'; round++) {
      if (round >= MAX_SCAN_ROUNDS) throw new RangeError(`SCAN for the partitions' meta keys did not finish within ${MAX_SCAN_ROUNDS} rounds`);
      let page: string[];
      try {
        [cursor, page] = await node.scan(cursor, 'MATCH', keys.allMetaPattern(), 'COUNT', options.count ?? 1000);
      } catch (err) {
        throw wrapRedisError(err, 'scanning the partitions\' meta keys');
      }
      for (const key of page) {
        const p = keys.parseMetaKey(key);
        if (p !== undefined) found.add(p);
      }
    }
  }
  return [...found].sort((a, b) => a - b);
}

/**
 * Calls `onStates` with each page of partition p's decoded states, once per
 * customer: SCAN MATCH on the partition's own key pattern (its hash tag), then
 * MGET of the page (store.loadStates, in chunks). On a cluster only the master
 * that owns the partition's slot is scanned. Every call is bounded (COUNT, MGET
 * chunk), so a processor writing the same Redis is never held up; memory is
 * the ids of one partition (to drop SCAN's repeats).
 */
export async function scanPartitionStates(
  store: PartitionStore,
  p: number,
  onStates: (states: readonly CustomerState[]) => void | Promise<void>,
  options: ScanOptions = {},
): Promise<ScanSummary> {
  const { keys } = store;
  const seen = new Set<string>();
  let vanished = 0;
  for (const node of await nodesOfPartition(store, p)) {
    let cursor = '0';
    for (let round = 0; round === 0 || cursor !== '0'; round++) {
      if (round >= MAX_SCAN_ROUNDS) throw new RangeError(`SCAN of partition ${p} did not finish within ${MAX_SCAN_ROUNDS} rounds`);
      let page: string[];
      try {
        [cursor, page] = await node.scan(cursor, 'MATCH', keys.customerPattern(p), 'COUNT', options.count ?? 1000);
      } catch (err) {
        throw wrapRedisError(err, `scanning the customers of partition ${p}`);
      }
      const ids: string[] = [];
      for (const key of page) {
        const id = keys.customerIdOf(p, key);
        if (id === undefined || seen.has(id)) continue;
        seen.add(id);
        ids.push(id);
      }
      if (ids.length === 0) continue;
      const states = await store.loadStates(p, ids);
      vanished += ids.length - states.size;
      if (states.size > 0) await onStates([...states.values()]);
    }
  }
  return { customers: seen.size - vanished, foreignKeys: 0, vanished };
}

/**
 * The node(s) holding partition p's keys: the client, or the master owning the
 * partition's slot (every master if the slot map has no owner). While the slot
 * migrates, keys already moved sit on the importing node and are not seen.
 */
async function nodesOfPartition(store: PartitionStore, p: number): Promise<Redis[]> {
  const masters = await mastersOf(store.redis);
  const redis = store.redis;
  if (!(redis instanceof Cluster)) return masters;
  const owner = redis.slots[calculateSlot(store.keys.meta(p))]?.[0];
  const node = masters.find((n) => `${n.options.host}:${n.options.port}` === owner);
  return node === undefined ? masters : [node];
}

/** The nodes to SCAN: the client itself, or every master of a cluster (after the slot map is loaded). */
export async function mastersOf(redis: RedisClient): Promise<Redis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  try {
    // Any command waits for the cluster to be ready, which fills the node list.
    await redis.ping();
  } catch (err) {
    throw wrapRedisError(err, 'connecting to the Redis Cluster');
  }
  return redis.nodes('master');
}
