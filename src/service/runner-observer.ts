/**
 * What the stream runner reports as it goes: one interface, implemented by
 * the metrics adapter (runner-metrics.ts) and by tests that watch a runner.
 */
import type { SkipReason } from '../ops/metrics.js';
import type { RelayObserver } from './outbox-relay.js';
import type { BatchOutcome, BatchRecord, SweepOutcome } from './partition-processor.js';
import type { RescoreObserver } from './rescore.js';

export type { SkipReason } from '../ops/metrics.js';

export interface RunnerObserver extends RelayObserver, RescoreObserver {
  assigned?(partitions: readonly number[]): void;
  revoked?(partition: number): void;
  batchCommitted?(partition: number, records: readonly BatchRecord[], outcome: BatchOutcome, seconds: number): void;
  /** A batch's commit failed (retried with backoff until it succeeds or the partition is lost). */
  batchFailed?(partition: number, error: unknown): void;
  /** A sweep round failed (the next tick or watermark day sweeps again). */
  sweepFailed?(partition: number, error: unknown): void;
  swept?(partition: number, outcome: SweepOutcome): void;
  fenced?(partition: number): void;
  recordsSkipped?(topic: string, partition: number, reason: SkipReason, count: number): void;
  /** kafkajs gave up on the consumer after an error and starts it again (it rejoins the group). */
  consumerRestarted?(error: Error): void;
  lag?(topic: string, partition: number, lag: number): void;
  /** How many partitions' positions hold back the partition's next record (0: not waiting), sampled each tick. */
  waitingFor?(partition: number, partitions: number): void;
}
