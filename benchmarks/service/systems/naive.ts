/**
 * A processor written the way a typical team would: kafkajs eachMessage, and
 * per event, one round trip after another — decode and validate with the
 * project's contracts (decodeBytes: JSON.parse, the zod schemas of
 * src/contracts/inbound.ts, the input rules), GET the customer's state (a JSON
 * string under its own key prefix), apply the project's pure reducer, SET the
 * state back and `await producer.send(...)` each emission (the same emission
 * JSON clvstream writes, so the same delay measurement works). Referral effects
 * on other customers are applied right away the same way.
 *
 * What it leaves out compared with clvstream: exactly-once (offsets and state
 * are not committed together), event-time ordering across topics, due checks
 * (no timers: customers never turn "at risk" by themselves), dead letters
 * (invalid events are counted and dropped) and the re-routing of misrouted
 * events — so it does less work per event than clvstream.
 */
import { Redis } from 'ioredis';
import { Partitioners, type EachMessageHandler, type Kafka } from 'kafkajs';
import { loadSettings } from '../../../src/config/index.js';
import { domainParametersFrom, ingestRulesFrom } from '../../../src/config/runtime-parameters.js';
import type { InboundType } from '../../../src/contracts/inbound.js';
import type { DomainInput } from '../../../src/domain/input.js';
import { UNFITTED_MODEL } from '../../../src/domain/model-snapshot.js';
import { reduce, type ReduceContext } from '../../../src/domain/reducer.js';
import type { CustomerState } from '../../../src/domain/state.js';
import { decodeBytes } from '../../../src/ingest/decode.js';
import type { WorkerConfig } from './protocol.js';
import type { Tracker } from './tracker.js';

/** Referral chains are one hop (referral → attribution → credit); the bound only guards against a loop. */
const MAX_INPUTS_PER_EVENT = 100;

export interface NaiveProcessor {
  readonly eachMessage: EachMessageHandler;
  close(): Promise<void>;
}

export async function naiveProcessor(kafka: Kafka, config: WorkerConfig, tracker: Tracker): Promise<NaiveProcessor> {
  const { segmentChanged, churnRisk, redisUrl, keyPrefix } = config;
  if (!segmentChanged || !churnRisk || !redisUrl || !keyPrefix) throw new Error('the naive processor needs output topics, a Redis URL and a key prefix');
  const settings = loadSettings({ env: {} });
  const rules = ingestRulesFrom(settings);
  const ctx: ReduceContext = { model: UNFITTED_MODEL, parameters: domainParametersFrom(settings) };
  const typeOfTopic = new Map<string, InboundType>(Object.entries(config.inbound).map(([type, topic]) => [topic, type as InboundType]));

  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();

  const apply = async (first: DomainInput): Promise<void> => {
    const queue: DomainInput[] = [first];
    for (let i = 0; i < MAX_INPUTS_PER_EVENT && queue.length > 0; i++) {
      const input = queue.shift() as DomainInput;
      const key = `${keyPrefix}c:${input.customerId}`;
      const stored = await redis.get(key);
      const previous = stored === null ? undefined : (JSON.parse(stored) as CustomerState);
      const reduction = reduce(previous, input, ctx);
      tracker.counters.applied++;
      if (!reduction.applied) continue; // a repeat of a recent event
      await redis.set(key, JSON.stringify(reduction.state));
      for (const emission of reduction.emits) {
        await producer.send({
          topic: emission.type === 'segment-changed' ? segmentChanged : churnRisk,
          messages: [{ key: emission.customer_id, value: JSON.stringify(emission) }],
        });
        tracker.counters.emitted++;
      }
      queue.push(...reduction.internal);
    }
  };

  return {
    eachMessage: async ({ topic, partition, message }) => {
      if (tracker.skip(topic, partition, message.offset)) return;
      const live = tracker.liveMode;
      const decoded = decodeBytes(message.value, typeOfTopic.get(topic) ?? null, rules, Date.now());
      if (decoded.tag === 'input') await apply(decoded.input);
      else tracker.counters.rejected++; // a typical team logs and moves on
      tracker.done(1, live);
    },
    async close() {
      await producer.disconnect().catch(() => undefined);
      await redis.quit().catch(() => undefined);
    },
  };
}
