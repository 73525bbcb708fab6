/** The settings the stream runner reads (config/settings.ts documents each). */
import type { Settings } from '../config/settings.js';
import type { OutboundEncoderSettings } from '../kafka/outbound-encoder.js';
import type { TopicNameSettings } from '../kafka/topic-plan.js';

export type RunnerSettings = Pick<
  Settings,
  | 'KAFKA_GROUP_ID'
  | 'KAFKA_SESSION_TIMEOUT_MS'
  | 'KAFKA_HEARTBEAT_INTERVAL_MS'
  | 'KAFKA_FETCH_MAX_WAIT_MS'
  | 'KAFKA_FETCH_MIN_BYTES'
  | 'KAFKA_OFFSET_COMMIT_INTERVAL_MS'
  | 'KAFKA_METADATA_MAX_AGE_MS'
  | 'RUN_BATCH_MAX_RECORDS'
  | 'RUN_MAX_BUFFERED_RECORDS'
  | 'RUN_MERGE_MAX_WAIT_MS'
  | 'RUN_BATCH_LINGER_MS'
  | 'RUN_SWEEP_INTERVAL_MS'
  | 'RUN_IDLE_WATERMARK_SECONDS'
  | 'RUN_SHUTDOWN_TIMEOUT_SECONDS'
> &
  TopicNameSettings &
  Partial<Pick<Settings, 'ON_PROCESSING_ERROR' | 'RESCORE_CUSTOMERS_PER_SECOND' | 'RESCORE_CHUNK_CUSTOMERS'>> &
  OutboundEncoderSettings;
