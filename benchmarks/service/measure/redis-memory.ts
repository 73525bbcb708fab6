/**
 * Redis memory per customer, two ways: the server's `used_memory` grown over a
 * system's run divided by the customers it stored (everything the run keeps:
 * states, timers, meta, outbox leftovers — and anyone else's writes in that
 * time), and `MEMORY USAGE` of a sample of the state keys (the states alone).
 * Also: counting and deleting keys under a run's own prefix (SCAN + UNLINK,
 * bounded).
 */
import type { Redis } from 'ioredis';

export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const m = /^used_memory:(\d+)/m.exec(info);
  if (!m?.[1]) throw new Error('INFO memory has no used_memory');
  return Number(m[1]);
}

/** Every key matching `pattern` (SCAN), at most `max`; the count is exact when below `max`. */
export async function scanKeys(redis: Redis, pattern: string, max = 10_000_000): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  for (let i = 0; i < 1_000_000; i++) {
    const [next, page] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 2_000);
    for (const k of page) if (keys.length < max) keys.push(k);
    cursor = next;
    if (cursor === '0' || keys.length >= max) break;
  }
  return keys;
}

export interface KeyUsage {
  readonly sampled: number;
  readonly meanBytes: number | null;
}

/** Mean `MEMORY USAGE` over up to `n` of the given keys (spread over the list). */
export async function meanMemoryUsage(redis: Redis, keys: readonly string[], n = 2_000): Promise<KeyUsage> {
  if (keys.length === 0) return { sampled: 0, meanBytes: null };
  const step = Math.max(1, Math.floor(keys.length / n));
  const sample: string[] = [];
  for (let i = 0; i < keys.length && sample.length < n; i += step) sample.push(keys[i] as string);
  const usages = await memoryUsages(redis, sample);
  return { sampled: usages.length, meanBytes: usages.length === 0 ? null : usages.reduce((a, b) => a + b, 0) / usages.length };
}

/** UNLINKs every key under `prefix` (the prefix must end with ':' and be the run's own). */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  if (!prefix.endsWith(':') || prefix.length < 6) throw new Error(`refusing to delete under prefix '${prefix}'`);
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  let deleted = 0;
  let cursor = '0';
  for (let i = 0; i < 1_000_000; i++) {
    const [next, page] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 2_000);
    for (let j = 0; j < page.length; j += 500) deleted += await redis.unlink(...page.slice(j, j + 500));
    cursor = next;
    if (cursor === '0') break;
  }
  return deleted;
}

/** Sum of MEMORY USAGE of the given keys (missing keys count 0). */
export async function totalMemoryUsage(redis: Redis, keys: readonly string[]): Promise<number> {
  return (await memoryUsages(redis, keys)).reduce((a, b) => a + b, 0);
}

/** MEMORY USAGE of each key that exists, pipelined 500 at a time. */
async function memoryUsages(redis: Redis, keys: readonly string[]): Promise<number[]> {
  const usages: number[] = [];
  for (let i = 0; i < keys.length; i += 500) {
    const pipeline = redis.pipeline();
    for (const key of keys.slice(i, i + 500)) pipeline.memory('USAGE', key);
    for (const [error, bytes] of (await pipeline.exec()) ?? []) if (error === null && typeof bytes === 'number') usages.push(bytes);
  }
  return usages;
}
