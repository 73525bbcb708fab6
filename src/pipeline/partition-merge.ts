/**
 * A deterministic merge of one partition's input queues (the five inbound topics
 * and the internal topic, all partition p).
 *
 * Kafka orders records within a topic-partition only; how fetches from different
 * topics interleave depends on timing. If the processor applied records in
 * arrival order, a restart (or a replay) could apply the same records in another
 * order and end in a different state — different emission sequence numbers,
 * different memories. So records are taken in a total order that depends only on
 * the data: smallest (event time, topic index, offset) among the queue heads —
 * and only once every queue either has a head or is caught up (its next offset is
 * the high watermark: nothing more exists right now). A queue that is neither for
 * longer than `maxWaitMs` of wall clock (a slow fetch) is passed over, which is
 * the one place where timing can still change the order; it is counted.
 *
 * After a crash the merge restarts from the stored per-topic offsets with the same
 * remaining contents, and the greedy choice makes the same picks: the state after
 * a crash equals the state of a run without one.
 *
 * With a settle gate, the internal topic's records are not a queue but a held
 * set, taken in (time they take hold, event id) order, and the merge also
 * waits for the other partitions: a record of time t (inbound or internal) is
 * taken only once every partition's announced position is past t − settle
 * delay, i.e. once every referral effect that takes hold by t has arrived, and
 * after the held effects that take hold by t. Every effect is caused at least
 * one settle delay before it takes hold, so the partition with the smallest
 * next time can always go on: nothing waits for ever. What a partition still
 * waits for is `waitingFor`.
 */
import { MinHeap } from './min-heap.js';

export interface MergeRecord<T> {
  readonly queue: number;
  /** Kafka offset; records of one queue arrive in increasing offset order. */
  readonly offset: bigint;
  /** Event time in ms (for a referral effect: when it takes hold), or -Infinity for a record without one (a rejected message). */
  readonly time: number;
  /** Orders internal records of equal time (their event id): the replay's order, whatever the arrival. */
  readonly tie?: string;
  readonly item: T;
}

/** The merge's wait for the other partitions (see the header); without one, the internal topic is a queue like the others. */
export interface SettleGate {
  /** The queue internal records arrive on. */
  readonly internalQueue: number;
  /** Partitions that send internal records: every partition of the co-partitioned topics. */
  readonly partitions: number;
  /** REFERRAL_SETTLE_DAYS in ms (> 0). */
  readonly settleMs: number;
  /**
   * The position of an inbound queue that is caught up and empty: the earliest
   * time a record still to come is expected to have (the service: a while
   * before now; a back-fill, whose queues are complete: +Infinity).
   */
  readonly idlePosition: (nowMs: number) => number;
}

interface Queue<T> {
  readonly records: MergeRecord<T>[];
  head: number;
  caughtUp: boolean;
  /** Wall-clock ms since which this queue has had neither a head nor caught-up status. */
  waitingSince: number | null;
}

export class PartitionMerge<T> {
  private readonly queues: Queue<T>[];
  /** Times a queue was passed over after `maxWaitMs` (order may then depend on timing). */
  passedOver = 0;
  private readonly held = new MinHeap<MergeRecord<T>>(settlesFirst);
  /** Offsets of held internal records in arrival (offset) order, with those taken since: the smallest still held is the resume offset. */
  private readonly heldOffsets: bigint[] = [];
  private heldOffsetsHead = 0;
  private readonly takenOffsets = new Set<bigint>();
  /** Next offset of the internal topic after everything pushed or noted (progress records included). */
  private internalEnd: bigint | null = null;
  /** Announced position per partition; -Infinity until one is heard. */
  private readonly positions: number[];
  /** Per partition, the smallest head it announced initially (see notePosition). */
  private readonly initialHeads: (number | undefined)[];
  /** Time of the latest inbound record taken (what a queue still being fetched is expected to continue from). */
  private lastTakenTime = -Infinity;

  constructor(
    queueCount: number,
    private readonly maxWaitMs: number,
    private readonly gate: SettleGate | null = null,
  ) {
    this.queues = Array.from({ length: queueCount }, () => ({ records: [], head: 0, caughtUp: false, waitingSince: null }));
    this.positions = Array.from({ length: gate?.partitions ?? 0 }, () => -Infinity);
    this.initialHeads = Array.from({ length: gate?.partitions ?? 0 }, (): number | undefined => undefined);
  }

