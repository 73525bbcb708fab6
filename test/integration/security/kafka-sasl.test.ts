// Kafka as production runs it: a node of the test's own (scripts/kafka-node.sh
// init --secure) with a SASL_SSL listener (SCRAM-SHA-512, certificates made for
// the run; PLAIN too) and the standard authorizer; Redis with TLS and its documented ACL.
// `clvstream topics create` runs as the administrator; `clvstream run` as a
// principal with exactly the ACLs docs/operations.md lists, with every secret
// set, and none of them appears in its logs or metrics. One broker for the file.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, ResourcePatternTypes, logLevel, type Admin, type AclEntry } from 'kafkajs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupsAfterEach, describeWithInfra, uniqueSuffix, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { KafkaNodes } from '../../support/kafka-nodes.js';
import { ProcessorProcess } from '../../support/processor-process.js';
import { eventStream } from '../../support/runtime-harness.js';
import { documentedRedisAcl, makeTestCerts, operationsBlock, startSecureRedis, type SecureRedis, type TestCerts } from '../../support/secure-servers.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);
const ADMIN = { user: 'admin', password: 'kafka-admin-secret-5d1c7e' };
const SERVICE = { user: 'clvstream', password: 'kafka-service-secret-8b2e4f' };
const REDIS_PASSWORD = 'redis-service-secret-3a9d6b';
const HTTP_TOKEN = 'http-token-secret-6c0f2a91e4';
const PARTITIONS = 2;

const TYPES: Record<string, AclResourceTypes> = { Topic: AclResourceTypes.TOPIC, Group: AclResourceTypes.GROUP, Cluster: AclResourceTypes.CLUSTER };
const OPERATIONS: Record<string, AclOperationTypes> = { Read: AclOperationTypes.READ, Write: AclOperationTypes.WRITE, IdempotentWrite: AclOperationTypes.IDEMPOTENT_WRITE };

/** The ACLs docs/operations.md lists for `principal`, names resolved through `settings`. */
function documentedAcls(settings: Record<string, string>, principal: string): AclEntry[] {
  const acls: AclEntry[] = [];
  for (const line of operationsBlock('kafka-acls').split('\n')) {
    const [type, ...rest] = line.trim().split(/\s+/);
    const resourceType = TYPES[type ?? ''];
    if (resourceType === undefined) throw new Error(`docs/operations.md: unknown resource type in '${line}'`);
    const names = rest.filter((w) => /^[A-Z_]+$/.test(w) || w === 'kafka-cluster');
    const operations = rest.filter((w) => !names.includes(w));
    for (const name of names) {
      const resourceName = name === 'kafka-cluster' ? 'kafka-cluster' : settings[name];
      if (resourceName === undefined) throw new Error(`docs/operations.md names ${name}, which the test does not set`);
      for (const op of operations) {
        const operation = OPERATIONS[op];
        if (operation === undefined) throw new Error(`docs/operations.md: unknown operation ${op}`);
        acls.push({ resourceType, resourceName, resourcePatternType: ResourcePatternTypes.LITERAL, principal, host: '*', operation, permissionType: AclPermissionTypes.ALLOW });
      }
    }
  }
  return acls;
}

