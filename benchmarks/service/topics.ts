/**
 * Fresh topics per system and run: the nine topics of a clvstream deployment
 * under `<run>.<label>.`, made by the product's own topic plan (as `clvstream
 * topics create` makes them), end offsets, and deletion at the end.
 *
 * One instance per system, closed before the topics are deleted: a kafkajs
 * client keeps refreshing the metadata of every topic it ever used.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { InboundType } from '../../src/contracts/inbound.js';
import { loadSettings } from '../../src/config/index.js';
import { createPlannedTopics } from '../../src/kafka/topic-admin.js';
import { planTopics } from '../../src/kafka/topic-plan.js';
import type { InboundTopics } from '../workload.js';

export interface TopicSet {
  readonly label: string;
  readonly inbound: InboundTopics;
  readonly internal: string;
  readonly segmentChanged: string;
  readonly churnRisk: string;
  readonly deadLetter: string;
  readonly all: readonly string[];
  /** The TOPIC_* settings of a clvstream process on these topics. */
  readonly env: Readonly<Record<string, string>>;
}

export interface TopicOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export class Topics {
  private readonly created = new Set<string>();

  private constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
  ) {}

  static async connect(kafka: Kafka): Promise<Topics> {
    const admin = kafka.admin();
    await admin.connect();
    return new Topics(kafka, admin);
  }

  async create(prefix: string, label: string, partitions: number): Promise<TopicSet> {
    const name = (suffix: string): string => `${prefix}.${label}.${suffix}`;
    const inbound: Record<InboundType, string> = {
      purchase: name('purchases'),
      return: name('returns'),
      referral: name('referrals'),
      cancellation: name('cancellations'),
      feedback: name('feedback'),
      interaction: name('interactions'),
    };
    const env: Record<string, string> = {
      TOPIC_PURCHASE: inbound.purchase,
      TOPIC_RETURN: inbound.return,
      TOPIC_REFERRAL: inbound.referral,
      TOPIC_CANCELLATION: inbound.cancellation,
      TOPIC_FEEDBACK: inbound.feedback,
      TOPIC_INTERACTION: inbound.interaction,
      TOPIC_INTERNAL: name('internal'),
      TOPIC_SEGMENT_CHANGED: name('segment-changed'),
      TOPIC_CHURN_RISK: name('churn-risk'),
      TOPIC_DEAD_LETTER: name('dead-letter'),
    };
    const plan = planTopics(loadSettings({ env }), { partitions, replicationFactor: 1 });
    await createPlannedTopics(this.admin, plan);
    const all = plan.map((t) => t.name);
    for (const topic of all) this.created.add(topic);
    return {
      label,
      inbound,
      internal: env.TOPIC_INTERNAL as string,
      segmentChanged: env.TOPIC_SEGMENT_CHANGED as string,
      churnRisk: env.TOPIC_CHURN_RISK as string,
      deadLetter: env.TOPIC_DEAD_LETTER as string,
      all,
      env,
    };
  }

  /** The end offset (next offset to be written) of every partition of these topics. */
  async endOffsets(topics: readonly string[]): Promise<TopicOffset[]> {
    return (await this.offsets(topics)).map(({ topic, partition, high }) => ({ topic, partition, offset: high }));
  }

  /** Log start (low) and end (high) offsets of every partition of these topics. */
  async offsets(topics: readonly string[]): Promise<{ topic: string; partition: number; low: number; high: number }[]> {
    const out: { topic: string; partition: number; low: number; high: number }[] = [];
    for (const topic of topics) {
      for (const p of await this.admin.fetchTopicOffsets(topic)) out.push({ topic, partition: p.partition, low: Number(p.low), high: Number(p.high) });
    }
    return out;
  }

  /**
   * Disconnects, then deletes every topic this instance created (disconnect
   * every other client that used them first). Never throws.
   */
  async close(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
    const topics = [...this.created];
    this.created.clear();
    if (topics.length === 0) return;
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteTopics({ topics });
    } catch {
      // best effort: the names carry the run id
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
