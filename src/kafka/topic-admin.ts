/**
 * Applies a topic plan (topic-plan.ts) to a broker and reads back what is there,
 * with kafkajs' admin client. Creating is idempotent: topics that exist are left
 * as they are (a partition count is never changed behind an operator's back: it
 * moves customers between partitions) and reported by `topicDifferences`.
 */
import kafkajs, { type Admin } from 'kafkajs';
import type { ExistingTopic, PlannedTopic } from './topic-plan.js';

const LEADER_WAIT_MS = 60_000;
const LEADER_POLL_MS = 100;

// A CommonJS export that Node's ESM loader cannot see as a named export.
const { ConfigResourceTypes } = kafkajs;

export interface CreateOutcome {
  readonly created: string[];
  readonly existing: string[];
}

export class TopicAdminError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TopicAdminError';
  }
}

/** The broker's brokers count: the largest replication factor a topic can have. */
export async function brokerCount(admin: Admin): Promise<number> {
  const { brokers } = await admin.describeCluster();
  return brokers.length;
}

export async function createPlannedTopics(admin: Admin, plan: readonly PlannedTopic[]): Promise<CreateOutcome> {
  const present = new Set(await admin.listTopics());
  const missing = plan.filter((t) => !present.has(t.name));
  if (missing.length > 0) {
    try {
      await admin.createTopics({
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor,
          configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (error) {
      // On a cluster the broker kafkajs asks next for the new topics' metadata may
      // not have learnt of them yet (UNKNOWN_TOPIC_OR_PARTITION) though the
      // controller created them: if the leaders appear, the topics are there.
      const created =
        isUnknownTopic(error) &&
        (await leadersElected(admin, missing).then(
          () => true,
          () => false,
        ));
      if (!created) throw new TopicAdminError(`creating ${missing.map((t) => t.name).join(', ')} failed: ${describeKafkaError(error)}`, { cause: error });
      return { created: missing.map((t) => t.name), existing: plan.filter((t) => present.has(t.name)).map((t) => t.name) };
    }
    await leadersElected(admin, missing);
  }
  return { created: missing.map((t) => t.name), existing: plan.filter((t) => present.has(t.name)).map((t) => t.name) };
}

/**
 * Waits until every partition of the new topics has a leader. kafkajs'
 * `waitForLeaders` gives up when a broker answers a metadata request for a topic
 * it has not heard of yet (UNKNOWN_TOPIC_OR_PARTITION), which a broker may do
 * for a moment after the controller created it.
 */
async function leadersElected(admin: Admin, topics: readonly PlannedTopic[]): Promise<void> {
  const deadline = Date.now() + LEADER_WAIT_MS;
  let last: unknown = null;
  for (let round = 0; Date.now() < deadline && round < LEADER_WAIT_MS / LEADER_POLL_MS; round++) {
    try {
      const { topics: described } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
      const ready = topics.every((t) => {
        const partitions = described.find((d) => d.name === t.name)?.partitions ?? [];
        return partitions.length === t.partitions && partitions.every((p) => p.leader >= 0);
      });
      if (ready) return;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, LEADER_POLL_MS));
  }
  throw new TopicAdminError(`created ${topics.map((t) => t.name).join(', ')}, but not every partition had a leader within ${LEADER_WAIT_MS / 1000} s${last === null ? '' : ` (${describeKafkaError(last)})`}`);
}

/** The plan's topics as the broker has them (absent ones are left out), with the configs the plan names. */
export async function describePlannedTopics(admin: Admin, plan: readonly PlannedTopic[]): Promise<Map<string, ExistingTopic>> {
  const present = new Set(await admin.listTopics());
  const names = plan.filter((t) => present.has(t.name)).map((t) => t.name);
  const out = new Map<string, ExistingTopic>();
  if (names.length === 0) return out;
  const { topics } = await admin.fetchTopicMetadata({ topics: names });
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: plan
      .filter((t) => present.has(t.name))
      .map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.name, configNames: Object.keys(t.configs) })),
  });
  const configsByTopic = new Map(
    described.resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]))] as const),
  );
  for (const topic of topics) {
    out.set(topic.name, {
      name: topic.name,
      partitions: topic.partitions.length,
      replicationFactor: Math.min(...topic.partitions.map((p) => p.replicas.length)),
      configs: configsByTopic.get(topic.name) ?? {},
    });
  }
  return out;
}

/** UNKNOWN_TOPIC_OR_PARTITION, alone or among kafkajs' aggregated errors. */
function isUnknownTopic(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const e = error as { type?: unknown; errors?: unknown[]; cause?: unknown };
  if (e.type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isUnknownTopic(x, depth + 1))) return true;
  return isUnknownTopic(e.cause, depth + 1);
}

/** kafkajs aggregates per-topic errors; say each one. */
export function describeKafkaError(error: unknown): string {
  const e = error as Error & { errors?: { message?: string; type?: string }[] };
  if (Array.isArray(e.errors) && e.errors.length > 0) {
    return e.errors.map((x) => x.message ?? x.type ?? 'unknown error').join('; ');
  }
  return e.message ?? String(error);
}
