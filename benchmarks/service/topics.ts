/**
 * Fresh topics per system and run: the nine topics of a clvstream deployment
 * under `<run>.<label>.` (the mock broker creates topics through its control
 * channel — it has no CreateTopics —, a real Kafka through the admin client),
 * end offsets, and deletion at the end.
 *
 * One instance per system, closed before the topics are deleted: a kafkajs
 * client keeps refreshing the metadata of every topic it ever used, and the
 * mock broker re-creates a deleted topic that a metadata request names.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { InboundType } from '../../src/contracts/inbound.js';
import { partitionOfKey } from '../../src/kafka/key-partition.js';
import type { MockKafkaControl } from '../../test/support/mock-kafka-control.js';
import type { InboundTopics, WorkloadRecord } from '../workload.js';

/**
 * The mock broker keeps about 5 MiB per partition and drops the oldest
 * batches beyond that (infra/mock-kafka/README.md): a backlog must stay well
 * below, or its first records are gone before any system reads them.
 */
export const MOCK_PARTITION_BUDGET_BYTES = 4 * 1024 * 1024;

/** Record batch header, and a record's own overhead besides key and value (Kafka record format v2, roughly). */
const BATCH_OVERHEAD = 61;
const RECORD_OVERHEAD = 12;

/** Bytes the largest topic-partition holds when `records` are produced in chunks of `chunk` to `partitions` partitions. */
export function largestPartitionBytes(records: readonly WorkloadRecord[], partitions: number, chunk: number): number {
  const bytes = new Map<string, number>();
  for (let i = 0; i < records.length; i += chunk) {
    const batches = new Set<string>();
    for (const r of records.slice(i, i + chunk)) {
      const tp = `${r.type}/${partitionOfKey(r.key, partitions)}`;
      let add = r.value.length + Buffer.byteLength(r.key) + RECORD_OVERHEAD;
      if (!batches.has(tp)) {
        batches.add(tp);
        add += BATCH_OVERHEAD;
      }
      bytes.set(tp, (bytes.get(tp) ?? 0) + add);
    }
  }
  return Math.max(0, ...bytes.values());
}

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
    private readonly control: MockKafkaControl | undefined,
  ) {}

  static async connect(kafka: Kafka, control: MockKafkaControl | undefined): Promise<Topics> {
    const admin = kafka.admin();
    await admin.connect();
    return new Topics(kafka, admin, control);
  }

  async create(prefix: string, label: string, partitions: number): Promise<TopicSet> {
    const name = (suffix: string): string => `${prefix}.${label}.${suffix}`;
    const inbound: Record<InboundType, string> = {
      purchase: name('purchases'),
      return: name('returns'),
      referral: name('referrals'),
      cancellation: name('cancellations'),
      feedback: name('feedback'),
    };
    const env: Record<string, string> = {
      TOPIC_PURCHASE: inbound.purchase,
      TOPIC_RETURN: inbound.return,
      TOPIC_REFERRAL: inbound.referral,
      TOPIC_CANCELLATION: inbound.cancellation,
      TOPIC_FEEDBACK: inbound.feedback,
      TOPIC_INTERNAL: name('internal'),
      TOPIC_SEGMENT_CHANGED: name('segment-changed'),
      TOPIC_CHURN_RISK: name('churn-risk'),
      TOPIC_DEAD_LETTER: name('dead-letter'),
    };
    const all = Object.values(env);
    for (const topic of all) {
      if (this.control) await this.control.topicCreate(topic, partitions);
      else await this.admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
      this.created.add(topic);
    }
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
    if (this.control) {
      for (const topic of topics) await this.control.topicDelete(topic).catch(() => undefined);
      return;
    }
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
