/**
 * Scheduled items ordered by (time, sequence): equal times come out in the
 * order they were scheduled, so a simulation driven by it is deterministic.
 */
import { MinHeap } from '../pipeline/min-heap.js';

interface Entry<T> {
  readonly at: number;
  readonly seq: number;
  readonly item: T;
}

export class EventQueue<T> {
  private readonly heap = new MinHeap<Entry<T>>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private nextSeq = 0;

  get size(): number {
    return this.heap.size;
  }

  push(at: number, item: T): void {
    this.heap.push({ at, seq: this.nextSeq++, item });
  }

  /** Removes and returns the earliest item with its time, or undefined when empty. */
  pop(): { at: number; item: T } | undefined {
    const top = this.heap.pop();
    return top === undefined ? undefined : { at: top.at, item: top.item };
  }
}
