/**
 * Moves a partition's outbox to Kafka: read the oldest entries (each a commit's
 * records for one topic), produce their records with the idempotent producer
 * (acks from all in-sync replicas), and only then delete the entries from the
 * outbox. A crash between the two re-sends the entries on the next
 * relay (by this process or the partition's next owner): delivery is at least
 * once, and every record carries its deterministic id (the `clvstream-id`
 * header; for emissions also the payload's `event_id`) so consumers drop repeats.
 *
 * One relay pass runs at a time per partition, and a pass asked for meanwhile
 * follows it (pass-queue.ts); passes of different partitions run side by side.
 */
import type { Producer, ProducerConfig } from 'kafkajs';
import type { Settings } from '../config/settings.js';
import { producerRefusal } from '../kafka/authorization.js';
import type { OutboundEncoder } from '../kafka/outbound-encoder.js';
import { keyPartitioner } from '../kafka/key-partition.js';
import { splitByCountAndSize } from '../state/split.js';
import type { OutboxEntry, PartitionStore } from '../state/store.js';
import { PassQueue } from './pass-queue.js';

export const RECORD_ID_HEADER = 'clvstream-id';

/**
 * Records per outbox read and per produce request (RELAY_REQUEST_MAX_BYTES
 * permitting). Since the kafkajs patch writes a request in one pass, more of a
 * record's cost is per read, request and round trip, so larger reads pay off
 * (the alternating runs are in benchmarks/RESULTS.md).
 */
export const RELAY_BATCH_RECORDS = 2_000;

/**
 * At most this many bytes of values, keys and ids in one produce request (at
 * least one record): below a broker's default limit of 1 MB per record batch
 * even when every record goes to the same partition, as dead letters to a
 * one-partition topic can.
 */
export const RELAY_REQUEST_MAX_BYTES = 900_000;

/** What a record adds to a produce request beyond its value, key and id, at most (lengths, attributes, the header's name). */
const RECORD_OVERHEAD_BYTES = 48;

/**
 * The relay's producer, wherever it runs: idempotent with one request in flight
 * (no duplicates or reordering from the producer's own retries), partitioned by
 * key like the Java client.
 */
export const RELAY_PRODUCER_CONFIG = {
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
  createPartitioner: keyPartitioner,
} as const satisfies ProducerConfig;

/** The relay's producer for these settings: RELAY_PRODUCER_CONFIG, reading leaders as often as the consumer does. */
export function relayProducerOptions(settings: Pick<Settings, 'KAFKA_METADATA_MAX_AGE_MS'>): ProducerConfig {
  return { ...RELAY_PRODUCER_CONFIG, metadataMaxAge: settings.KAFKA_METADATA_MAX_AGE_MS };
}

/** What the metrics need of a relayed record. */
export interface RelayedRecord {
  readonly topic: string;
  /** Event time of what caused the record (epoch ms); null when none. */
  readonly eventTimeMs: number | null;
}

export interface RelayObserver {
  /** The broker acknowledged these records at `ackedAtMs`. */
  relayed?(partition: number, records: readonly RelayedRecord[], ackedAtMs: number): void;
  relayFailed?(partition: number, error: unknown): void;
}

/** A send the broker has not answered in this long is abandoned and the producer replaced. */
const SEND_TIMEOUT_MS = 30_000;

