/**
 * The benchmarks' workload: `clvstream generate`'s synthetic traffic
 * (src/app/generate.ts — a BG/NBD population with Gamma-Gamma order values,
 * returns, referrals, cancellations and NPS feedback; seeded), as per-topic
 * Kafka messages keyed by customer id (the topic mapping of
 * src/app/generate-kafka.ts) or as JSON lines (src/app/generate-run.ts).
 *
 * Simulated time starts on 1990-01-02 (EVENTS_EARLIEST is 1990-01-01): the
 * population makes from about 100k (50,000 customers) to a few thousand (10,000
 * customers, once the first purchases are done) events per simulated year, and
 * every event must lie in the past, or the service rejects it as from the
 * future. `notAfter` bounds a sequence at a wall-clock time.
 */
import type { Message, TopicMessages } from 'kafkajs';
import type { InboundTopics } from '../src/app/generate-kafka.js';
import { jsonLinesSink, runGenerator, type GenerateSummary } from '../src/app/generate-run.js';
import { syntheticTraffic, type GeneratedEvent } from '../src/app/generate.js';
import { LineOutput } from '../src/app/line-output.js';
import type { InboundType } from '../src/contracts/inbound.js';

export { inboundTopicsOf, type InboundTopics } from '../src/app/generate-kafka.js';

export const WORKLOAD_START_MS = Date.parse('1990-01-02T00:00:00Z');

export interface WorkloadOptions {
  readonly seed: number;
  /** Size of the simulated customer population. */
  readonly customers: number;
  /** Prefix of customer, order and event ids. */
  readonly idPrefix?: string;
  readonly startMs?: number;
}

/** One event as it goes to Kafka: the type's topic, the customer id as key, the JSON payload. */
export interface WorkloadRecord {
  readonly type: InboundType;
  readonly key: string;
  readonly eventId: string;
  /** Event time (occurred_at), epoch ms. */
  readonly atMs: number;
  readonly value: Buffer;
}

/** The generator's (endless, time-ordered) event sequence for these options. */
export function workloadEvents(options: WorkloadOptions): Generator<GeneratedEvent, void, undefined> {
  return syntheticTraffic({
    seed: options.seed,
    customers: options.customers,
    startMs: options.startMs ?? WORKLOAD_START_MS,
    currency: 'USD',
    idPrefix: options.idPrefix ?? `bench${options.seed}`,
  });
}

export function toRecord(e: GeneratedEvent): WorkloadRecord {
  return { type: e.type, key: e.key, eventId: e.event.event_id, atMs: e.atMs, value: Buffer.from(JSON.stringify(e.event)) };
}

/**
 * Reads records from a sequence: at most `count`, none with an event time after
 * `notAfterMs` (the sequence is time-ordered, so reading stops there).
 */
export class WorkloadReader {
  private readonly events: Iterator<GeneratedEvent>;
  private lookahead: GeneratedEvent | undefined;
  /** Records handed out so far. */
  taken = 0;
  /** True once the sequence reached `notAfterMs` (or ended). */
  exhausted = false;

  constructor(
    options: WorkloadOptions,
    private readonly notAfterMs: number = Date.now() - 86_400_000,
  ) {
    this.events = workloadEvents(options);
    this.lookahead = this.pull();
  }

  /** Skips `n` records (to continue where an earlier reader of the same options stopped). */
  skip(n: number): void {
    for (let i = 0; i < n && !this.exhausted; i++) this.next();
  }

  /** Up to `n` records. */
  take(n: number): WorkloadRecord[] {
    const out: WorkloadRecord[] = [];
    for (let i = 0; i < n && !this.exhausted; i++) {
      const e = this.next();
      if (e !== undefined) out.push(toRecord(e));
    }
    return out;
  }

  private next(): GeneratedEvent | undefined {
    const e = this.lookahead;
    if (e === undefined || e.atMs > this.notAfterMs) {
      this.exhausted = true;
      return undefined;
    }
    this.taken++;
    this.lookahead = this.pull();
    return e;
  }

  private pull(): GeneratedEvent | undefined {
    const step = this.events.next();
    return step.done === true ? undefined : step.value;
  }
}

/** Records grouped into one `TopicMessages` per inbound topic, keyed by customer id, in order. */
export function toTopicMessages(records: readonly WorkloadRecord[], topics: InboundTopics): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    const topic = topics[r.type];
    let messages = byTopic.get(topic);
    if (messages === undefined) byTopic.set(topic, (messages = []));
    messages.push({ key: r.key, value: r.value });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** Writes the first `count` events as JSON lines (a file, or stdout for '-'), through `clvstream generate`'s own sink. */
export async function writeJsonLines(options: WorkloadOptions, count: number, out: string): Promise<GenerateSummary> {
  const sink = jsonLinesSink(out === '-' ? LineOutput.toStream(process.stdout) : LineOutput.toFile(out));
  try {
    return await runGenerator({ events: workloadEvents(options), sink, maxEvents: count, pacing: null, endMs: Date.now() });
  } finally {
    await sink.close();
  }
}
