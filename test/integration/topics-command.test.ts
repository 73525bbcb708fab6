// `clvstream topics create` and `clvstream topics check` against the real
// broker: the whole set created once and left alone the second time, every
// difference of an existing topic printed with exit 2, an unreachable broker
// said in one line with exit 1.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../support/infra-endpoints.js';
import { cleanupsAfterEach, createTestKafka, deleteTopic, describeWithInfra, uniqueSuffix, type InfraEndpoints } from '../support/infra.js';

const { ConfigResourceTypes } = kafkajs;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function topicsCli(args: string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts'), 'topics', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describeWithInfra('clvstream topics', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('create makes the whole set once, then finds it as planned; check prints every difference and exits 2', { timeout: 120_000 }, async () => {
    const id = `clvtest-topics-${uniqueSuffix()}`;
    const names = {
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
    };
    for (const topic of Object.values(names)) cleanups.push(() => deleteTopic(infra, topic));
    const env = { KAFKA_BROKERS: infra.kafkaBrokers.join(','), TOPIC_PARTITIONS: '3', ...names };

    const missing = await topicsCli(['check'], env);
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toContain(`${names.TOPIC_FEEDBACK} (feedback): missing`);
    expect(missing.stderr).toContain(`${names.TOPIC_INTERACTION} (interaction): missing`);
    expect(missing.stderr).toMatch(/10 differences from the expected topic set/);

    const first = await topicsCli(['create'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.match(/^created /gm)).toHaveLength(10);
    const second = await topicsCli(['create'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout.match(/^exists /gm)).toHaveLength(10);

    // What the broker now holds, read with the admin API as any tool would.
    const admin = createTestKafka(infra).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const { topics } = await admin.fetchTopicMetadata({ topics: Object.values(names) });
    expect(topics.map((t) => t.partitions.length)).toEqual(Array(10).fill(3));
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: names.TOPIC_DEAD_LETTER, configNames: ['retention.ms', 'cleanup.policy'] }],
    });
    expect(Object.fromEntries(resources[0]!.configEntries.map((e) => [e.configName, e.configValue]))).toEqual({ 'retention.ms': String(30 * 86_400_000), 'cleanup.policy': 'delete' });

    const ok = await topicsCli(['check'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/ok: 10 topics, 3 partitions, replication factor 1/);

    // An operator compacts the internal topic by hand; another deployment expects 4 partitions.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: names.TOPIC_INTERNAL, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
    });
    const drifted = await topicsCli(['check'], env);
    expect(drifted.code).toBe(2);
    expect(drifted.stderr).toContain(`${names.TOPIC_INTERNAL}: cleanup.policy=compact, expected delete`);
    const wider = await topicsCli(['check', '--partitions', '4'], env);
    expect(wider.code).toBe(2);
    expect(wider.stderr.match(/3 partitions, expected 4/g)).toHaveLength(10);
    // create does not change an existing topic behind the operator's back, and says why it fails.
    const recreate = await topicsCli(['create'], env);
    expect(recreate.code).toBe(2);
    expect(recreate.stderr).toContain('cleanup.policy=compact');
  });

  it('an unreachable broker is one line naming the brokers tried, exit 1', { timeout: 60_000 }, async () => {
    const out = await topicsCli(['check'], { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(out.code).toBe(1);
    const lines = out.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^clvstream: cannot reach Kafka: tried 127\.0\.0\.1:1 .*check KAFKA_BROKERS/);
  });
});
