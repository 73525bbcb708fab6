// A deployment from before the service-interaction topic: the service starts
// and processes everything else while the topic is missing, `clvstream topics
// check` names it as the one difference, and once `clvstream topics create` has
// made it a restarted service reads it too — all against the real broker.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { CustomerState } from '../../../src/domain/state.js';
import { partitionOfKey } from '../../../src/kafka/key-partition.js';
import { KeySpace } from '../../../src/state/keys.js';
import { PartitionStore } from '../../../src/state/store.js';
import { REPO_ROOT } from '../../support/infra-endpoints.js';
import { cleanupsAfterEach, createTestKafka, deleteTopic, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { convergedEmissionDifferences, convergedStateDifferences, eventStream, produceAll, reference, runtimeFixture } from '../../support/runtime-harness.js';

const PARTITIONS = 3;

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

describeWithInfra('runtime without the optional interaction topic', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('runs without it, topics check names it missing, and a restart after topics create reads it', { timeout: 180_000 }, async () => {
    const { topics, prefix, settings, state, producer, reader, runner: newRunner } = await runtimeFixture(infra, cleanups, 'optional', PARTITIONS);
    await deleteTopic(infra, topics.byType.interaction);
    const admin = createTestKafka(infra).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await waitFor(async () => !(await admin.listTopics()).includes(topics.byType.interaction), { timeoutMs: 30_000, what: 'the interaction topic deleted' });

    const messages = eventStream({ seed: 21, customers: 40, events: 900 });
    const interactions = messages.filter((m) => m.type === 'interaction');
    const others = messages.filter((m) => m.type !== 'interaction');
    expect(interactions.length).toBeGreaterThan(20);
    await produceAll(producer, topics, others);

    const first = newRunner();
    await first.start();
    expect(first.status().state).toBe('running');
    expect(first.readTopics()).not.toContain(topics.byType.interaction);
    expect(first.readTopics()).toContain(topics.byType.purchase);
    const before = reference(others, settings, PARTITIONS);
    expect(await convergedStateDifferences(state.redis, prefix, PARTITIONS, before.states, 60_000)).toEqual([]);
    expect(await convergedEmissionDifferences(before.emissions, reader, 30_000)).toEqual([]);

    const env = { KAFKA_BROKERS: infra.kafkaBrokers.join(','), TOPIC_PARTITIONS: String(PARTITIONS), TOPIC_REPLICATION_FACTOR: '1', ...topics.env };
    const check = await topicsCli(['check'], env);
    expect(check.code, check.stderr).toBe(2);
    // The one difference: every other topic was made by the plan.
    const differences = check.stderr.split('\n').filter((line) => topics.all.some((name) => line.includes(name)));
    expect(differences).toEqual([expect.stringContaining(`${topics.byType.interaction} (interaction): missing`)]);

    await first.stop();
    const created = await topicsCli(['create'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`^created ${topics.byType.interaction.replaceAll('.', '\\.')}`, 'm'));

    // The interactions are older than some events already applied: the restarted service reads them, late, as the replay would in time order.
    await produceAll(producer, topics, interactions);
    const second = newRunner();
    await second.start();
    expect(second.readTopics()).toContain(topics.byType.interaction);
    // Applied after the rest, not in event-time order: the facts they add (sums, complaint cases) are the
    // reference's, since they do not depend on arrival order; levels and emissions may differ, so they are not compared.
    const after = reference(messages, settings, PARTITIONS);
    expect([...after.states.values()].some((s) => s.complaints > 0)).toBe(true);
    const store = new PartitionStore(state.redis, new KeySpace(prefix));
    const facts = (s: CustomerState | undefined) =>
      s === undefined ? null : [s.interactions, s.interactionCostMinor, s.interactionEstimateMinor, s.complaints, s.lastComplaintAt, s.complaintCases, s.orders, s.orderCostMinor];
    const differing = async (): Promise<string[]> => {
      const out: string[] = [];
      for (let p = 0; p < PARTITIONS; p++) {
        const ids = [...after.states.keys()].filter((id) => partitionOfKey(id, PARTITIONS) === p);
        const actual = await store.loadStates(p, ids);
        for (const id of ids) if (JSON.stringify(facts(actual.get(id))) !== JSON.stringify(facts(after.states.get(id)))) out.push(id);
      }
      return out;
    };
    await waitFor(async () => (await differing()).length === 0, { timeoutMs: 60_000, intervalMs: 500, what: 'the interactions applied' }).catch(() => undefined);
    expect(await differing()).toEqual([]);
    await second.stop();
  });
});