describeWithInfra('Kafka over SASL_SSL with the documented ACLs', (_infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();
  let certs: TestCerts;
  let nodes: KafkaNodes;
  let redis: SecureRedis;
  let redisAdmin: Redis;
  let admin: Admin;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clvtest-kafka-sasl-'));
    certs = await makeTestCerts(join(dir, 'certs'));
    const secure = ['--secure', certs.dir, '--scram', `${ADMIN.user}=${ADMIN.password}`, '--scram', `${SERVICE.user}=${SERVICE.password}`];
    [nodes, redis] = await Promise.all([KafkaNodes.start(1, { initArgs: secure }), startSecureRedis([documentedRedisAcl(REDIS_PASSWORD)])]);
    redisAdmin = redis.admin();
    admin = kafkaAs(ADMIN).admin();
    await admin.connect();
  }, 300_000);
  afterAll(async () => {
    await admin?.disconnect();
    await Promise.all([nodes?.stop(), redis?.stop()]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  function kafkaAs(who: { user: string; password: string }): Kafka {
    return new Kafka({
      clientId: `clvtest-${uniqueSuffix()}`,
      brokers: nodes.brokers,
      ssl: { ca: [readFileSync(certs.ca)] },
      sasl: { mechanism: 'scram-sha-512', username: who.user, password: who.password },
      logLevel: logLevel.NOTHING,
    });
  }

  /** The settings of one deployment: its own topics and group, the service's credentials, every secret set. */
  function deployment(label: string): Record<string, string> {
    const id = `clvtest-${label}-${uniqueSuffix()}`;
    return {
      PATH: process.env.PATH ?? '',
      KAFKA_BROKERS: nodes.brokers.join(','),
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: certs.ca,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: SERVICE.user,
      KAFKA_SASL_PASSWORD: SERVICE.password,
      KAFKA_GROUP_ID: `${id}-group`,
      KAFKA_CLIENT_ID: id,
      REDIS_URL: redis.url('clvstream', REDIS_PASSWORD),
      REDIS_TLS_CA_FILE: redis.certs.ca,
      REDIS_KEY_PREFIX: 'clv',
      HTTP_BEARER_TOKEN: HTTP_TOKEN,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      TOPIC_PURCHASE: `${id}.purchases`,
      TOPIC_RETURN: `${id}.returns`,
      TOPIC_REFERRAL: `${id}.referrals`,
      TOPIC_CANCELLATION: `${id}.cancellations`,
      TOPIC_FEEDBACK: `${id}.feedback`,
      TOPIC_INTERACTION: `${id}.interactions`,
      TOPIC_INTERNAL: `${id}.internal`,
      TOPIC_SEGMENT_CHANGED: `${id}.segment-changed`,
      TOPIC_CHURN_RISK: `${id}.churn-risk`,
      TOPIC_DEAD_LETTER: `${id}.dead-letter`,
      TOPIC_PARTITIONS: String(PARTITIONS),
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_HEARTBEAT_INTERVAL_MS: '500',
      KAFKA_FETCH_MAX_WAIT_MS: '100',
      KAFKA_OFFSET_COMMIT_INTERVAL_MS: '200',
      RUN_SWEEP_INTERVAL_MS: '200',
      RUN_MERGE_MAX_WAIT_MS: '600000',
      RUN_IDLE_WATERMARK_SECONDS: '0',
      RUN_BATCH_MAX_RECORDS: '500',
      RUN_SHUTDOWN_TIMEOUT_SECONDS: '20',
      BASE_CURRENCY: 'USD',
    };
  }

  async function topicsCreate(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'topics', 'create'], { cwd: ROOT, env, timeout: 120_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  /** Topics created by `clvstream topics create` as the administrator. */
  async function createTopics(env: Record<string, string>): Promise<void> {
    const created = await topicsCreate({ ...env, KAFKA_SASL_USERNAME: ADMIN.user, KAFKA_SASL_PASSWORD: ADMIN.password });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout.match(/^created /gm)).toHaveLength(10);
  }

  /**
   * Grants `acls` to the service's principal and waits until the broker answers
   * with them: createAcls returns once the controller committed them, before
   * the node's authorizer has applied them (a run started at once was refused
   * an ACL it had been granted).
   */
  async function grant(acls: AclEntry[]): Promise<void> {
    await admin.createAcls({ acl: acls });
    const names = new Set(acls.map((a) => a.resourceName));
    const filter = { resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, principal: `User:${SERVICE.user}`, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY };
    await waitFor(
      async () => {
        const { resources } = await admin.describeAcls(filter);
        return resources.filter((r) => names.has(r.resourceName)).reduce((n, r) => n + r.acls.length, 0) >= acls.length;
      },
      { timeoutMs: 30_000, what: 'the granted ACLs in force' },
    );
  }

  /** Events for every topic (referrals re-keyed to the internal topic, emissions) and one malformed record (a dead letter). */
  async function produceEvents(env: Record<string, string>): Promise<void> {
    const producer = kafkaAs(ADMIN).producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const topicOf: Record<string, string> = { purchase: env.TOPIC_PURCHASE!, return: env.TOPIC_RETURN!, referral: env.TOPIC_REFERRAL!, cancellation: env.TOPIC_CANCELLATION!, feedback: env.TOPIC_FEEDBACK!, interaction: env.TOPIC_INTERACTION! };
    const messages = eventStream({ seed: 11, customers: 10, events: 120, referrals: true });
    for (const m of messages) await producer.send({ topic: topicOf[m.type]!, acks: -1, messages: [{ key: m.key, value: m.value }] });
    await producer.send({ topic: env.TOPIC_PURCHASE!, acks: -1, messages: [{ key: 'broken', value: Buffer.from('{"not":"an event"') }] });
  }

  it('topics create: the service principal may not, the administrator may', { timeout: 180_000 }, async () => {
    const env = deployment('topics');
    const refused = await topicsCreate(env);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/authoriz/i);
    await createTopics(env);
  });

  it('SASL PLAIN over the same TLS: the administrator creates the topics, the service principal is authenticated and refused', { timeout: 180_000 }, async () => {
    const env = { ...deployment('plain'), KAFKA_SASL_MECHANISM: 'plain' };
    const refused = await topicsCreate(env);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    // Authorization, not authentication: the password was accepted.
    expect(refused.stderr).toMatch(/authoriz/i);
    expect(refused.stderr).not.toMatch(/authenticat|SASL/i);
    const created = await topicsCreate({ ...env, KAFKA_SASL_USERNAME: ADMIN.user, KAFKA_SASL_PASSWORD: ADMIN.password });
    expect(created.stderr).toBe('');
    expect(created.stdout.match(/^created /gm)).toHaveLength(10);
  });

  it('run works with exactly the documented ACLs; its logs and metrics hold no secret', { timeout: 300_000 }, async () => {
    await redisAdmin.flushall();
    const env = deployment('run');
    await createTopics(env);
    await grant(documentedAcls(env, `User:${SERVICE.user}`));

    await produceEvents(env);

    const service = new ProcessorProcess({ ...env, LOG_LEVEL: 'debug' });
    cleanups.push(() => service.ensureDead());
    const address = await waitFor(() => service.hasExited ? 'exited' : (service.lines.find((l) => l.msg === 'http listening')?.address as string | undefined), { timeoutMs: 120_000, what: 'http listening' });
    expect(address, service.stderr.join('')).not.toBe('exited');
    // Every emission published, the dead letter included: the outbox is empty and the topics hold them.
    const reader = kafkaAs(ADMIN).consumer({ groupId: `clvtest-reader-${uniqueSuffix()}` });
    await reader.connect();
    cleanups.push(() => reader.disconnect());
    await reader.subscribe({ topics: [env.TOPIC_SEGMENT_CHANGED!, env.TOPIC_DEAD_LETTER!], fromBeginning: true });
    const seen = new Set<string>();
    await reader.run({ eachMessage: ({ topic }) => Promise.resolve(void seen.add(topic)) });
    await waitFor(() => seen.size === 2 || service.hasExited, { timeoutMs: 120_000, what: 'emissions and the dead letter on their topics' }).catch((err: Error) => {
      const problems = service.lines.filter((l) => l.level !== 'debug').slice(-8).map((l) => `${String(l.level)} ${l.msg} ${JSON.stringify(l.err ?? '')}`);
      throw new Error(`${err.message}; seen ${[...seen].join(', ')}; the service's last warnings: ${JSON.stringify(problems)}`);
    });
    expect(service.hasExited, service.stderr.join('')).toBe(false);
    expect(await redisAdmin.exists(...Array.from({ length: PARTITIONS }, (_, p) => `clv:{p${p}}:c:cust-0`))).toBe(1);

    const metrics = await (await fetch(`${address}/metrics`, { headers: { authorization: `Bearer ${HTTP_TOKEN}` } })).text();
    expect(metrics).toMatch(/clvstream_events_processed_total/);
    service.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });

    const captured = [JSON.stringify(service.lines), service.stderr.join(''), metrics].join('\n');
    // The log was captured, the start-up line that lists the settings (redacted) included.
    const starting = service.lines.find((l) => l.msg === 'starting');
    expect(JSON.stringify(starting)).toContain('KAFKA_SASL_PASSWORD');
    for (const secret of [SERVICE.password, REDIS_PASSWORD, HTTP_TOKEN, encodeURIComponent(REDIS_PASSWORD)]) {
      expect(captured.includes(secret), `a secret in the output: ${secret}`).toBe(false);
    }
  });

  const topicNamed = (suffix: string) => (acl: AclEntry) => acl.resourceType === AclResourceTypes.TOPIC && acl.resourceName.endsWith(suffix);
  const operation = (op: AclOperationTypes) => (acl: AclEntry) => acl.operation === op;
  interface AclCase {
    /** The documented ACL(s) the principal goes without. */
    readonly dropped: (acl: AclEntry) => boolean;
    /** ACLs granted beside the documented ones (an operator's Describe that keeps a topic visible). */
    readonly extra?: (env: Record<string, string>) => AclEntry[];
    readonly named: RegExp;
    readonly code: number;
    /** The refusal shows only once records flow (a write to that topic, a fetch from it). */
    readonly events?: boolean;
  }
  const describeOn = (setting: string) => (env: Record<string, string>): AclEntry[] => [
    { resourceType: AclResourceTypes.TOPIC, resourceName: env[setting]!, resourcePatternType: ResourcePatternTypes.LITERAL, principal: `User:${SERVICE.user}`, host: '*', operation: AclOperationTypes.DESCRIBE, permissionType: AclPermissionTypes.ALLOW },
  ];
  const cases: [string, AclCase][] = [
    // The group: kafkajs never finds a coordinator (exit 1).
    ['Read on the consumer group', { dropped: (acl) => acl.resourceType === AclResourceTypes.GROUP, named: /consumer group 'clvtest-noacl-[^']+-group' .*lacks Read on the group/, code: 1 }],
    // A broker hides a topic the principal may not describe: found at the start-up check, a configuration error (exit 2).
    ['Read on the purchase topic', { dropped: topicNamed('.purchases'), named: /clvtest-noacl-\S+\.purchases \(needs Read\).*not authorized/, code: 2 }],
    ['Write on the segment-changed topic', { dropped: topicNamed('.segment-changed'), named: /clvtest-noacl-\S+\.segment-changed \(needs Write\).*not authorized/, code: 2 }],
    // Visible (Read, or an operator's Describe) but not writable: refused at the first write, which ends run (exit 1).
    ['Write on the internal topic', { dropped: (acl) => topicNamed('.internal')(acl) && operation(AclOperationTypes.WRITE)(acl), named: /lacks Write on topic 'clvtest-noacl-[^']+\.internal'/, code: 1, events: true }],
    ['Write on the dead-letter topic', { dropped: topicNamed('.dead-letter'), extra: describeOn('TOPIC_DEAD_LETTER'), named: /lacks Write on (topic |one of the topics [^;]*)'clvtest-noacl-[^']+\.dead-letter'/, code: 1, events: true }],
    ['Read on the internal topic', { dropped: (acl) => topicNamed('.internal')(acl) && operation(AclOperationTypes.READ)(acl), named: /lacks Read on topic 'clvtest-noacl-[^']+\.internal'/, code: 1, events: true }],
  ];

  it.each(cases)('a missing ACL (%s) ends run with one line naming permission and resource', { timeout: 240_000 }, async (_name, c) => {
    // Every case starts from an empty Redis, as a new deployment would: a case that
    // stops with records in its outbox would otherwise hand them to the next case's
    // relay, which sends them to the topics they were committed for (the previous
    // case's, whose refusal it then reports).
    await redisAdmin.flushall();
    const env = deployment('noacl');
    await createTopics(env);
    const acls = documentedAcls(env, `User:${SERVICE.user}`);
    await grant([...acls.filter((acl) => !c.dropped(acl)), ...(c.extra?.(env) ?? [])]);
    if (c.events === true) await produceEvents(env);
    const service = new ProcessorProcess({ ...env, LOG_LEVEL: 'warn' });
    cleanups.push(() => service.ensureDead());
    const exit = await Promise.race([service.exited, waitFor(() => false, { timeoutMs: 120_000, what: 'run to exit' }).catch(() => 'still running' as const)]);
    const said = `${service.stderr.join('')}\n${JSON.stringify(service.lines.slice(-5))}`;
    expect(exit, said).toEqual({ code: c.code, signal: null });
    const lines = service.stderr.join('').trim().split('\n');
    expect(lines, said).toHaveLength(1);
    expect(lines[0]).toMatch(/^clvstream: /);
    expect(lines[0], lines[0]).toMatch(c.named);
    expect(lines[0]).toMatch(/authoriz|ACL/i);
  });
});
