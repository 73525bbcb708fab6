// What integration tests import: the endpoints of the test servers, a
// describe() that reports the suite as skipped *with the reason* when there
// are no servers, and per-test isolation helpers (unique topics, groups and
// Redis key prefixes, topic creation).
//
// Endpoint resolution is done once per run by the global setup
// (test/support/global-setup.ts, see infra-endpoints.ts for the order);
// workers read it via inject('clvstreamInfra').
//
// Set CLVSTREAM_REQUIRE_INFRA=1 (CI) to turn "skipped, no infrastructure" into
// a failing test.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin, type KafkaConfig } from 'kafkajs';
import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, inject, it } from 'vitest';
import { configuredEndpoints, notConfiguredReason, type InfraEndpoints, type InfraState } from './infra-endpoints.js';

export type { HostPort, InfraEndpoints, InfraState } from './infra-endpoints.js';

let cachedState: InfraState | undefined;

/** The resolved infrastructure for this run (cached per worker). */
export function infraState(): InfraState {
  if (cachedState) return cachedState;
  let provided: InfraState | undefined;
  try {
    provided = inject('clvstreamInfra');
  } catch {
    provided = undefined;
  }
  if (provided) {
    cachedState = provided;
  } else {
    // No global setup ran (a config without it): env/.infra/env only, unprobed.
    try {
      const endpoints = configuredEndpoints();
      cachedState = endpoints
        ? { available: true, endpoints }
        : { available: false, reason: notConfiguredReason() };
    } catch (err) {
      cachedState = { available: false, reason: `bad infrastructure configuration: ${(err as Error).message}` };
    }
  }
  return cachedState;
}

// Handed to the suite body when it is skipped, so that collection-time reads
// do not crash. Hooks and tests of
// a skipped suite never run, so nothing ever connects to these.
const UNAVAILABLE_ENDPOINTS: InfraEndpoints = Object.freeze({
  source: 'env',
  kafkaBrokers: [],
  redisUrl: '',
  redisClusterNodes: undefined,
  schemaRegistryUrl: undefined,
});

let warned = false;

/**
 * describe() for tests that need Kafka/Redis. Without infrastructure the suite
 * is reported as skipped and its title carries the reason, e.g.
 * "kafka → redis smoke [skipped: no .infra/env (...); no Docker engine (...)]".
 */
export function describeWithInfra(name: string, fn: (infra: InfraEndpoints) => void): void {
  const state = infraState();
  if (!state.available && process.env.CLVSTREAM_REQUIRE_INFRA === '1') {
    describe(name, () => {
      it('has the test infrastructure (CLVSTREAM_REQUIRE_INFRA=1)', () => {
        throw new Error(`integration infrastructure unavailable: ${state.reason}`);
      });
    });
    return;
  }
  if (!state.available && !warned) {
    warned = true;
    console.warn(`[integration] skipping: ${state.reason}`);
  }
  const title = state.available ? name : `${name} [skipped: ${state.reason}]`;
  describe.skipIf(!state.available)(title, () => fn(state.available ? state.endpoints : UNAVAILABLE_ENDPOINTS));
}

// ------------------------------------------------------------ isolation --

/** Short random suffix, safe in Kafka topic names, group ids and Redis keys. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function uniqueTopic(label = 'topic'): string {
  return `clvtest-${label}-${uniqueSuffix()}`;
}

export function uniqueGroupId(label = 'group'): string {
  return `clvtest-${label}-${uniqueSuffix()}`;
}

/** A key prefix like "clvtest:smoke:lz3k-9f8e7d6c:"; delete with deleteKeysByPrefix. */
export function uniqueRedisPrefix(label = 'test'): string {
  return `clvtest:${label}:${uniqueSuffix()}:`;
}

// ---------------------------------------------------------------- kafka --

/**
 * Consumer timings for tests. A member that dies without leaving is noticed
 * after sessionTimeout, so keep it small (the test broker allows 1 s and up).
 * maxWaitTimeInMs bounds how long an idle fetch blocks, which is also how long
 * consumer.disconnect() can take.
 */
export const TEST_CONSUMER_TIMINGS = {
  sessionTimeout: 6_000,
  rebalanceTimeout: 6_000,
  heartbeatInterval: 500,
  maxWaitTimeInMs: 250,
} as const;

function kafkaLogLevel(): logLevel {
  switch ((process.env.CLVSTREAM_TEST_KAFKA_LOG ?? '').toUpperCase()) {
    case 'ERROR':
      return logLevel.ERROR;
    case 'WARN':
      return logLevel.WARN;
    case 'INFO':
      return logLevel.INFO;
    case 'DEBUG':
      return logLevel.DEBUG;
    default:
      return logLevel.NOTHING; // injected faults would otherwise flood the output
  }
}

