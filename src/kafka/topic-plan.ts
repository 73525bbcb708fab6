/**
 * The topic set one clvstream deployment needs, as it should be on the broker:
 * every topic of the catalogue (src/contracts/topics.ts) under its configured
 * name, one partition count for all of them (the sources must be co-partitioned,
 * and the emission topics keep a customer on one partition number too), one
 * replication factor, and the per-topic configs that matter to what clvstream
 * promises. Pure: `clvstream topics create` applies it, `clvstream topics check`
 * compares a broker's topics with it.
 */
import type { Settings } from '../config/settings.js';
import { TOPIC_CONTRACTS, type TopicContract, type TopicRole } from '../contracts/topics.js';

export type TopicNameSettings = Pick<
  Settings,
  | 'TOPIC_PURCHASE'
  | 'TOPIC_RETURN'
  | 'TOPIC_REFERRAL'
  | 'TOPIC_CANCELLATION'
  | 'TOPIC_FEEDBACK'
  | 'TOPIC_INTERACTION'
  | 'TOPIC_SEGMENT_CHANGED'
  | 'TOPIC_CHURN_RISK'
  | 'TOPIC_DEAD_LETTER'
  | 'TOPIC_INTERNAL'
>;

export interface PlannedTopic {
  readonly name: string;
  readonly contract: TopicContract['id'];
  readonly role: TopicRole;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configs clvstream relies on; anything not named is the broker's default. */
  readonly configs: Readonly<Record<string, string>>;
}

export interface TopicPlanOptions {
  readonly partitions: number;
  readonly replicationFactor: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

const SETTING_OF: Record<TopicContract['id'], keyof TopicNameSettings> = {
  purchase: 'TOPIC_PURCHASE',
  return: 'TOPIC_RETURN',
  referral: 'TOPIC_REFERRAL',
  cancellation: 'TOPIC_CANCELLATION',
  feedback: 'TOPIC_FEEDBACK',
  interaction: 'TOPIC_INTERACTION',
  'segment-changed': 'TOPIC_SEGMENT_CHANGED',
  'churn-risk': 'TOPIC_CHURN_RISK',
  'dead-letter': 'TOPIC_DEAD_LETTER',
  internal: 'TOPIC_INTERNAL',
};

/**
 * Why each role's configs are what they are:
 * - every topic is a log, never compacted: a compacted inbound or internal topic
 *   would drop events that the state counts, a compacted emission topic would
 *   drop changes subscribers act on;
 * - min.insync.replicas 2 where there are at least 3 replicas, so an acknowledged
 *   write (the relay's emissions, the internal records) survives one broker;
 * - CreateTime timestamps: the live delay is measured from the producer's time;
 * - the internal topic keeps its records as long as an inbound topic does, since
 *   a referral credit waits on it; the dead-letter topic keeps them 30 days, long
 *   enough for someone to look.
 */
function topicPropertiesOf(role: TopicRole, replicationFactor: number): Record<string, string> {
  const configs: Record<string, string> = {
    'cleanup.policy': 'delete',
    'min.insync.replicas': String(replicationFactor >= 3 ? 2 : 1),
    'message.timestamp.type': 'CreateTime',
  };
  switch (role) {
    case 'inbound':
    case 'internal':
    case 'outbound':
      configs['retention.ms'] = String(7 * DAY_MS);
      break;
    case 'dead-letter':
      configs['retention.ms'] = String(30 * DAY_MS);
      break;
  }
  return configs;
}

export function planTopics(settings: TopicNameSettings, options: TopicPlanOptions): PlannedTopic[] {
  if (!Number.isInteger(options.partitions) || options.partitions < 1) throw new RangeError(`partitions must be a positive integer; got ${options.partitions}`);
  if (!Number.isInteger(options.replicationFactor) || options.replicationFactor < 1) {
    throw new RangeError(`the replication factor must be a positive integer; got ${options.replicationFactor}`);
  }
  const plan = TOPIC_CONTRACTS.map((contract) => ({
    name: settings[SETTING_OF[contract.id]],
    contract: contract.id,
    role: contract.role,
    partitions: options.partitions,
    replicationFactor: options.replicationFactor,
    configs: topicPropertiesOf(contract.role, options.replicationFactor),
  }));
  const names = new Set(plan.map((t) => t.name));
  if (names.size !== plan.length) throw new RangeError(`the TOPIC_* settings must name ${plan.length} different topics; got ${plan.map((t) => t.name).join(', ')}`);
  return plan;
}

/** A topic as the broker describes it. */
export interface ExistingTopic {
  readonly name: string;
  readonly partitions: number;
  /** Replicas of each partition; the smallest is reported. */
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string | undefined>>;
}

/** Every way the broker's topics differ from the plan, one line each (empty: they match). */
export function topicDifferences(plan: readonly PlannedTopic[], existing: ReadonlyMap<string, ExistingTopic>): string[] {
  const out: string[] = [];
  for (const planned of plan) {
    const actual = existing.get(planned.name);
    if (actual === undefined) {
      out.push(`${planned.name} (${planned.contract}): missing`);
      continue;
    }
    if (actual.partitions !== planned.partitions) out.push(`${planned.name}: ${actual.partitions} partitions, expected ${planned.partitions}`);
    if (actual.replicationFactor !== planned.replicationFactor) {
      out.push(`${planned.name}: replication factor ${actual.replicationFactor}, expected ${planned.replicationFactor}`);
    }
    for (const [key, value] of Object.entries(planned.configs)) {
      const have = actual.configs[key];
      if (have !== value) out.push(`${planned.name}: ${key}=${have ?? '(unset)'}, expected ${value}`);
    }
  }
  return out;
}