export class RelayTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the broker did not acknowledge an outbox batch within ${timeoutMs / 1000} s`);
    this.name = 'RelayTimeoutError';
  }
}

export interface RelayPassResult {
  readonly relayed: number;
  /** False when the pass stopped because it was asked to (more may be waiting). */
  readonly drained: boolean;
}

/** What the runner needs of a relay: the in-process one below, or one on its own thread (threaded-relay.ts). */
export interface Relay {
  /**
   * Relays partition p's outbox until it is empty or `stop` is aborted. Asked
   * while a pass of p runs, it runs once more after that pass (so it sees what
   * was committed meanwhile).
   */
  relay(p: number, stop?: AbortSignal): Promise<RelayPassResult>;
  /** Waits for the passes in flight and the follow-ups queued behind them. */
  idle(): Promise<void>;
  /** Releases the producer (and the thread, if any). */
  close(): Promise<void>;
}

export class OutboxRelay implements Relay {
  private readonly passes = new PassQueue<RelayPassResult>();
  private producer: Promise<Producer> | null = null;

  /**
   * `createProducer` makes an idempotent producer; the relay connects it on first
   * use and replaces it after a failed send (a producer whose sequence state no
   * longer matches the broker's, or a send that hangs, is not used again).
   */
  constructor(
    private readonly store: PartitionStore,
    private readonly createProducer: () => Producer,
    private readonly batchSize = RELAY_BATCH_RECORDS,
    private readonly observer: RelayObserver = {},
    /** Encodes outbound values in a registry wire format (OUTPUT_FORMAT); null sends the stored JSON. */
    private readonly encoder: OutboundEncoder | null = null,
    /** How long a send may go unanswered before the producer is replaced. */
    private readonly sendTimeoutMs = SEND_TIMEOUT_MS,
  ) {}

  /** Disconnects the current producer (shutdown). */
  async close(): Promise<void> {
    const current = this.producer;
    this.producer = null;
    if (current !== null) await current.then((p) => p.disconnect()).catch(() => undefined);
  }

  private connected(): Promise<Producer> {
    if (this.producer === null) {
      const producer = this.createProducer();
      const connecting = producer.connect().then(() => producer);
      connecting.catch(() => {
        if (this.producer === connecting) this.producer = null;
      });
      this.producer = connecting;
    }
    return this.producer;
  }

  /** Drops a producer that failed; the next pass makes a new one. */
  private discard(failed: Promise<Producer>): void {
    if (this.producer !== failed) return;
    this.producer = null;
    void failed.then((p) => p.disconnect()).catch(() => undefined);
  }

  /**
   * Relays partition p's outbox until it is empty or `stop` is aborted (checked
   * between reads). Asked while a pass of p runs, one more pass follows it.
   * Errors (broker or Redis down) propagate: the caller decides when to try again.
   */
  relay(p: number, stop?: AbortSignal): Promise<RelayPassResult> {
    return this.passes.run(p, () => this.pass(p, () => stop?.aborted !== true));
  }

  /** Waits for the passes in flight and queued (shutdown). */
  idle(): Promise<void> {
    return this.passes.idle();
  }

  private async pass(p: number, keepGoing: () => boolean): Promise<RelayPassResult> {
    let relayed = 0;
    try {
      while (keepGoing()) {
        const { entries, refs, more } = await this.store.readOutbox(p, this.batchSize);
        if (entries.length === 0) return { relayed, drained: true };
        // A read ends on a whole entry (one commit's records for a topic), so it
        // can hold more than a request: produce it a request at a time, then ack it all.
        for (const request of produceRequests(entries, this.batchSize)) await this.send(request);
        await this.store.ackOutbox(p, refs);
        relayed += entries.length;
        this.observer.relayed?.(p, entries, Date.now());
        if (!more) return { relayed, drained: true };
      }
      return { relayed, drained: false };
    } catch (error) {
      this.observer.relayFailed?.(p, error);
      throw error;
    }
  }

  private async send(entries: readonly OutboxEntry[]): Promise<void> {
    const producer = this.connected();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        producer.then(async (p) => p.sendBatch({ acks: -1, topicMessages: topicMessagesOf(this.encoder === null ? entries : await this.encoder.encode(entries)) })),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new RelayTimeoutError(this.sendTimeoutMs)), this.sendTimeoutMs))),
      ]);
    } catch (error) {
      this.discard(producer);
      // A missing ACL does not heal by retrying: the caller stops on this one (stream-runner.ts).
      throw producerRefusal(error, [...new Set(entries.map((e) => e.topic))]) ?? error;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Splits records, in order, into produce requests of at most `maxRecords`
 * records and `maxBytes` bytes (estimated from value, key and id; a record
 * larger than that goes alone).
 */
export function produceRequests<T extends Pick<OutboxEntry, 'key' | 'id' | 'value'>>(records: readonly T[], maxRecords: number, maxBytes = RELAY_REQUEST_MAX_BYTES): T[][] {
  return splitByCountAndSize(records, maxRecords, maxBytes, (r) => r.value.length + Buffer.byteLength(r.key) + Buffer.byteLength(r.id) + RECORD_OVERHEAD_BYTES);
}

/**
 * A record's headers. The key is written out, not computed from
 * RECORD_ID_HEADER: V8 builds a literal with a computed key through a runtime
 * call, a cost the relay paid per record. The type keeps the two the same.
 */
export function recordHeaders(id: string): { [RECORD_ID_HEADER]: string } {
  return { 'clvstream-id': id };
}

type RelayMessage = { key: string; value: string | Buffer; headers: Record<string, string> };

/** Entries grouped by topic, each topic's records in outbox order (Kafka keeps it per key's partition): one send's `topicMessages`. */
export function topicMessagesOf(entries: readonly (Pick<OutboxEntry, 'topic' | 'key' | 'id'> & { readonly value: string | Buffer })[]): { topic: string; messages: RelayMessage[] }[] {
  const byTopic = new Map<string, RelayMessage[]>();
  for (const e of entries) {
    let list = byTopic.get(e.topic);
    if (list === undefined) byTopic.set(e.topic, (list = []));
    list.push({ key: e.key, value: e.value, headers: recordHeaders(e.id) });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
