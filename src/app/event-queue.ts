/**
 * A binary min-heap of scheduled items ordered by (time, sequence): equal times
 * come out in the order they were scheduled, so a simulation driven by it is
 * deterministic.
 */
interface Entry<T> {
  readonly at: number;
  readonly seq: number;
  readonly item: T;
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class EventQueue<T> {
  private readonly entries: Entry<T>[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.entries.length;
  }

  push(at: number, item: T): void {
    const entries = this.entries;
    const entry: Entry<T> = { at, seq: this.nextSeq++, item };
    entries.push(entry);
    let i = entries.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = entries[parent] as Entry<T>;
      if (!before(entry, p)) break;
      entries[i] = p;
      i = parent;
    }
    entries[i] = entry;
  }

  /** Removes and returns the earliest item with its time, or undefined when empty. */
  pop(): { at: number; item: T } | undefined {
    const top = this.entries[0];
    if (top === undefined) return undefined;
    const last = this.entries.pop() as Entry<T>;
    if (this.entries.length > 0) this.siftDown(last);
    return { at: top.at, item: top.item };
  }

  private siftDown(entry: Entry<T>): void {
    const entries = this.entries;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= entries.length) break;
      const right = left + 1;
      const child = right < entries.length && before(entries[right] as Entry<T>, entries[left] as Entry<T>) ? right : left;
      const c = entries[child] as Entry<T>;
      if (!before(c, entry)) break;
      entries[i] = c;
      i = child;
    }
    entries[i] = entry;
  }
}