/** A kafkajs client for tests (log level from CLVSTREAM_TEST_KAFKA_LOG, default silent). */
/** The test clients' timeouts and retries: short, so a test about faults does not wait on defaults. */
export const TEST_KAFKA_OVERRIDES = {
  connectionTimeout: 3_000,
  requestTimeout: 10_000,
  retry: { initialRetryTime: 100, retries: 8 },
} as const satisfies Partial<KafkaConfig>;

/** A kafkajs client for the test servers; `extra` adds to (or overrides) the test defaults, e.g. a socketFactory. */
export function createTestKafka(infra: InfraEndpoints, clientId = `clvtest-${uniqueSuffix()}`, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({ clientId, brokers: infra.kafkaBrokers, logLevel: kafkaLogLevel(), ...TEST_KAFKA_OVERRIDES, ...extra });
}

async function withAdmin<T>(infra: InfraEndpoints, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createTestKafka(infra).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates a topic (replication factor 1 unless given). */
export async function createTopic(
  infra: InfraEndpoints,
  topic: string,
  options: { partitions?: number; replication?: number } = {},
): Promise<void> {
  const created = await withAdmin(infra, (admin) =>
    admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: options.partitions ?? 1, replicationFactor: options.replication ?? 1 }],
    }),
  );
  if (!created) throw new Error(`topic ${topic} already exists`);
}

/** Deletes a topic; best effort (cleanup must not fail a test). */
export async function deleteTopic(infra: InfraEndpoints, topic: string): Promise<void> {
  try {
    await withAdmin(infra, (admin) => admin.deleteTopics({ topics: [topic], timeout: 5_000 }));
  } catch (err) {
    console.warn(`[integration] could not delete topic ${topic}: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------- redis --

export function createTestRedis(infra: InfraEndpoints): Redis {
  return new Redis(infra.redisUrl, { connectTimeout: 5_000, maxRetriesPerRequest: 3 });
}

/** A Redis Cluster client, or undefined when this infrastructure has no cluster (Docker path). */
export function createTestRedisCluster(infra: InfraEndpoints): Cluster | undefined {
  if (!infra.redisClusterNodes) return undefined;
  return new Cluster(infra.redisClusterNodes, {
    redisOptions: { connectTimeout: 5_000, maxRetriesPerRequest: 3 },
  });
}

export interface RedisTarget {
  readonly name: string;
  readonly connect: () => Redis | Cluster;
}

/** The Redis deployments a state test runs on: standalone, and the 3-master cluster when it is up. */
export function redisTargets(infra: InfraEndpoints): RedisTarget[] {
  const targets: RedisTarget[] = [{ name: 'standalone Redis', connect: () => createTestRedis(infra) }];
  if (infra.redisClusterNodes !== undefined) {
    targets.push({
      name: 'Redis Cluster',
      connect: () => {
        const cluster = createTestRedisCluster(infra);
        if (!cluster) throw new Error('REDIS_CLUSTER_NODES is set but no cluster client could be built');
        return cluster;
      },
    });
  }
  return targets;
}

const MAX_SCAN_ROUNDS = 10_000;

async function deleteOnNode(node: Redis, pattern: string, perKey: boolean): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  for (let round = 0; round < MAX_SCAN_ROUNDS; round++) {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length > 0) {
      if (perKey) {
        // Cluster: keys on one node may sit in different slots; one UNLINK
        // with several of them would fail with CROSSSLOT.
        const pipeline = node.pipeline();
        for (const key of keys) pipeline.unlink(key);
        await pipeline.exec();
      } else {
        await node.unlink(...keys);
      }
      deleted += keys.length;
    }
    cursor = next;
    if (cursor === '0') return deleted;
  }
  throw new Error(`deleteKeysByPrefix: SCAN did not finish within ${MAX_SCAN_ROUNDS} rounds`);
}

/** Deletes every key starting with prefix (SCAN + UNLINK); returns how many. */
export async function deleteKeysByPrefix(redis: Redis | Cluster, prefix: string): Promise<number> {
  if (prefix.length < 8) throw new Error(`refusing to delete keys by a short prefix '${prefix}'`);
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  if (redis instanceof Cluster) {
    let total = 0;
    for (const node of redis.nodes('master')) total += await deleteOnNode(node, pattern, true);
    return total;
  }
  return deleteOnNode(redis, pattern, false);
}

// ---------------------------------------------------------------- misc --

/**
 * A list to push cleanups onto while a test runs (call inside a describe). After
 * each test they run in reverse order; a failing cleanup is reported, never
 * thrown: it must not fail the test or hide the test's own error.
 */
export function cleanupsAfterEach(): (() => unknown)[] {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        console.warn(`cleanup failed: ${(err as Error).message}`);
      }
    }
  });
  return cleanups;
}

/**
 * Polls check() until it returns something other than undefined/false, at most
 * timeoutMs; throws with `what` in the message on timeout.
 */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 20_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const maxRounds = Math.ceil(timeoutMs / intervalMs) + 1;
  for (let round = 0; round < maxRounds && Date.now() <= deadline; round++) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