  /** `nextOffset`: for the internal queue, the offset after the fetched batch (progress records were taken out of it). */
  push(queue: number, records: readonly MergeRecord<T>[], caughtUp: boolean, nextOffset?: bigint): void {
    const q = this.queue(queue);
    if (queue === this.gate?.internalQueue) {
      for (const record of records) {
        this.held.push(record);
        this.heldOffsets.push(record.offset);
      }
      const end = nextOffset ?? (records.length > 0 ? (records[records.length - 1] as MergeRecord<T>).offset + 1n : null);
      if (end !== null && (this.internalEnd === null || end > this.internalEnd)) this.internalEnd = end;
    } else {
      for (const record of records) q.records.push(record);
    }
    q.caughtUp = caughtUp;
  }

  /** The queue internal records arrive on when the merge waits on the other partitions, else null. */
  get internalQueue(): number | null {
    return this.gate?.internalQueue ?? null;
  }

  /**
   * A partition's announced position (a progress record); positions only move
   * forward. An initial announcement (a partition that knows no positions yet
   * and has taken nothing) gives its head only: once every partition's is
   * known, each partition's position is its head, capped at the smallest head
   * plus the settle delay (nothing anyone causes after that takes hold
   * earlier). A partition's first initial announcement predates every effect,
   * since no partition takes anything before it has heard all of them.
   */
  notePosition(source: number, position: number, initial = false): void {
    if (initial) {
      const head = this.initialHeads[source];
      if (source < this.initialHeads.length && (head === undefined || position < head)) this.initialHeads[source] = position;
      this.resolveInitial();
      return;
    }
    const known = this.positions[source];
    if (known !== undefined && position > known) this.positions[source] = position;
  }

  /** Every partition's announced position as known here (-Infinity: none yet), for storing with a commit. */
  knownPositions(): readonly number[] {
    return this.positions;
  }

  /**
   * What this partition announces: its position once every partition's is
   * known — the earliest time of anything it has still to take, capped at the
   * smallest known position plus the settle delay (what has not arrived yet
   * was caused at or after its sender's position) — else its head, as an
   * initial announcement, once that is known. Null when nothing can be said.
   */
  announcement(nowMs: number): { position: number; initial: boolean } | null {
    const gate = this.gate;
    if (gate === null) return null;
    const head = this.head(nowMs, gate);
    if (head === -Infinity) return null;
    let lowest = Infinity;
    for (const at of this.positions) if (at < lowest) lowest = at;
    if (lowest === -Infinity) return { position: head, initial: true };
    return { position: Math.min(head, lowest + gate.settleMs), initial: false };
  }

  /** The earliest time of anything this partition has still to take: held effects (which may cause more) and inbound queues. */
  private head(nowMs: number, gate: SettleGate): number {
    let head = this.held.peek()?.time ?? Infinity;
    this.queues.forEach((q, index) => {
      if (index === gate.internalQueue) return;
      const first = q.records[q.head];
      const at = first !== undefined ? first.time : q.caughtUp ? gate.idlePosition(nowMs) : this.lastTakenTime;
      if (at < head) head = at;
    });
    return head;
  }

  private resolveInitial(): void {
    const gate = this.gate;
    if (gate === null || this.initialHeads.length === 0) return;
    let lowest = Infinity;
    for (const head of this.initialHeads) {
      if (head === undefined) return;
      if (head < lowest) lowest = head;
    }
    this.initialHeads.forEach((head, source) => this.notePosition(source, Math.min(head as number, lowest + gate.settleMs)));
  }

  /** The internal topic's offset a restart must read from: the smallest still held, else the end of what arrived. */
  internalResumeOffset(): bigint | null {
    while (this.heldOffsetsHead < this.heldOffsets.length && this.takenOffsets.delete(this.heldOffsets[this.heldOffsetsHead] as bigint)) this.heldOffsetsHead++;
    if (this.heldOffsetsHead > 1024 && this.heldOffsetsHead * 2 > this.heldOffsets.length) {
      this.heldOffsets.splice(0, this.heldOffsetsHead);
      this.heldOffsetsHead = 0;
    }
    return this.heldOffsets[this.heldOffsetsHead] ?? this.internalEnd;
  }

  /** Partitions whose position keeps the next record waiting, or an empty list. */
  waitingFor(nowMs: number): number[] {
    const gate = this.gate;
    if (gate === null) return [];
    const next = this.peekTime(nowMs);
    if (next === undefined) return [];
    const limit = next - gate.settleMs;
    return this.positions.flatMap((at, source) => (at > limit ? [] : [source]));
  }

  /** Marks whether a queue currently has nothing more to fetch (next offset = high watermark). */
  setCaughtUp(queue: number, caughtUp: boolean): void {
    this.queue(queue).caughtUp = caughtUp;
  }

