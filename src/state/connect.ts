/**
 * Builds the Redis client and the PartitionStore from settings: a Redis Cluster
 * client when REDIS_CLUSTER_NODES is set (credentials and TLS taken from
 * REDIS_URL), else a standalone client on REDIS_URL. The key prefix goes to the
 * KeySpace, never to ioredis' `keyPrefix` (script arguments are not prefixed).
 */
import { readFileSync } from 'node:fs';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../ops/logger.js';
import { logRedisErrors } from '../ops/redis-errors.js';
import { checkStateAccess, StateAccessError } from './access-check.js';
import { KeySpace } from './keys.js';
import { registerScripts } from './scripts.js';
import { PartitionStore, type RedisClient } from './store.js';

export type RedisSettings = Pick<Settings, 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'REDIS_KEY_PREFIX' | 'REDIS_TLS_CA_FILE'> &
  Partial<Pick<Settings, 'REDIS_TLS_CERT_FILE' | 'REDIS_TLS_KEY_FILE'>>;

export interface ConnectOptions {
  /** Extra ioredis options (tests shorten timeouts); `keyPrefix` is refused. */
  readonly redisOptions?: RedisOptions;
  readonly clusterOptions?: Omit<ClusterOptions, 'redisOptions'>;
  /** Reads REDIS_TLS_CA_FILE; injectable for tests. */
  readonly readFile?: (path: string) => Buffer;
  /**
   * Where the client's connection errors go (ops/redis-errors.ts), with the
   * connection's name; without it ioredis prints them to stderr as unhandled.
   */
  readonly errorLog?: { readonly logger: Logger; readonly connection: string };
}

export interface StateConnection {
  readonly redis: RedisClient;
  readonly keys: KeySpace;
  readonly store: PartitionStore;
  /** QUIT (waits for pending replies). */
  close(): Promise<void>;
}

const BASE_OPTIONS: RedisOptions = {
  connectTimeout: 10_000,
  // A command waiting through reconnects fails after this many tries instead of
  // hanging the batch; the caller's retry decides what happens next.
  maxRetriesPerRequest: 5,
};

/** Host and port of one `host:port` entry. */
function hostPort(entry: string): { host: string; port: number } {
  const i = entry.lastIndexOf(':');
  const port = Number(entry.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new RangeError(`REDIS_CLUSTER_NODES: '${entry}' is not host:port`);
  }
  return { host: entry.slice(0, i), port };
}

/** Username, password and TLS of a redis:// or rediss:// URL, for the cluster nodes. */
function credentialsOf(url: string): RedisOptions {
  const u = new URL(url);
  const out: RedisOptions = {};
  if (u.username) out.username = decodeURIComponent(u.username);
  if (u.password) out.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') out.tls = {};
  return out;
}

/**
 * TLS options when REDIS_TLS_CA_FILE names a CA bundle (PEM) to trust instead of
 * the system store, and REDIS_TLS_CERT_FILE / REDIS_TLS_KEY_FILE a client
 * certificate (a Redis with `tls-auth-clients yes`); nothing otherwise (a
 * rediss:// URL alone uses the system store and no client certificate).
 */
export function redisTlsOptions(
  settings: Pick<RedisSettings, 'REDIS_TLS_CA_FILE' | 'REDIS_TLS_CERT_FILE' | 'REDIS_TLS_KEY_FILE'>,
  readFile: (path: string) => Buffer = readFileSync,
): RedisOptions {
  const read = (name: 'REDIS_TLS_CA_FILE' | 'REDIS_TLS_CERT_FILE' | 'REDIS_TLS_KEY_FILE'): Buffer | undefined => {
    const file = settings[name];
    if (file === undefined) return undefined;
    try {
      return readFile(file);
    } catch (cause) {
      throw new Error(`${name}=${JSON.stringify(file)} cannot be read: ${(cause as Error).message}`, { cause });
    }
  };
  const ca = read('REDIS_TLS_CA_FILE');
  const cert = read('REDIS_TLS_CERT_FILE');
  const key = read('REDIS_TLS_KEY_FILE');
  if (ca === undefined && cert === undefined) return {};
  return { tls: { ...(ca === undefined ? {} : { ca: [ca] }), ...(cert === undefined ? {} : { cert, key }) } };
}

export function createRedisClient(settings: RedisSettings, options: ConnectOptions = {}): RedisClient {
  if (options.redisOptions?.keyPrefix) {
    throw new RangeError('ioredis keyPrefix is not supported: set REDIS_KEY_PREFIX instead');
  }
  const redisOptions: RedisOptions = { ...BASE_OPTIONS, ...redisTlsOptions(settings, options.readFile), ...options.redisOptions };
  const nodes = settings.REDIS_CLUSTER_NODES ?? [];
  const client: RedisClient =
    nodes.length > 0
      ? new Cluster(nodes.map(hostPort), {
          ...options.clusterOptions,
          redisOptions: { ...credentialsOf(settings.REDIS_URL), ...redisOptions },
        })
      : new Redis(settings.REDIS_URL, redisOptions);
  registerScripts(client);
  return client;
}

export function connectState(settings: RedisSettings, options: ConnectOptions = {}): StateConnection {
  const redis = createRedisClient(settings, options);
  const keys = new KeySpace(settings.REDIS_KEY_PREFIX);
  const stopLogging = options.errorLog === undefined ? () => undefined : logRedisErrors(redis, options.errorLog.logger, { connection: options.errorLog.connection });
  return {
    redis,
    keys,
    store: new PartitionStore(redis, keys),
    close: async () => {
      try {
        await redis.quit();
      } finally {
        stopLogging();
        // A command still in flight when a failing service closes the connection
        // fails on the closed socket (EPIPE); without a listener ioredis would
        // print that to stderr after the one line the service ends with.
        redis.on('error', () => undefined);
      }
    },
  };
}

/**
 * connectState, then the start-up access check (access-check.ts): a refused
 * password or a missing ACL permission rejects with a StateAccessError naming
 * it, and the connection is closed. Commands that start from Redis use this.
 */
export async function openState(settings: RedisSettings, options: ConnectOptions = {}): Promise<StateConnection> {
  const state = connectState(settings, options);
  // The check reports what goes wrong; without a listener ioredis would print
  // each failed attempt to stderr as well. The last one says why Redis cannot
  // be reached (the command itself fails only with "max retries reached").
  let connectionError: Error | undefined;
  const quiet = (err: Error): void => {
    connectionError = err;
  };
  state.redis.on('error', quiet);
  try {
    await checkStateAccess(state.redis, state.keys, { caFile: settings.REDIS_TLS_CA_FILE, certFile: settings.REDIS_TLS_CERT_FILE });
  } catch (err) {
    state.redis.disconnect();
    if (connectionError !== undefined && !(err instanceof StateAccessError)) {
      throw new StateAccessError(
        `cannot reach Redis at ${redisAddress(settings)} (${connectionError.message}); check REDIS_URL or REDIS_CLUSTER_NODES, that Redis runs and that this host can reach it`,
        { cause: err },
      );
    }
    throw err;
  } finally {
    state.redis.off('error', quiet);
  }
  return state;
}

/** Where the settings point, without credentials: host:port of REDIS_URL, or the cluster's nodes. */
function redisAddress(settings: RedisSettings): string {
  const nodes = settings.REDIS_CLUSTER_NODES ?? [];
  if (nodes.length > 0) return `the Redis Cluster ${nodes.join(',')}`;
  try {
    return new URL(settings.REDIS_URL).host;
  } catch {
    return 'REDIS_URL';
  }
}
