/**
 * End-to-end delay: the bench notes when it sent each live event (event id →
 * wall time just before the produce call) and its own consumer of the output
 * topics notes when each emission arrives; an emission caused by an event
 * (`cause: {kind: 'event', event_id}`, src/contracts/outbound.ts) has the delay
 * arrival − send. Timer-caused emissions and events from before the live phase
 * are not in the map and are ignored.
 *
 * The same delay is also split at the emission record's Kafka timestamp (the
 * create time its producer set when it sent it): send → published is the
 * system's part, published → seen the broker's and this consumer's.
 */
import { Kafka, logLevel } from 'kafkajs';
import { bounded, now } from '../clock.js';

export interface DelayStats {
  readonly emissions: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  readonly meanMs: number | null;
}

export function delayStats(values: readonly number[]): DelayStats {
  if (values.length === 0) return { emissions: 0, p50Ms: null, p99Ms: null, maxMs: null, meanMs: null };
  const sorted = Float64Array.from(values).sort();
  // Nearest rank: the smallest value with at least q of the values at or below it.
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { emissions: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1] as number, meanMs: sum / sorted.length };
}

const CAUSE = '"cause":{"kind":"event","event_id":"';

/**
 * The causing event id of a serialized emission. The emissions are written by
 * JSON.stringify in the contract's field order, so a string search finds it
 * without parsing the whole document; anything else is parsed.
 */
export function causeEventId(value: Buffer): string | undefined {
  const text = value.toString('utf8');
  const i = text.indexOf(CAUSE);
  if (i >= 0) {
    const start = i + CAUSE.length;
    const end = text.indexOf('"', start);
    const id = end > start ? text.slice(start, end) : '';
    if (!id.includes('\\')) return id || undefined;
  }
  try {
    const cause = (JSON.parse(text) as { cause?: { kind?: unknown; event_id?: unknown } }).cause;
    return cause?.kind === 'event' && typeof cause.event_id === 'string' ? cause.event_id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The observer's own fetch wait. The mock broker answers a fetch that found no
 * data only after the full wait, even when records arrive meanwhile, so this
 * wait is added to the measured delay of whatever emission arrives during it (a
 * real broker answers as soon as records arrive). The instrument should add as
 * little as it can: 10 ms, against the systems' 25 ms (FETCH_MAX_WAIT_MS).
 */
export const OBSERVER_FETCH_MAX_WAIT_MS = 10;

export interface DelaySplit {
  /** Send → the emission record's create time (set by the system's producer). */
  readonly published: DelayStats;
  /** That create time → seen by the bench's consumer (broker and instrument). */
  readonly seen: DelayStats;
}

/** A consumer of a system's output topics that matches emissions to the send times of the live events. */
export class EmissionObserver {
  private readonly sent = new Map<string, number>();
  private readonly delays: number[] = [];
  private readonly arrivals: number[] = [];
  private readonly toPublished: number[] = [];
  private readonly toSeen: number[] = [];
  private readonly consumer;
  /** Every output record seen (also timer-caused and pre-live ones). */
  records = 0;
  lastArrival = 0;

  constructor(
    brokers: readonly string[],
    private readonly topics: readonly string[],
    groupId: string,
  ) {
    const kafka = new Kafka({ clientId: `${groupId}-observer`, brokers: [...brokers], logLevel: logLevel.NOTHING });
    this.consumer = kafka.consumer({ groupId, sessionTimeout: 6_000, rebalanceTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: OBSERVER_FETCH_MAX_WAIT_MS });
  }

  /** Joins and starts fetching at the end of the topics; resolves after the first fetch (offsets resolved). */
  async start(timeoutMs: number): Promise<void> {
    let fetched!: () => void;
    const firstFetch = new Promise<void>((resolve) => (fetched = resolve));
    const off = this.consumer.on(this.consumer.events.FETCH, () => fetched());
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.topics], fromBeginning: false });
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        const arrival = now();
        for (const message of batch.messages) {
          this.records++;
          if (message.value === null) continue;
          const id = causeEventId(message.value);
          const sentAt = id === undefined ? undefined : this.sent.get(id);
          if (sentAt === undefined) continue;
          this.delays.push(arrival - sentAt);
          this.arrivals.push(arrival);
          const published = Number(message.timestamp);
          if (Number.isFinite(published) && published > 0) {
            this.toPublished.push(published - sentAt);
            this.toSeen.push(arrival - published);
          }
        }
        if (batch.messages.length > 0) this.lastArrival = arrival;
        return Promise.resolve();
      },
    });
    await bounded('output consumer: first fetch', firstFetch, timeoutMs);
    off();
  }

  /** Starts a phase's figures afresh: earlier samples, send times and record counts are dropped. */
  beginPhase(): void {
    this.sent.clear();
    this.delays.length = 0;
    this.arrivals.length = 0;
    this.toPublished.length = 0;
    this.toSeen.length = 0;
    this.records = 0;
  }

  /** Delays (ms) with their arrival times, of the emissions matched since the phase began. */
  samples(): { readonly arrival: number; readonly delay: number }[] {
    return this.arrivals.map((arrival, i) => ({ arrival, delay: this.delays[i] as number }));
  }

  /** Notes the send time of live events (call just before producing them). */
  noteSent(eventIds: readonly string[], at: number): void {
    for (const id of eventIds) this.sent.set(id, at);
  }

  stats(): DelayStats {
    return delayStats(this.delays);
  }

  split(): DelaySplit {
    return { published: delayStats(this.toPublished), seen: delayStats(this.toSeen) };
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}
