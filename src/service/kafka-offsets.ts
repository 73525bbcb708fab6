/**
 * Kafka's view of our progress. Redis holds the truth (state and offsets
 * together); the group's committed offsets are only brought up to it, for lag
 * tools, and lag is reported from what Redis stored against what the last
 * fetch saw at the log end.
 */
import type { Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import type { PartitionTask } from './partition-task.js';
import type { RunnerObserver } from './runner-observer.js';
import type { SourceTopic } from './source-topics.js';

/** Brings Kafka's group offsets up to what Redis holds (never ahead of it). */
export async function commitKafkaOffsets(consumer: Pick<Consumer, 'commitOffsets'>, tasks: Iterable<PartitionTask>, logger: Logger): Promise<void> {
  const offsets: { topic: string; partition: number; offset: string }[] = [];
  const done: [PartitionTask, string, bigint][] = [];
  for (const task of tasks) {
    if (task.closed || task.epoch === 0) continue;
    for (const [topic, next] of task.storedNext) {
      if ((task.kafkaCommitted.get(topic) ?? -1n) >= next) continue;
      offsets.push({ topic, partition: task.partition, offset: next.toString() });
      done.push([task, topic, next]);
    }
  }
  if (offsets.length === 0) return;
  try {
    await consumer.commitOffsets(offsets);
    for (const [task, topic, next] of done) task.kafkaCommitted.set(topic, next);
  } catch (error) {
    // A rebalance or a coordinator move: Redis has the truth; the next interval tries again.
    logger.debug({ err: error }, 'offset commit to Kafka skipped');
  }
}

/** Reports, per topic read, how far the stored offset is behind the high watermark the last fetch saw. */
export function observeLag(task: PartitionTask, sources: readonly SourceTopic[], observer: RunnerObserver | undefined): void {
  if (observer?.lag === undefined) return;
  for (const source of sources) {
    const high = task.highWatermark.get(source.topic) ?? 0n;
    const stored = task.storedNext.get(source.topic) ?? 0n;
    observer.lag(source.topic, task.partition, Number(high > stored ? high - stored : 0n));
  }
}
