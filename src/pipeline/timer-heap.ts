/**
 * In-memory due-check index: a binary min-heap of (day, customer). Entries are not
 * removed when a customer's next check moves; the caller compares a popped entry
 * with the state's current `nextCheckDay` and ignores stale ones (lazy deletion).
 */
export interface DueCheck {
  readonly day: number;
  readonly customerId: string;
}

function before(a: DueCheck, b: DueCheck): boolean {
  return a.day < b.day || (a.day === b.day && a.customerId < b.customerId);
}

export class TimerHeap {
  private readonly items: DueCheck[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: DueCheck): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as DueCheck;
      if (!before(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  /** Removes and returns the earliest check due on or before `day`, if any. */
  popDue(day: number): DueCheck | undefined {
    const top = this.items[0];
    if (top === undefined || top.day > day) return undefined;
    const last = this.items.pop() as DueCheck;
    if (this.items.length > 0) this.siftDown(last);
    return top;
  }

  private siftDown(item: DueCheck): void {
    const items = this.items;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && before(items[right] as DueCheck, items[left] as DueCheck) ? right : left;
      const c = items[child] as DueCheck;
      if (!before(c, item)) break;
      items[i] = c;
      i = child;
    }
    items[i] = item;
  }
}