  buffered(queue: number): number {
    if (queue === this.gate?.internalQueue) return this.held.size;
    const q = this.queue(queue);
    return q.records.length - q.head;
  }

  /** The next record in merge order, or undefined when the merge must wait for a fetch or, with a gate, for another partition. */
  next(nowMs: number): MergeRecord<T> | undefined {
    const choice = this.choose(nowMs);
    if (choice === undefined) return undefined;
    if (choice.held) {
      this.held.pop();
      this.takenOffsets.add(choice.record.offset);
      return choice.record;
    }
    const record = choice.record;
    const q = this.queue(record.queue);
    q.head++;
    if (q.head > 1024 && q.head * 2 > q.records.length) {
      q.records.splice(0, q.head);
      q.head = 0;
    }
    if (record.time > this.lastTakenTime) this.lastTakenTime = record.time;
    return record;
  }

  /** Time of the record the merge would take next if no partition held it back. */
  private peekTime(nowMs: number): number | undefined {
    const inbound = this.inboundHead(nowMs, false);
    const held = this.held.peek();
    if (held !== undefined && held.time <= inbound.bound) return held.time;
    return inbound.record?.time;
  }

  private choose(nowMs: number): { record: MergeRecord<T>; held: boolean } | undefined {
    const inbound = this.inboundHead(nowMs, true);
    const held = this.held.peek();
    // An effect goes before inbound records of its time or later.
    if (held !== undefined && held.time <= inbound.bound) return this.admits(held.time) ? { record: held, held: true } : undefined;
    if (inbound.record === undefined) return undefined;
    return this.admits(inbound.record.time) ? { record: inbound.record, held: false } : undefined;
  }

  /**
   * The smallest head among the inbound queues, and the bound below which no
   * inbound record can still come: its time, the latest time taken while a
   * queue is still being fetched, or +Infinity when every queue is caught up and empty.
   */
  private inboundHead(nowMs: number, count: boolean): { record: MergeRecord<T> | undefined; bound: number } {
    let best: MergeRecord<T> | undefined;
    let waiting = false;
    const internalQueue = this.gate?.internalQueue;
    // A plain loop: this runs for every record taken.
    for (let index = 0; index < this.queues.length; index++) {
      if (index === internalQueue) continue;
      const q = this.queues[index] as Queue<T>;
      const head = q.records[q.head];
      if (head === undefined) {
        if (q.caughtUp) continue;
        q.waitingSince ??= nowMs;
        if (nowMs - q.waitingSince < this.maxWaitMs) waiting = true;
        else if (count) this.passedOver++;
        continue;
      }
      q.waitingSince = null;
      if (best === undefined || before(head, best)) best = head;
    }
    if (waiting) return { record: undefined, bound: this.gate === null ? -Infinity : this.lastTakenTime };
    // A late head goes after the effects that take hold by the latest time taken (as the replay does).
    return { record: best, bound: best === undefined ? Infinity : Math.max(best.time, this.lastTakenTime) };
  }

  /** Whether every partition has announced a position past `time` − settle delay (always, without a gate, or for a record without a time). */
  private admits(time: number): boolean {
    const gate = this.gate;
    if (gate === null || time === -Infinity) return true;
    const limit = time - gate.settleMs;
    for (const at of this.positions) if (at <= limit) return false;
    return true;
  }

  /** Forgets everything buffered (the partition was revoked). */
  clear(): void {
    for (const q of this.queues) {
      q.records.length = 0;
      q.head = 0;
      q.caughtUp = false;
      q.waitingSince = null;
    }
    while (this.held.pop() !== undefined);
    this.heldOffsets.length = 0;
    this.heldOffsetsHead = 0;
    this.takenOffsets.clear();
    this.internalEnd = null;
    this.positions.fill(-Infinity);
    this.initialHeads.fill(undefined);
    this.lastTakenTime = -Infinity;
  }

  private queue(index: number): Queue<T> {
    const q = this.queues[index];
    if (q === undefined) throw new RangeError(`no merge queue ${index}`);
    return q;
  }
}

function before<T>(a: MergeRecord<T>, b: MergeRecord<T>): boolean {
  if (a.time !== b.time) return a.time < b.time;
  if (a.queue !== b.queue) return a.queue < b.queue;
  return a.offset < b.offset;
}

/** Held internal records: by the time they take hold, then event id (the replay's order), then offset. */
function settlesFirst<T>(a: MergeRecord<T>, b: MergeRecord<T>): boolean {
  if (a.time !== b.time) return a.time < b.time;
  const ta = a.tie ?? '';
  const tb = b.tie ?? '';
  if (ta !== tb) return ta < tb;
  return a.offset < b.offset;
}
