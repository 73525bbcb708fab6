/**
 * In-memory due-check index: a min-heap of (day, customer). Entries are not
 * removed when a customer's next check moves; the caller compares a popped entry
 * with the state's current `nextCheckDay` and ignores stale ones (lazy deletion).
 */
import { MinHeap } from './min-heap.js';

export interface DueCheck {
  readonly day: number;
  readonly customerId: string;
}

function before(a: DueCheck, b: DueCheck): boolean {
  return a.day < b.day || (a.day === b.day && a.customerId < b.customerId);
}

export class TimerHeap {
  private readonly heap = new MinHeap<DueCheck>(before);

  get size(): number {
    return this.heap.size;
  }

  push(item: DueCheck): void {
    this.heap.push(item);
  }

  /** Removes and returns the earliest check due on or before `day`, if any. */
  popDue(day: number): DueCheck | undefined {
    const top = this.heap.peek();
    return top === undefined || top.day > day ? undefined : this.heap.pop();
  }
}
