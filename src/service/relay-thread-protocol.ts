/**
 * The messages between the runner's thread and the relay thread (threaded-relay.ts
 * ↔ relay-worker.ts). Plain data only: they cross `postMessage`.
 */
import type { KafkaClientSettings } from '../kafka/client.js';
import type { OutboundEncoderSettings } from '../kafka/outbound-encoder.js';
import type { Settings } from '../config/settings.js';
import type { RedisSettings } from '../state/connect.js';

/** What the relay thread needs to open its own Redis and Kafka connections. */
export type RelayThreadSettings = KafkaClientSettings & RedisSettings & OutboundEncoderSettings & Pick<Settings, 'LOG_LEVEL' | 'KAFKA_METADATA_MAX_AGE_MS'>;

export interface RelayThreadInit {
  readonly settings: RelayThreadSettings;
  /** Records per produce request. */
  readonly batchSize: number;
  /** Extra ioredis options (tests shorten timeouts); plain data only. */
  readonly redisOptions?: Record<string, unknown>;
  /** Extra kafkajs client options (tests shorten retries); plain data only. */
  readonly kafkaOverrides?: Record<string, unknown>;
}

/** Runner → relay thread. */
export type RelayCommand =
  | { readonly kind: 'relay'; readonly pass: number; readonly partition: number }
  /** The pass's partition was lost: end the pass after the read in progress. */
  | { readonly kind: 'halt'; readonly pass: number }
  /** Finish the passes in flight, disconnect and exit. */
  | { readonly kind: 'close' };

/** Relay thread → runner. */
export type RelayThreadMessage =
  | { readonly kind: 'done'; readonly pass: number; readonly relayed: number; readonly drained: boolean }
  | { readonly kind: 'failed'; readonly pass: number; readonly name: string; readonly message: string }
  /** Redis command timings of the thread's connection since the last report (for the runner's histogram). */
  | { readonly kind: 'redis'; readonly commands: readonly string[]; readonly seconds: Float64Array }
  /**
   * Records the broker acknowledged (for the metrics): topics by index into
   * `topics`, event times as epoch ms (NaN: none).
   */
  | {
      readonly kind: 'relayed';
      readonly partition: number;
      readonly ackedAtMs: number;
      readonly topics: readonly string[];
      readonly topicOf: Uint16Array;
      readonly eventTimes: Float64Array;
    };
