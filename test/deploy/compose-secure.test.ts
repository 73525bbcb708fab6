// docker-compose.secure.yml, the override that secures docker-compose.yml, read
// as Compose merges it (maps by key, `!reset` removes a key): every secret is a
// file scripts/compose-secrets.sh makes, every /run/secrets path a service uses
// is a secret it mounts, every setting clvstream's containers get is one it
// has, credentials only as *_FILE, and the settings load (secrets read from the
// files the script made) into a SASL_SSL + TLS configuration. The ACLs granted
// are exactly docs/operations.md's. No Docker needed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, type ScalarTag } from 'yaml';
import { loadSettings } from '../../src/config/load.js';
import { settingsSchema, type Settings } from '../../src/config/settings.js';
import { documentedRedisAcl, operationsBlock } from '../support/secure-servers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const RESET = Symbol('!reset');
const resetTag: ScalarTag = { tag: '!reset', resolve: () => RESET };

type Env = Record<string, unknown>;
interface Service {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Env;
  secrets?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[] };
  volumes?: string[];
  restart?: string;
}
interface ComposeFile {
  secrets?: Record<string, { file: string }>;
  services: Record<string, Service>;
}

const base = parse(read('docker-compose.yml'), { customTags: [resetTag] }) as ComposeFile;
const secure = parse(read('docker-compose.secure.yml'), { customTags: [resetTag] }) as ComposeFile;
const SETTINGS = new Set(Object.keys(settingsSchema.shape));
const SECRET_MOUNT = /\/run\/secrets\/([a-z0-9_]+)/g;

/** A service as `docker compose -f docker-compose.yml -f docker-compose.secure.yml` sees it (the keys this test reads). */
function merged(name: string): Service {
  const b = base.services[name] ?? {};
  const o = secure.services[name] ?? {};
  const environment: Env = { ...b.environment };
  for (const [k, v] of Object.entries(o.environment ?? {})) {
    if (v === RESET) delete environment[k];
    else environment[k] = v;
  }
  return {
    ...b,
    ...o,
    environment,
    secrets: [...(b.secrets ?? []), ...(o.secrets ?? [])],
    depends_on: { ...b.depends_on, ...o.depends_on },
    healthcheck: { ...b.healthcheck, ...o.healthcheck },
    // Compose merges mounts by their path in the container.
    volumes: [...new Map([...(b.volumes ?? []), ...(o.volumes ?? [])].map((v) => [v.split(':')[1], v])).values()],
  };
}

/** The /run/secrets names a service refers to anywhere (environment, command, health check). */
function secretsReferred(s: Service): Set<string> {
  const text = JSON.stringify([s.environment, s.command, s.entrypoint, s.healthcheck]);
  return new Set([...text.matchAll(SECRET_MOUNT)].map((m) => m[1]!));
}

const stringEnv = (s: Service): Record<string, string> => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));

