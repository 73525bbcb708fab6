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
 */

export interface MergeRecord<T> {
  readonly queue: number;
  /** Kafka offset; records of one queue arrive in increasing offset order. */
  readonly offset: bigint;
  /** Event time in ms, or -Infinity for a record without one (a rejected message). */
  readonly time: number;
  readonly item: T;
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

  constructor(
    queueCount: number,
    private readonly maxWaitMs: number,
  ) {
    this.queues = Array.from({ length: queueCount }, () => ({ records: [], head: 0, caughtUp: false, waitingSince: null }));
  }

  push(queue: number, records: readonly MergeRecord<T>[], caughtUp: boolean): void {
    const q = this.queue(queue);
    for (const record of records) q.records.push(record);
    q.caughtUp = caughtUp;
  }

  /** Marks whether a queue currently has nothing more to fetch (next offset = high watermark). */
  setCaughtUp(queue: number, caughtUp: boolean): void {
    this.queue(queue).caughtUp = caughtUp;
  }

  buffered(queue: number): number {
    const q = this.queue(queue);
    return q.records.length - q.head;
  }

  /** The next record in merge order, or undefined when the merge must wait for a fetch. */
  next(nowMs: number): MergeRecord<T> | undefined {
    let best: MergeRecord<T> | undefined;
    for (const q of this.queues) {
      const head = q.records[q.head];
      if (head === undefined) {
        if (q.caughtUp) continue;
        q.waitingSince ??= nowMs;
        if (nowMs - q.waitingSince < this.maxWaitMs) return undefined;
        this.passedOver++;
        continue;
      }
      q.waitingSince = null;
      if (best === undefined || before(head, best)) best = head;
    }
    if (best === undefined) return undefined;
    const q = this.queue(best.queue);
    q.head++;
    if (q.head > 1024 && q.head * 2 > q.records.length) {
      q.records.splice(0, q.head);
      q.head = 0;
    }
    return best;
  }

  /** Forgets everything buffered (the partition was revoked). */
  clear(): void {
    for (const q of this.queues) {
      q.records.length = 0;
      q.head = 0;
      q.caughtUp = false;
      q.waitingSince = null;
    }
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
