/**
 * A start-up check that the Redis user can do what clvstream does: it
 * authenticates, then runs every command clvstream sends (directly or from its
 * Lua scripts) once on probe keys under the key prefix, and deletes them. A
 * refused password or a missing ACL permission becomes one StateAccessError
 * whose message names the problem (the user, the command or the key), instead
 * of a failure deep inside the first batch. The commands are the ACL of
 * docs/operations.md ("Redis user"); a new command in the code belongs in both.
 */
import { Cluster } from 'ioredis';
import type { KeySpace } from './keys.js';
import type { RedisClient } from './store.js';

export class StateAccessError extends Error {
  override readonly name = 'StateAccessError';
}

/** Redis' replies that mean "these credentials or this user's permissions", never "try again". */
const ACCESS_REPLY = /^(WRONGPASS|NOAUTH|NOPERM)\b/;

/** Whether `err` is Redis refusing the credentials or a permission (not a connection problem). */
export function isAccessRefusal(err: unknown): boolean {
  return err instanceof Error && ACCESS_REPLY.test(err.message.replace(/^.*?(?=WRONGPASS|NOAUTH|NOPERM)/, ''));
}

type Probe = readonly [command: string, ...args: (string | number)[]];

/** Every command clvstream runs, on probe keys that share one hash tag (one cluster slot). */
export function accessProbes(keys: KeySpace): Probe[] {
  const k = keys.accessProbe();
  return [
    ['ping'],
    ['set', k.string, '1'],
    ['get', k.string],
    ['mget', k.string],
    ['strlen', k.string],
    ['exists', k.string],
    ['type', k.string],
    ['renamenx', k.string, k.renamed],
    ['hset', k.hash, 'f', '1'],
    ['hincrby', k.hash, 'f', 1],
    ['hget', k.hash, 'f'],
    ['hmget', k.hash, 'f'],
    ['hgetall', k.hash],
    ['hdel', k.hash, 'f'],
    ['zadd', k.sortedSet, 1, 'm'],
    ['zrangebyscore', k.sortedSet, '-inf', '+inf'],
    ['zrevrange', k.sortedSet, 0, -1],
    ['zrandmember', k.sortedSet, 1],
    ['zrem', k.sortedSet, 'm'],
    ['xadd', k.stream, '*', 'f', '1'],
    ['xrange', k.stream, '-', '+', 'COUNT', 1],
    ['xlen', k.stream],
    ['xdel', k.stream, '0-1'],
    ['rpush', k.list, 'a', 'b'],
    ['llen', k.list],
    ['lindex', k.list, 0],
    ['lrange', k.list, 0, -1],
    ['ltrim', k.list, 1, -1],
    ['scan', 0, 'MATCH', keys.allCustomersPattern(), 'COUNT', 1],
    ['eval', 'return 1', 0],
    ['evalsha', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 0],
    ['evalsha_ro', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 0],
    ['del', k.string, k.renamed, k.hash, k.sortedSet, k.stream, k.list],
  ];
}

/** Names the user of the connection for the messages. */
function userOf(redis: RedisClient): string {
  const options = redis instanceof Cluster ? redis.options.redisOptions : redis.options;
  return options?.username ?? 'default';
}

/**
 * Resolves when the user may do everything; rejects with StateAccessError on a
 * refused password or permission, and with the connection's own error otherwise.
 */
export async function checkStateAccess(redis: RedisClient, keys: KeySpace): Promise<void> {
  const user = userOf(redis);
  try {
    await redis.ping();
  } catch (err) {
    if (!isAccessRefusal(err)) throw err;
    throw new StateAccessError(`Redis refused user '${user}' of REDIS_URL: ${refusal(err)}`, { cause: err });
  }
  for (const [command, ...args] of accessProbes(keys)) {
    try {
      await redis.call(command, ...args);
    } catch (err) {
      // The probe sha names no loaded script: NOSCRIPT means the command itself is allowed.
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) continue;
      if (!isAccessRefusal(err)) throw err;
      throw new StateAccessError(`Redis user '${user}' lacks a permission clvstream needs (${command.toUpperCase()} on the key prefix '${keys.prefix}'): ${refusal(err)}; docs/operations.md lists the ACL`, { cause: err });
    }
  }
}

function refusal(err: unknown): string {
  return (err as Error).message.replace(/^.*?(?=WRONGPASS|NOAUTH|NOPERM)/, '');
}
