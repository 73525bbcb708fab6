/**
 * ioredis emits 'error' on every failed connection attempt while Redis is
 * unreachable; with no listener it prints "[ioredis] Unhandled error event" to
 * stderr, outside the JSON log. This listener logs them through pino at warn
 * instead, at most once per interval, with how many were left out. The commands
 * themselves fail and are retried by their callers: this is only the record.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from './logger.js';

export interface RedisErrorLogOptions {
  /** Names the connection in the log line (e.g. 'state', 'relay'). */
  readonly connection: string;
  /** At most one line per this many ms (default 10 s). */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

/** Attaches the listener; returns a function that removes it. */
export function logRedisErrors(client: EventEmitter, logger: Logger, options: RedisErrorLogOptions): () => void {
  const intervalMs = options.intervalMs ?? 10_000;
  const now = options.now ?? Date.now;
  let lastLoggedAt = Number.NEGATIVE_INFINITY;
  let leftOut = 0;
  const listener = (error: unknown): void => {
    const at = now();
    if (at - lastLoggedAt < intervalMs) {
      leftOut++;
      return;
    }
    logger.warn({ connection: options.connection, err: error, leftOut }, 'redis connection error');
    lastLoggedAt = at;
    leftOut = 0;
  };
  client.on('error', listener);
  return () => client.off('error', listener);
}
