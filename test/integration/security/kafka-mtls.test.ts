// Kafka with TLS client authentication required (ssl.client.auth=required on
// the SASL_SSL listener of a node of the test's own): clvstream presents the
// test CA's client certificate (KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE) beside
// its SASL login. Without the certificate the broker ends every handshake, and
// the command says so in one line.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithInfra, uniqueSuffix } from '../../support/infra.js';
import { KafkaNodes } from '../../support/kafka-nodes.js';
import { makeTestCerts, type TestCerts } from '../../support/secure-servers.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);
const ADMIN = { user: 'admin', password: 'kafka-admin-secret-mtls-41c2' };

describeWithInfra('Kafka over SASL_SSL with client certificates required', () => {
  let certs: TestCerts;
  let nodes: KafkaNodes;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clvtest-kafka-mtls-'));
    certs = await makeTestCerts(join(dir, 'certs'));
    const initArgs = ['--secure', certs.dir, '--scram', `${ADMIN.user}=${ADMIN.password}`, '--set', 'listener.name.sasl_ssl.ssl.client.auth=required'];
    nodes = await KafkaNodes.start(1, { initArgs });
  }, 300_000);
  afterAll(async () => {
    await nodes?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function topicsCreate(extra: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    const id = `clvtest-mtls-${uniqueSuffix()}`;
    const env = {
      PATH: process.env.PATH ?? '',
      KAFKA_BROKERS: nodes.brokers.join(','),
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: certs.ca,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: ADMIN.user,
      KAFKA_SASL_PASSWORD: ADMIN.password,
      KAFKA_CLIENT_ID: id,
      TOPIC_PARTITIONS: '1',
      ...Object.fromEntries(['PURCHASE', 'RETURN', 'REFERRAL', 'CANCELLATION', 'FEEDBACK', 'INTERACTION', 'INTERNAL', 'SEGMENT_CHANGED', 'CHURN_RISK', 'DEAD_LETTER'].map((t) => [`TOPIC_${t}`, `${id}.${t.toLowerCase()}`])),
      ...extra,
    };
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'topics', 'create'], { cwd: ROOT, env, timeout: 120_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  it('with the client certificate the administrator creates the topics; without it the command fails with one line', { timeout: 240_000 }, async () => {
    const created = await topicsCreate({ KAFKA_SSL_CERT_FILE: join(certs.dir, 'client.crt'), KAFKA_SSL_KEY_FILE: join(certs.dir, 'client.key') });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout.match(/^created /gm)).toHaveLength(10);

    const refused = await topicsCreate({});
    expect(refused.code, refused.stderr).not.toBe(0);
    expect(refused.stdout).not.toMatch(/^created /m);
    expect(refused.stderr.trim().split('\n'), refused.stderr).toHaveLength(1);
    expect(refused.stderr).toMatch(/^clvstream: Kafka refused the client certificate \(brokers 127\.0\.0\.1:\d+: .*alert .*\): .*set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE/);
  });
});
