/** A worker's counters, and the live phase's start offsets below which the rest of the backlog is skipped. */
import { now } from '../clock.js';
import type { TopicOffset } from '../topics.js';
import type { WorkerCounters } from './protocol.js';

export class Tracker {
  readonly counters: WorkerCounters = {
    handled: 0,
    live: 0,
    firstAt: null,
    firstHandled: 0,
    lastAt: null,
    emitted: 0,
    rejected: 0,
    applied: 0,
    assigned: 0,
    joins: 0,
  };
  private liveFrom: Map<string, number> | null = null;
  /** Set when the counters changed since the last report. */
  dirty = false;
  /** Called once, right after the first handled events (so the bench sees the start without waiting for a tick). */
  onFirst: () => void = () => undefined;

  get liveMode(): boolean {
    return this.liveFrom !== null;
  }

  setLive(offsets: readonly TopicOffset[]): void {
    this.liveFrom = new Map(offsets.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
  }

  /** True for a backlog record the live phase skips (below its partition's live start offset). */
  skip(topic: string, partition: number, offset: string): boolean {
    if (this.liveFrom === null) return false;
    const from = this.liveFrom.get(`${topic}\u0000${partition}`);
    return from !== undefined && Number(offset) < from;
  }

  /** `n` records handled just now; `live`: they were taken after the live phase began (default: whether it has). */
  done(n: number, live: boolean = this.liveMode): void {
    if (n <= 0) return;
    const c = this.counters;
    const t = now();
    c.handled += n;
    if (live) c.live += n;
    c.lastAt = t;
    this.dirty = true;
    if (c.firstAt === null) {
      c.firstAt = t;
      c.firstHandled = c.handled;
      this.onFirst();
    }
  }
}
