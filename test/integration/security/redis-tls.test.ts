// Redis as production runs it: TLS only (certificates made for the run), the
// default user off, and clvstream's user with exactly the ACL docs/operations.md
// lists. `replay --state`, `fit --state`, `inspect` and `run` work through it; a
// wrong password or a missing permission ends the start with one line naming
// it. One server for the file (test/support/secure-servers.ts), emptied before
// each test.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { cdnowEventLines } from '../../support/cdnow-events.js';
import { cleanupsAfterEach, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { ProcessorProcess } from '../../support/processor-process.js';
import { createTopicSet, deleteTopicSet, eventStream, produceAll, runtimeEnv } from '../../support/runtime-harness.js';
import { createTestKafka } from '../../support/infra.js';
import { documentedRedisAcl, makeTestCerts, startSecureRedis, type SecureRedis, type TestCerts } from '../../support/secure-servers.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);
const PASSWORD = 'svc-password-7f3a9c1e5b';
const PARTITIONS = 2;

/** The documented ACL, less one permission, for user `limited`. */
function aclWithout(permission: string): string {
  const acl = documentedRedisAcl(PASSWORD).replace(/^user clvstream /, 'user limited ');
  if (!acl.includes(` ${permission} `)) throw new Error(`the documented ACL has no ${permission}`);
  return acl.replace(` ${permission} `, ' ');
}

interface Cli {
  code: number;
  stdout: string;
  stderr: string;
}

describeWithInfra('Redis with TLS and the documented ACL', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();
  let redis: SecureRedis;
  /** The same users behind a certificate (signed by the same CA) that names another host. */
  let misnamed: SecureRedis;
  /** A CA that signed nothing the servers present. */
  let otherCa: TestCerts;
  let admin: Redis;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clvtest-redis-tls-cli-'));
    [redis, otherCa] = await Promise.all([startSecureRedis([documentedRedisAcl(PASSWORD), aclWithout('+xadd')]), makeTestCerts(join(dir, 'other-ca'))]);
    misnamed = await startSecureRedis([documentedRedisAcl(PASSWORD)], { serverCert: 'othername', certs: redis.certs });
    admin = redis.admin();
  }, 120_000);
  afterAll(async () => {
    await Promise.all([redis?.stop(), misnamed?.stop()]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await admin.flushall();
  });

  /** The command line with the documented user over TLS (REDIS_TLS_CA_FILE), key prefix `clv`. */
  async function clvstream(args: string[], overrides: Record<string, string | undefined> = {}): Promise<Cli> {
    const base = { PATH: process.env.PATH ?? '', REDIS_URL: redis.url('clvstream', PASSWORD), REDIS_TLS_CA_FILE: redis.certs.ca, REDIS_KEY_PREFIX: 'clv', BASE_CURRENCY: 'USD', LOG_LEVEL: 'warn' };
    try {
      // An override of undefined leaves the setting out.
      const env = Object.fromEntries(Object.entries({ ...base, ...overrides }).filter((e): e is [string, string] => e[1] !== undefined));
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  /** The CDNOW sample as events (the model fits on it) and one of its customers. */
  async function historyFile(): Promise<{ file: string; customer: string }> {
    const file = join(dir, 'cdnow.jsonl');
    const lines = await cdnowEventLines();
    writeFileSync(file, lines);
    return { file, customer: (JSON.parse(lines.split('\n')[0]!) as { customer_id: string }).customer_id };
  }

  it('replay --state, fit --state and inspect work through TLS with the documented user', { timeout: 180_000 }, async () => {
    const url = redis.url('clvstream', PASSWORD);
    const history = await historyFile();
    const replay = await clvstream(['replay', history.file, '--state', url, '--partitions', String(PARTITIONS)]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(await admin.keys('clv:{p*}:c:*')).not.toHaveLength(0);

    const fit = await clvstream(['fit', '--state', url, '--as-of', '1997-09-30', '--model-version', 'tls-v1']);
    expect(fit.stderr, `${fit.code} ${fit.stdout.slice(0, 500)}`).toContain('published model version tls-v1');
    expect(fit.code).toBe(0);
    expect(await admin.get('clv:{model}:current')).toBe('tls-v1');

    const inspect = await clvstream(['inspect', history.customer, '--partitions', String(PARTITIONS)]);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ customer_id: history.customer, model_version: 'tls-v1' });
    // The probe keys of the start-up check are gone.
    expect(await admin.keys('clv:{access-check}:*')).toEqual([]);
  });

  it('a wrong password ends the start with one line naming the user', async () => {
    for (const args of [['inspect', 'cust-0', '--partitions', '2'], ['fit', '--state', redis.url('clvstream', 'not-the-password'), '--as-of', '2023-05-31']]) {
      const result = await clvstream(args, { REDIS_URL: redis.url('clvstream', 'not-the-password') });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^clvstream: Redis refused user 'clvstream' of REDIS_URL: WRONGPASS /)]);
      expect(result.stderr).not.toContain('not-the-password');
    }
  });

  it('a missing permission ends the start with one line naming the command', async () => {
    const result = await clvstream(['inspect', 'cust-0', '--partitions', '2'], { REDIS_URL: redis.url('limited', PASSWORD) });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^clvstream: Redis user 'limited' lacks a permission clvstream needs \(XADD on the key prefix 'clv'\): NOPERM .*'xadd'/),
    ]);
    // Nothing written: the check stops before it touches clvstream's keys.
    expect(await admin.keys('clv:{p*}*')).toEqual([]);
  });

  it('a server certificate the client does not trust ends every command at start-up with one line naming it', { timeout: 180_000 }, async () => {
    const url = redis.url('clvstream', PASSWORD);
    const history = await historyFile();
    const commands = [
      ['inspect', 'cust-0', '--partitions', '2'],
      ['fit', '--state', url, '--as-of', '2023-05-31'],
      ['replay', history.file, '--state', url, '--partitions', '2'],
    ];
    for (const args of commands) {
      const result = await clvstream(args, { REDIS_TLS_CA_FILE: otherCa.ca });
      expect(result.code, `${args[0]}: ${result.stderr}`).toBe(1);
      expect(result.stderr.trim().split('\n'), args[0]).toEqual([
        expect.stringMatching(new RegExp(`^clvstream: Redis TLS: the certificate of 127\\.0\\.0\\.1:${redis.port} is not trusted \\([A-Z_]+: .*\\): REDIS_TLS_CA_FILE=${otherCa.ca.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not hold the CA that signed it`)),
      ]);
    }
    // Without REDIS_TLS_CA_FILE the system store is asked, and says no as well.
    const system = await clvstream(['inspect', 'cust-0', '--partitions', '2'], { REDIS_TLS_CA_FILE: undefined });
    expect(system.code, system.stderr).toBe(1);
    expect(system.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^clvstream: Redis TLS: the certificate of .* is not trusted .*REDIS_TLS_CA_FILE is unset/)]);

    const topics = await createTopicSet(infra, PARTITIONS, 'redisca');
    cleanups.push(() => deleteTopicSet(infra, topics));
    const service = new ProcessorProcess(runtimeEnv(infra, topics, { url, prefix: 'clv' }, { REDIS_TLS_CA_FILE: otherCa.ca, LOG_LEVEL: 'warn' }));
    cleanups.push(() => service.ensureDead());
    expect(await service.exited).toEqual({ code: 1, signal: null });
    expect(service.stderr.join('').trim().split('\n')).toEqual([expect.stringMatching(/^clvstream: Redis TLS: the certificate of .* is not trusted .*does not hold the CA that signed it/)]);
  });

  it('a server certificate that names another host ends the start with one line naming it', { timeout: 120_000 }, async () => {
    const result = await clvstream(['inspect', 'cust-0', '--partitions', '2'], { REDIS_URL: misnamed.url('clvstream', PASSWORD) });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^clvstream: Redis TLS: the certificate of 127\\.0\\.0\\.1:${misnamed.port} does not name the host connected to \\(ERR_TLS_CERT_ALTNAME_INVALID: .*\\)`)),
    ]);
  });

  it('mutual TLS: with the client certificate every command works; without it, one line naming it', { timeout: 120_000 }, async () => {
    const mutual = await startSecureRedis([documentedRedisAcl(PASSWORD)], { clientAuth: 'yes', certs: redis.certs });
    cleanups.push(() => mutual.stop());
    const url = mutual.url('clvstream', PASSWORD);
    const client = { REDIS_URL: url, REDIS_TLS_CERT_FILE: join(redis.certs.dir, 'client.crt'), REDIS_TLS_KEY_FILE: join(redis.certs.dir, 'client.key') };
    const inspect = await clvstream(['inspect', 'cust-0', '--partitions', '2'], client);
    // Through to the state: the customer is simply not there.
    expect(inspect.stderr).not.toMatch(/Redis TLS|refused/);
    expect(inspect.stderr).toMatch(/cust-0/);
    const fit = await clvstream(['fit', '--state', url, '--as-of', '2023-05-31', '--model-version', 'mtls'], client);
    expect(fit.stderr).not.toMatch(/Redis TLS|refused/);

    const without = await clvstream(['inspect', 'cust-0', '--partitions', '2'], { REDIS_URL: url });
    expect(without.code, without.stderr).toBe(1);
    expect(without.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^clvstream: Redis TLS: 127\\.0\\.0\\.1:${mutual.port} refused the client certificate \\(ERR_SSL_[A-Z0-9_]+: .*\\): it requires a client certificate: set REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE$`)),
    ]);
  });

  it('run processes events through TLS; a missing permission ends it with exit 1 and one line', { timeout: 180_000 }, async () => {
    const topics = await createTopicSet(infra, PARTITIONS, 'redistls');
    cleanups.push(() => deleteTopicSet(infra, topics));
    const producer = createTestKafka(infra).producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await produceAll(producer, topics, eventStream({ seed: 5, customers: 10, events: 100 }));

    const env = runtimeEnv(infra, topics, { url: redis.url('clvstream', PASSWORD), prefix: 'clv' }, { REDIS_TLS_CA_FILE: redis.certs.ca, LOG_LEVEL: 'info' });
    const service = new ProcessorProcess(env);
    cleanups.push(() => service.ensureDead());
    await waitFor(async () => service.hasExited || (await admin.exists('clv:{p0}:c:cust-0', 'clv:{p1}:c:cust-0')) === 1, { timeoutMs: 60_000, what: 'cust-0 stored through TLS' });
    expect(service.hasExited, service.stderr.join('')).toBe(false);
    service.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });

    const refused = new ProcessorProcess({ ...env, REDIS_URL: redis.url('limited', PASSWORD) });
    cleanups.push(() => refused.ensureDead());
    expect(await refused.exited).toEqual({ code: 1, signal: null });
    expect(refused.stderr.join('').trim().split('\n')).toEqual([expect.stringMatching(/^clvstream: Redis user 'limited' lacks a permission clvstream needs \(XADD/)]);
  });
});
