// Servers of a test's own that run as production does: TLS with certificates
// made for the run (scripts/test-certs.sh) and users with the least privilege
// docs/operations.md lists. Started and stopped by the project's scripts
// (scripts/redis-node.sh); the ACL text is read from the document itself, so
// the test and the documentation cannot drift apart.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { REPO_ROOT } from './infra-endpoints.js';
import { freePort } from './kafka-nodes.js';

const run = promisify(execFile);

async function script(name: string, args: string[], timeout = 120_000): Promise<string> {
  try {
    const { stdout } = await run('bash', [join(REPO_ROOT, 'scripts', name), ...args], { timeout });
    return stdout.trim();
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${name} ${args[0] ?? ''} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** A CA, server and client certificates (scripts/test-certs.sh) in `dir`. */
export interface TestCerts {
  readonly dir: string;
  readonly ca: string;
  readonly storePassword: string;
}

export async function makeTestCerts(dir: string): Promise<TestCerts> {
  await script('test-certs.sh', [dir]);
  return { dir, ca: join(dir, 'ca.crt'), storePassword: readFileSync(join(dir, 'store.password'), 'utf8').trim() };
}

/** The text of the block that follows `<!-- marker` in docs/operations.md. */
export function operationsBlock(marker: string): string {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');
  const at = doc.indexOf(`<!-- ${marker}`);
  if (at < 0) throw new Error(`docs/operations.md has no <!-- ${marker} block`);
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(doc.slice(at));
  if (block === null) throw new Error(`docs/operations.md: no fenced block after <!-- ${marker}`);
  return block[1]!.trim();
}

/** The ACL line of docs/operations.md for user `clvstream`, with its password. */
export function documentedRedisAcl(password: string): string {
  const acl = operationsBlock('redis-acl');
  if (!acl.includes('>{password}')) throw new Error('the documented ACL has no >{password}');
  return acl.replace('>{password}', `>${password}`);
}

export interface SecureRedis {
  readonly port: number;
  readonly certs: TestCerts;
  /** rediss:// URL for `user` with `password`. */
  url(user: string, password: string): string;
  /** A client of the all-powerful `admin` user (to set up and look). */
  admin(): Redis;
  stop(): Promise<void>;
}

export const REDIS_ADMIN_PASSWORD = 'admin-password-for-the-test-only';

export interface SecureRedisOptions {
  /** The certificates to use (another server's, so that both share a CA); default: made for this server. */
  readonly certs?: TestCerts;
  /** Which certificate of scripts/test-certs.sh the server presents (default `server`; `othername` names another host). */
  readonly serverCert?: 'server' | 'othername';
  /** `yes`: clients must present a certificate signed by the CA (mutual TLS); default `optional`. */
  readonly clientAuth?: 'yes' | 'optional';
}

/**
 * A redis-server on a TLS port only, whose users are `admin` (everything), the
 * default user switched off, and `extraAcl` lines (one user each).
 */
export async function startSecureRedis(extraAcl: readonly string[], options: SecureRedisOptions = {}): Promise<SecureRedis> {
  const root = mkdtempSync(join(tmpdir(), 'clvtest-redis-tls-'));
  const certs = options.certs ?? (await makeTestCerts(join(root, 'certs')));
  const aclfile = join(root, 'users.acl');
  writeFileSync(aclfile, ['user default off', `user admin on >${REDIS_ADMIN_PASSWORD} ~* &* +@all`, ...extraAcl, ''].join('\n'), { mode: 0o600 });
  const node = join(root, 'node');
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await script('redis-node.sh', ['start', node, '--port', String(port), '--tls', certs.dir, '--server-cert', options.serverCert ?? 'server', '--client-auth', options.clientAuth ?? 'optional', '--aclfile', aclfile]);
      break;
    } catch (err) {
      // The port can be taken between the look and the bind.
      if (attempt >= 3) throw err;
    }
  }
  const clients: Redis[] = [];
  return {
    port,
    certs,
    url: (user, password) => `rediss://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    admin: () => {
      const tls = { ca: [readFileSync(certs.ca)], cert: readFileSync(join(certs.dir, 'client.crt')), key: readFileSync(join(certs.dir, 'client.key')) };
      const client = new Redis(port, '127.0.0.1', { username: 'admin', password: REDIS_ADMIN_PASSWORD, tls, maxRetriesPerRequest: 2 });
      clients.push(client);
      return client;
    },
    stop: async () => {
      clients.forEach((c) => c.disconnect());
      await script('redis-node.sh', ['stop', node]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
