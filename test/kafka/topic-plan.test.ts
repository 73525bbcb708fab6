import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/index.js';
import { TOPIC_CONTRACTS } from '../../src/contracts/topics.js';
import { planTopics, topicDifferences, type ExistingTopic, type PlannedTopic } from '../../src/kafka/topic-plan.js';

const settings = loadSettings({ env: {} });

const asExisting = (plan: readonly PlannedTopic[]): Map<string, ExistingTopic> =>
  new Map(plan.map((t) => [t.name, { name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, configs: { ...t.configs } }]));

describe('planTopics', () => {
  it('plans every topic of the catalogue under its configured name, with one partition count and replication factor', () => {
    const plan = planTopics({ ...settings, TOPIC_PURCHASE: 'shop.orders' }, { partitions: 6, replicationFactor: 3 });
    expect(plan.map((t) => t.contract).sort()).toEqual(TOPIC_CONTRACTS.map((c) => c.id).sort());
    expect(plan.find((t) => t.contract === 'purchase')?.name).toBe('shop.orders');
    expect(new Set(plan.map((t) => `${t.partitions}/${t.replicationFactor}`))).toEqual(new Set(['6/3']));
  });

  it('never compacts, asks two in-sync replicas where three exist, keeps dead letters longest', () => {
    const replicated = planTopics(settings, { partitions: 3, replicationFactor: 3 });
    const single = planTopics(settings, { partitions: 3, replicationFactor: 1 });
    for (const t of replicated) {
      expect(t.configs['cleanup.policy'], t.name).toBe('delete');
      expect(t.configs['min.insync.replicas'], t.name).toBe('2');
    }
    for (const t of single) expect(t.configs['min.insync.replicas'], t.name).toBe('1');
    const retention = (contract: string) => Number(replicated.find((t) => t.contract === contract)?.configs['retention.ms']);
    expect(retention('dead-letter')).toBeGreaterThan(retention('purchase'));
    expect(retention('internal')).toBe(retention('purchase'));
  });

  it('refuses a non-positive count and two settings naming one topic', () => {
    expect(() => planTopics(settings, { partitions: 0, replicationFactor: 1 })).toThrow(/partitions/);
    expect(() => planTopics(settings, { partitions: 1, replicationFactor: 0 })).toThrow(/replication factor/);
    expect(() => planTopics({ ...settings, TOPIC_RETURN: settings.TOPIC_PURCHASE }, { partitions: 1, replicationFactor: 1 })).toThrow(/different topics/);
  });
});

describe('topicDifferences', () => {
  const plan = planTopics(settings, { partitions: 4, replicationFactor: 3 });

  it('finds nothing when the broker has the plan', () => {
    expect(topicDifferences(plan, asExisting(plan))).toEqual([]);
  });

  it('names every missing topic, partition count, replication factor and config that differs', () => {
    const existing = asExisting(plan);
    existing.delete(settings.TOPIC_FEEDBACK);
    const internal = existing.get(settings.TOPIC_INTERNAL)!;
    existing.set(settings.TOPIC_INTERNAL, { ...internal, partitions: 5, replicationFactor: 1, configs: { ...internal.configs, 'cleanup.policy': 'compact' } });
    expect(topicDifferences(plan, existing)).toEqual([
      `${settings.TOPIC_FEEDBACK} (feedback): missing`,
      `${settings.TOPIC_INTERNAL}: 5 partitions, expected 4`,
      `${settings.TOPIC_INTERNAL}: replication factor 1, expected 3`,
      `${settings.TOPIC_INTERNAL}: cleanup.policy=compact, expected delete`,
    ]);
  });
});
