/**
 * A start-up check that the Redis user can do what clvstream does: it
 * authenticates, then runs every command clvstream sends (directly or from its
 * Lua scripts) once on probe keys under the key prefix, and deletes them. A
 * refused password or a missing ACL permission becomes one StateAccessError
 * whose message names the problem (the user, the command or the key), instead
 * of a failure deep inside the first batch. The commands are the ACL of
 * docs/operations.md ("Redis user"); a new command in the code belongs in both.
 * A server certificate the client does not accept (not signed by a trusted CA,
 * or naming another host) is refused the same way: ioredis would otherwise
 * reconnect for ever, each attempt refused alike.
 */
import { isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
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

/** Node's codes for a server certificate that does not chain to a trusted CA (or is out of its dates). */
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'INVALID_CA',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);
const NAME_MISMATCH = 'ERR_TLS_CERT_ALTNAME_INVALID';
/** The server's TLS alerts for a client certificate it wants and did not get, or does not accept. */
const CLIENT_CERTIFICATE_REFUSED = /^ERR_SSL_.*ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE)$/;

/** The TLS files of the settings, named in the messages. */
export interface TlsFiles {
  /** REDIS_TLS_CA_FILE. */
  readonly caFile?: string;
  /** REDIS_TLS_CERT_FILE. */
  readonly certFile?: string;
}

/** The TLS verification error in `err` (or the last node error a cluster client wraps), else undefined. */
function tlsVerificationError(err: unknown): (Error & { code: string }) | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 3 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (UNTRUSTED_CERTIFICATE.has(code) || code === NAME_MISMATCH || CLIENT_CERTIFICATE_REFUSED.test(code))) {
      return current as Error & { code: string };
    }
    current = (current as { lastNodeError?: unknown }).lastNodeError ?? current.cause;
  }
  return undefined;
}

/**
 * The one line for a TLS handshake that cannot succeed on a retry (a server
 * certificate the client refused, a client certificate the server refused),
 * else undefined. `server` is host:port.
 */
export function tlsRefusalMessage(err: unknown, server: string, files: TlsFiles): string | undefined {
  const refused = tlsVerificationError(err);
  if (refused === undefined) return undefined;
  // OpenSSL's messages can span lines; the error is one.
  const why = `${refused.code}: ${refused.message.replace(/\s+/g, ' ').trim()}`;
  const caFile = files.caFile;
  if (CLIENT_CERTIFICATE_REFUSED.test(refused.code)) {
    const certificate =
      files.certFile === undefined
        ? 'it requires a client certificate: set REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE'
        : `REDIS_TLS_CERT_FILE=${files.certFile} is not signed by a CA it trusts`;
    return `Redis TLS: ${server} refused the client certificate (${why}): ${certificate}`;
  }
  if (refused.code === NAME_MISMATCH) {
    return `Redis TLS: the certificate of ${server} does not name the host connected to (${why}): connect by a name the certificate lists (REDIS_URL, REDIS_CLUSTER_NODES)`;
  }
  const trust =
    caFile === undefined
      ? 'REDIS_TLS_CA_FILE is unset and the system CA store does not hold the CA that signed it: set REDIS_TLS_CA_FILE to that CA (PEM)'
      : `REDIS_TLS_CA_FILE=${caFile} does not hold the CA that signed it`;
  return `Redis TLS: the certificate of ${server} is not trusted (${why}): ${trust}`;
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

/**
 * `first` (the first command), unless a connection attempt meanwhile fails
 * TLS verification: the command would wait through reconnects refused alike,
 * so that rejects at once with a StateAccessError naming the server.
 */
async function untilTlsRefused<T>(redis: RedisClient, tls: TlsFiles, first: Promise<T>): Promise<T> {
  let reject!: (err: StateAccessError) => void;
  const refused = new Promise<never>((_, rej) => (reject = rej));
  const standalone = redis instanceof Cluster ? undefined : redis.options;
  const server = standalone === undefined ? 'a cluster node' : `${standalone.host ?? '127.0.0.1'}:${standalone.port ?? 6379}`;
  let probed = false;
  const onError = (err: unknown, node?: unknown): void => {
    const line = tlsRefusalMessage(err, typeof node === 'string' ? node : server, tls);
    if (line !== undefined) {
      reject(new StateAccessError(line, { cause: err }));
      return;
    }
    // A server that refuses the client's certificate says so in an alert after
    // the handshake; a client that already wrote its first command often sees
    // only the reset. One handshake of our own, reading first, hears the alert.
    if (!probed && standalone?.tls !== undefined && (err as { code?: unknown }).code === 'ECONNRESET') {
      probed = true;
      void handshakeAlert(standalone.host ?? '127.0.0.1', standalone.port ?? 6379, standalone.tls).then((alert) => alert !== undefined && onError(alert));
    }
  };
  redis.on('error', onError);
  redis.on('node error', onError);
  try {
    return await Promise.race([first, refused]);
  } finally {
    redis.off('error', onError);
    redis.off('node error', onError);
  }
}

/** How long the probe listens after its handshake for the server's alert. */
const ALERT_WAIT_MS = 2_000;

/** The error a TLS connection with these options meets while only reading, if any, within ALERT_WAIT_MS of its handshake. */
function handshakeAlert(host: string, port: number, options: ConnectionOptions): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const socket = tlsConnect({ ...options, host, port, servername: isIP(host) === 0 ? host : undefined });
    const done = (err?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(err);
    };
    socket.once('secureConnect', () => (timer = setTimeout(() => done(), ALERT_WAIT_MS)));
    socket.on('error', done);
    socket.once('close', () => done());
  });
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
export async function checkStateAccess(redis: RedisClient, keys: KeySpace, tls: TlsFiles = {}): Promise<void> {
  const user = userOf(redis);
  try {
    await untilTlsRefused(redis, tls, redis.ping());
  } catch (err) {
    if (err instanceof StateAccessError || !isAccessRefusal(err)) throw err;
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
