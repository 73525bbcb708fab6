/**
 * The Kafka side of `clvstream generate`: each event to its type's topic, keyed
 * by customer id with the default (murmur2, Java-compatible) partitioner — the
 * partitioning clvstream expects of upstream producers.
 */
import { Partitioners, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import type { Settings } from '../config/settings.js';
import type { InboundType } from '../contracts/inbound.js';
import type { EventSink } from './generate-run.js';

export type InboundTopics = Readonly<Record<InboundType, string>>;

export function inboundTopicsOf(
  settings: Pick<Settings, 'TOPIC_PURCHASE' | 'TOPIC_RETURN' | 'TOPIC_REFERRAL' | 'TOPIC_CANCELLATION' | 'TOPIC_FEEDBACK' | 'TOPIC_INTERACTION'>,
): InboundTopics {
  return {
    purchase: settings.TOPIC_PURCHASE,
    return: settings.TOPIC_RETURN,
    referral: settings.TOPIC_REFERRAL,
    cancellation: settings.TOPIC_CANCELLATION,
    feedback: settings.TOPIC_FEEDBACK,
    interaction: settings.TOPIC_INTERACTION,
  };
}

/** An idempotent producer (connected) wrapped as a sink; closing it disconnects the producer. */
export async function kafkaEventSink(kafka: Kafka, topics: InboundTopics): Promise<EventSink> {
  const producer: Producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  return {
    async send(events) {
      const byTopic = new Map<string, Message[]>();
      for (const e of events) {
        const topic = topics[e.type];
        let messages = byTopic.get(topic);
        if (messages === undefined) byTopic.set(topic, (messages = []));
        // The record timestamp stays the send time: time-based retention works on it,
        // and simulated event times may lie years back.
        messages.push({ key: e.key, value: JSON.stringify(e.event) });
      }
      const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      await producer.sendBatch({ topicMessages, acks: -1 });
    },
    close: () => producer.disconnect(),
  };
}
