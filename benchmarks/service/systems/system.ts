/** What the bench needs of a running system under test, whatever runs it. */
import type { InboundType } from '../../../src/contracts/inbound.js';
import type { SystemKind } from '../options.js';
import type { TopicOffset } from '../topics.js';

/**
 * Fetch wait of every system's consumers. librdkafka's mock broker answers a fetch
 * that found no data only after the full wait, even when records arrive meanwhile
 * (a real broker answers as soon as they do), so kafkajs's default (5 s) would be
 * measured as end-to-end delay. The same short wait for all three systems; it is
 * also clvstream's default (KAFKA_FETCH_MAX_WAIT_MS), which with its
 * KAFKA_FETCH_MIN_BYTES makes it the linger before a live batch.
 */
export const FETCH_MAX_WAIT_MS = 25;

/**
 * Group timings of every system's consumers: a member that stops heartbeating
 * (a killed process) is out of the group after the session timeout, and only
 * then do its partitions move — so the recovery after a SIGKILL depends on it.
 * The same for clvstream and the peer (whose consumer default is 45 s).
 */
export const GROUP_SESSION_TIMEOUT_MS = 6_000;
export const GROUP_HEARTBEAT_INTERVAL_MS = 500;

export interface Progress {
  /** Inbound events handled since the start (backlog, then live traffic). */
  readonly handled: number;
  /** Events handled from the live phase's start offsets on (0 before it). */
  readonly live: number;
  /** When handled events were first seen, and how many there were then. */
  readonly first: { readonly at: number; readonly handled: number } | null;
  /** When `handled` last grew. */
  readonly lastAt: number | null;
  /** Work still waiting (clvstream: outbox entries, or when those are all gone, due checks not yet fired), else 0. */
  readonly pending: number;
  /** Changes whenever the group's assignment changes (sum of partition claims, or of group joins). */
  readonly generation: number;
}

export interface RunningSystem {
  readonly kind: SystemKind;
  readonly instances: number;
  /** e.g. "clvstream ×2". */
  readonly name: string;
  /**
   * The inbound event types it consumes. The Kafka Streams peer does not read
   * the interaction topic (its README): those events are in its workload, on a
   * topic it never subscribes to, and its progress counts the others.
   */
  readonly reads: readonly InboundType[];
  /** Process ids of the system's own processes (CPU accounting). */
  pids(): number[];
  /** Current progress; throws when a process of the system died. */
  progress(): Promise<Progress>;
  /**
   * Live traffic starts at these end offsets of the inbound topics: from there
   * on events count as live; a consumer still in the backlog skips the rest of it.
   */
  beginLive(offsets: readonly TopicOffset[]): Promise<void>;
  /** Anything worth knowing about the run (rebalances, rejected events, emission counts). */
  notes(): Promise<Record<string, unknown>>;
  /** Recent output lines of the processes (for error reports). */
  logTail(): string[];
  /** SIGKILLs every process and waits for them to be gone (the recovery phase); nothing is cleaned up. */
  kill(): Promise<void>;
  /** Stops every process (gracefully, then by force); never throws. */
  stop(): Promise<StopOutcome>;
}

export interface StopOutcome {
  /** Exit code (or signal name) of each process. */
  readonly exits: readonly (number | string | null)[];
  /** Processes that did not stop in time and were killed. */
  readonly killed: number;
  /** The last output lines of the killed processes. */
  readonly killedLog: readonly string[];
}

/** Keeps the last lines a child process wrote. */
export class LogTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(
    private readonly label: string,
    private readonly max = 30,
  ) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = (parts.pop() ?? '').slice(-2_000);
    for (const line of parts) {
      if (line.trim() === '') continue;
      this.lines.push(`[${this.label}] ${line.slice(0, 2_000)}`);
      if (this.lines.length > this.max) this.lines.shift();
    }
  }

  tail(): string[] {
    return this.partial === '' ? [...this.lines] : [...this.lines, `[${this.label}] ${this.partial}`];
  }
}
