/**
 * The IPC messages between the bench and its bare/naive worker processes
 * (child_process.fork + process.send). Workers push their counters; the
 * bench only reads the latest — IPC keeps the counters exact and costs the
 * worker one small message every 50 ms.
 */
import type { InboundType } from '../../../src/contracts/inbound.js';
import type { TopicOffset } from '../topics.js';

export interface WorkerConfig {
  readonly kind: 'bare' | 'naive';
  readonly index: number;
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly groupId: string;
  readonly inbound: Readonly<Record<InboundType, string>>;
  /** naive: where emissions go, and its Redis. */
  readonly segmentChanged?: string;
  readonly churnRisk?: string;
  readonly redisUrl?: string;
  readonly keyPrefix?: string;
}

export interface WorkerCounters {
  /** Messages handled (skipped backlog not counted). */
  handled: number;
  /** Messages handled at or after the live start offsets. */
  live: number;
  firstAt: number | null;
  /** `handled` right after the first batch or message (excluded from the rate: its work began before firstAt). */
  firstHandled: number;
  lastAt: number | null;
  /** naive: emissions produced; events rejected by the contracts; inputs applied (with referral hops). */
  emitted: number;
  rejected: number;
  applied: number;
  /** Partitions (over all topics) assigned at the last group join; group joins so far (1: no rebalance). */
  assigned: number;
  joins: number;
}

export type ToWorker = { cmd: 'start' } | { cmd: 'live'; offsets: readonly TopicOffset[] } | { cmd: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; counters: WorkerCounters }
  | { type: 'live-ack' }
  | { type: 'fatal'; message: string };
