/**
 * Readiness: whether this process should receive traffic / count as available.
 * Ready means the consumer has joined its group, Redis answers and a model is
 * loaded; otherwise `/readyz` answers 503 with the reasons.
 *
 * The runtime supplies the facts (it knows when the group is joined and which
 * model it holds); `createReadinessProbe` adds a bounded Redis PING.
 */
import type { RedisClient } from '../../state/store.js';

export interface ReadinessChecks {
  readonly kafkaGroupJoined: boolean;
  readonly redisReachable: boolean;
  readonly modelLoaded: boolean;
  /** Further reasons not to be ready (e.g. "stopping"); any entry makes the process not ready. */
  readonly reasons?: readonly string[];
}

export interface Readiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

/** What `/readyz` calls on every request; may be async, should answer within a second or two. */
export type ReadinessProbe = () => ReadinessChecks | Promise<ReadinessChecks>;

export const NOT_READY = {
  kafka: 'kafka consumer group not joined',
  redis: 'redis not reachable',
  model: 'model not loaded',
} as const;

export function readinessOf(checks: ReadinessChecks): Readiness {
  const reasons: string[] = [];
  if (!checks.kafkaGroupJoined) reasons.push(NOT_READY.kafka);
  if (!checks.redisReachable) reasons.push(NOT_READY.redis);
  if (!checks.modelLoaded) reasons.push(NOT_READY.model);
  reasons.push(...(checks.reasons ?? []));
  return { ready: reasons.length === 0, reasons };
}

/** True when Redis answers PING within `timeoutMs` (never throws). */
export async function redisReachable(redis: RedisClient, timeoutMs = 1_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([redis.ping().then((reply) => reply === 'PONG'), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export interface ReadinessSources {
  /** True while the consumer is a member of its group (set on GROUP_JOIN, cleared on crash/stop). */
  readonly kafkaGroupJoined: () => boolean;
  /** True once a model snapshot (fitted, or the explicit unfitted default) is in use. */
  readonly modelLoaded: () => boolean;
  readonly redis: RedisClient;
  readonly redisTimeoutMs?: number;
  /** Extra reasons (e.g. ['stopping'] during shutdown). */
  readonly reasons?: () => readonly string[];
}

export function createReadinessProbe(sources: ReadinessSources): ReadinessProbe {
  return async () => ({
    kafkaGroupJoined: sources.kafkaGroupJoined(),
    modelLoaded: sources.modelLoaded(),
    redisReachable: await redisReachable(sources.redis, sources.redisTimeoutMs),
    reasons: sources.reasons?.() ?? [],
  });
}