describe('docker-compose.secure.yml', () => {
  let secretsDir: string;
  /** Reads /run/secrets/<name> from the file scripts/compose-secrets.sh made for the secret. */
  const readSecret = (path: string): string => {
    const name = /^\/run\/secrets\/([a-z0-9_]+)$/.exec(path)?.[1];
    const file = name === undefined ? undefined : secure.secrets?.[name]?.file;
    if (file === undefined) throw new Error(`${path} is no declared secret`);
    return readFileSync(join(secretsDir, file.replace(/^\.\/secrets\//, '')), 'utf8');
  };
  const settingsOf = (service: string): Settings => loadSettings({ env: stringEnv(merged(service)), readFile: readSecret });

  beforeAll(() => {
    const tmp = mkdtempSync(join(tmpdir(), 'clvtest-compose-secrets-'));
    secretsDir = execFileSync('bash', [join(ROOT, 'scripts', 'compose-secrets.sh'), join(tmp, 'secrets')], { encoding: 'utf8', timeout: 60_000 }).trim();
  }, 90_000);
  afterAll(() => {
    if (secretsDir !== undefined) rmSync(join(secretsDir, '..'), { recursive: true, force: true });
  });

  it('declares each secret as a file scripts/compose-secrets.sh makes under ./secrets (git-ignored)', () => {
    const declared = Object.entries(secure.secrets ?? {});
    expect(declared.length).toBeGreaterThan(5);
    for (const [name, { file }] of declared) {
      expect(file, name).toMatch(/^\.\/secrets\/[a-z0-9.-]+$/);
      expect(existsSync(join(secretsDir, file.slice('./secrets/'.length))), `${name}: ${file} is made by the script`).toBe(true);
    }
    expect(read('.gitignore').split('\n')).toContain('secrets/');
  });

  it('secures services of docker-compose.yml, plus the one-shot that grants the ACLs; each mounts the secrets it refers to', () => {
    for (const name of Object.keys(secure.services)) {
      if (name !== 'kafka-acls') expect(Object.keys(base.services), `${name} is a service of docker-compose.yml`).toContain(name);
      const s = merged(name);
      for (const secret of s.secrets ?? []) expect(Object.keys(secure.secrets ?? {}), `${name} mounts ${secret}`).toContain(secret);
      for (const secret of secretsReferred(s)) expect(s.secrets, `${name} refers to /run/secrets/${secret}`).toContain(secret);
    }
    for (const name of ['kafka', 'kafka-init', 'schema-registry', 'redis', 'clvstream', 'generator', 'prometheus']) {
      expect(secure.services[name], `${name} is secured`).toBeDefined();
    }
  });

  it("gives clvstream's containers only settings it has, credentials only from files", () => {
    for (const name of ['clvstream', 'kafka-init', 'generator']) {
      const env = stringEnv(merged(name));
      for (const key of Object.keys(env)) {
        const setting = key.endsWith('_FILE') && !SETTINGS.has(key) ? key.slice(0, -'_FILE'.length) : key;
        expect(SETTINGS.has(setting), `${name}: ${key} is a setting (or its _FILE form)`).toBe(true);
      }
      for (const credential of ['KAFKA_SASL_PASSWORD', 'HTTP_BEARER_TOKEN', 'SCHEMA_REGISTRY_PASSWORD', 'REDIS_URL']) {
        if (credential === 'REDIS_URL' && name !== 'clvstream') continue;
        expect(env[credential], `${name}: ${credential} is not in the environment`).toBeUndefined();
      }
      for (const [key, value] of Object.entries(env)) {
        if (key.endsWith('_FILE')) expect(value, `${name}: ${key}`).toMatch(/^\/run\/secrets\/[a-z0-9_]+$/);
      }
    }
  });

  it('the service loads, with the secrets the script made, as the clvstream principal over SASL_SSL and Redis over TLS', () => {
    const s = settingsOf('clvstream');
    expect(s.KAFKA_BROKERS).toEqual(['kafka:19092']);
    expect(s.KAFKA_SSL).toBe(true);
    expect(s.KAFKA_SSL_CA_FILE).toBe('/run/secrets/ca_crt');
    expect(s.KAFKA_SASL_USERNAME).toBe('clvstream');
    expect(s.KAFKA_SASL_PASSWORD).toBe(readFileSync(join(secretsDir, 'kafka-service.password'), 'utf8'));
    const redis = new URL(s.REDIS_URL);
    expect([redis.protocol, redis.username, redis.host]).toEqual(['rediss:', 'clvstream', 'redis:6379']);
    expect(decodeURIComponent(redis.password)).toBe(readFileSync(join(secretsDir, 'redis-service.password'), 'utf8'));
    expect(s.REDIS_TLS_CA_FILE).toBe('/run/secrets/ca_crt');
    expect(s.HTTP_BEARER_TOKEN).toBe(readFileSync(join(secretsDir, 'http-bearer-token'), 'utf8'));
    // Topics and group are the defaults the ACL one-shot grants.
    expect(s.KAFKA_GROUP_ID).toBe('clvstream');
    // kafka-init and the generator act as the administrator.
    for (const name of ['kafka-init', 'generator']) {
      const admin = settingsOf(name);
      expect([admin.KAFKA_SSL, admin.KAFKA_SASL_USERNAME, admin.KAFKA_SASL_PASSWORD], name).toEqual([true, 'admin', readFileSync(join(secretsDir, 'kafka-admin.password'), 'utf8')]);
    }
    expect(merged('clvstream').depends_on?.['kafka-acls']).toEqual({ condition: 'service_completed_successfully' });
  });

  it('the broker: SASL_SSL listeners only (the controller on the container loopback), PEM stores from secrets, the standard authorizer, deny by default', () => {
    const env = stringEnv(merged('kafka'));
    const protocols = Object.fromEntries(env['KAFKA_LISTENER_SECURITY_PROTOCOL_MAP']!.split(',').map((p) => p.split(':') as [string, string]));
    const listeners = env['KAFKA_LISTENERS']!.split(',');
    for (const listener of listeners) {
      const [name, address] = listener.split('://') as [string, string];
      if (name === env['KAFKA_CONTROLLER_LISTENER_NAMES']) expect(address, 'controller listener').toMatch(/^localhost:/);
      else expect(protocols[name], listener).toBe('SASL_SSL');
    }
    expect(env['KAFKA_ADVERTISED_LISTENERS']).toContain(`kafka:19092`);
    expect(env['KAFKA_AUTHORIZER_CLASS_NAME']).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(env['KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND']).toBe('false');
    expect(env['KAFKA_SUPER_USERS']).toBe('User:admin;User:ANONYMOUS');
    expect(env['KAFKA_OPTS']).toContain('-Djava.security.auth.login.config=/run/secrets/kafka_jaas');
    const jaas = readFileSync(join(secretsDir, 'kafka-jaas.conf'), 'utf8');
    expect(jaas).toMatch(/user_clvstream="[0-9a-f]{48}"/);
    expect(merged('kafka').healthcheck?.test?.join(' ')).toContain('--command-config /run/secrets/kafka_admin_properties');
  });

  it('the ACL one-shot grants User:clvstream exactly the ACLs docs/operations.md lists, on the default names', () => {
    const defaults = settingsSchema.parse({});
    const expected = new Set<string>();
    for (const line of operationsBlock('kafka-acls').split('\n')) {
      const [type, ...rest] = line.trim().split(/\s+/);
      const names = rest.filter((w) => /^[A-Z_]+$/.test(w));
      const operations = rest.filter((w) => !names.includes(w));
      for (const name of names) {
        const value = defaults[name as keyof Settings];
        if (typeof value !== 'string') throw new Error(`docs/operations.md names ${name}, which is no text setting`);
        for (const op of operations) expected.add(`${type} ${value} ${op}`);
      }
    }
    const script = merged('kafka-acls').command?.join('\n') ?? '';
    const granted = new Set<string>();
    for (const call of script.split('\n').filter((l) => l.trim().startsWith('acl --'))) {
      const words = call.trim().split(/\s+/).slice(1);
      const ops: string[] = [];
      const resources: string[] = [];
      for (let i = 0; i < words.length; i += 2) {
        if (words[i] === '--operation') ops.push(words[i + 1]!);
        else if (words[i] === '--topic') resources.push(`Topic ${words[i + 1]}`);
        else if (words[i] === '--group') resources.push(`Group ${words[i + 1]}`);
        else throw new Error(`kafka-acls: unexpected ${words[i]}`);
      }
      for (const r of resources) for (const op of ops) granted.add(`${r} ${op}`);
    }
    expect([...granted].sort()).toEqual([...expected].sort());
    expect(script).toContain('--allow-principal User:clvstream');
    expect(script).toContain('--command-config /run/secrets/kafka_admin_properties');
  });

  it('Redis: TLS only, users from the ACL file the script wrote with exactly the documented line', () => {
    const s = merged('redis');
    const args = s.command ?? [];
    const arg = (flag: string) => args[args.indexOf(flag) + 1];
    expect(arg('--port')).toBe('0');
    expect(arg('--tls-port')).toBe('6379');
    expect(arg('--aclfile')).toBe('/run/secrets/redis_users_acl');
    expect([arg('--tls-cert-file'), arg('--tls-key-file'), arg('--tls-ca-cert-file')]).toEqual(['/run/secrets/redis_server_crt', '/run/secrets/redis_server_key', '/run/secrets/ca_crt']);
    const users = readFileSync(join(secretsDir, 'redis-users.acl'), 'utf8').trim().split('\n');
    expect(users[0]).toBe('user default off');
    expect(users[2]).toBe(documentedRedisAcl(readFileSync(join(secretsDir, 'redis-service.password'), 'utf8')));
    expect(s.healthcheck?.test?.join(' ')).toMatch(/redis-cli --tls --cacert \/run\/secrets\/ca_crt -h localhost --user clvstream ping/);
    // The certificate names the compose services the clients connect to.
    const san = execFileSync('openssl', ['x509', '-in', join(secretsDir, 'redis-server.crt'), '-noout', '-ext', 'subjectAltName'], { encoding: 'utf8' });
    expect(san).toContain('DNS:redis');
    expect(san).toContain('DNS:kafka');
  });

  it('Prometheus scrapes /metrics with the bearer token from the secret', () => {
    const mount = merged('prometheus').volumes?.find((v) => v.endsWith(':/etc/prometheus/prometheus.yml:ro'));
    expect(mount).toBe('./deploy/prometheus/prometheus.secure.yml:/etc/prometheus/prometheus.yml:ro');
    expect(merged('prometheus').volumes).toContain('./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro');
    const config = parse(read('deploy/prometheus/prometheus.secure.yml')) as { scrape_configs: { job_name: string; authorization?: { type: string; credentials_file: string } }[] };
    const job = config.scrape_configs.find((j) => j.job_name === 'clvstream');
    expect(job?.authorization).toEqual({ type: 'Bearer', credentials_file: '/run/secrets/http_bearer_token' });
    expect(merged('prometheus').secrets).toContain('http_bearer_token');
  });
});
