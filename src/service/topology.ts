/**
 * The start-up check of the topics a processor depends on. Co-partitioning is
 * what keeps a customer's events on one owner, so the source topics must exist
 * with one partition count; the output topics must exist (the producer does not
 * create topics: a typo in a topic name should stop the service, not silently
 * create a topic nobody reads). An optional source (the interaction topic, added
 * after the others) may be missing: the service then runs without it, and it
 * must have the same partition count when it exists.
 */
import type { Admin } from 'kafkajs';
import type { SourceTopic } from './source-topics.js';

export interface Topology {
  /** Partitions of every source topic. */
  readonly partitionCount: number;
  /** Optional source topics the broker does not have (not read until created and the service restarted). */
  readonly missingOptional: readonly string[];
}

export class TopologyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopologyError';
  }
}

export async function checkTopology(admin: Admin, sources: readonly SourceTopic[], outputs: readonly string[]): Promise<Topology> {
  const existing = new Set(await admin.listTopics());
  const missingOptional = sources.filter((s) => s.optional && !existing.has(s.topic)).map((s) => s.topic);
  const read = sources.filter((s) => !missingOptional.includes(s.topic));
  const wanted = [...new Set([...read.map((s) => s.topic), ...outputs])];
  const missing = wanted.filter((t) => !existing.has(t));
  if (missing.length > 0) {
    // A broker with an authorizer lists only the topics the principal may describe,
    // so each topic is named with the permission the service needs on it.
    const needs = (topic: string): string => {
      const ops = [read.some((s) => s.topic === topic) ? 'Read' : '', outputs.includes(topic) ? 'Write' : ''].filter((op) => op !== '');
      return `${topic} (needs ${ops.join(' and ')})`;
    };
    throw new TopologyError(
      `missing Kafka topics: ${missing.map(needs).join(', ')} (create them, or set the TOPIC_* settings to existing ones; on a broker with ACLs, a topic this principal is not authorized for is not shown either: grant what each needs, docs/operations.md lists the ACLs the service needs)`,
    );
  }
  const { topics } = await admin.fetchTopicMetadata({ topics: read.map((s) => s.topic) });
  const counts = new Map(topics.map((t) => [t.name, t.partitions.length]));
  const distinct = new Set(counts.values());
  if (distinct.size !== 1) {
    const detail = read.map((s) => `${s.topic}=${counts.get(s.topic) ?? '?'}`).join(', ');
    throw new TopologyError(
      `the source topics must have the same number of partitions (a customer's events must meet on one partition number); got ${detail}`,
    );
  }
  const partitionCount = distinct.values().next().value as number;
  if (partitionCount < 1) throw new TopologyError('the source topics have no partitions');
  return { partitionCount, missingOptional };
}
