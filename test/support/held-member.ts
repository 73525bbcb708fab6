// An in-process group member whose commits can be held: tests of handovers
// use it to keep work left for the next owner while the group changes (one
// member consumes a test stream faster than the group can rebalance).
import type { RunnerObserver } from '../../src/service/runner-observer.js';
import type { StreamRunner } from '../../src/service/stream-runner.js';
import type { PartitionStore } from '../../src/state/store.js';

/** Opens and closes; while closed, `commit` calls wait at it. */
export class Gate {
  private opened: Promise<void> = Promise.resolve();
  private release: (() => void) | null = null;

  close(): void {
    if (this.release !== null) return;
    this.opened = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release?.();
    this.release = null;
  }

  passed(): Promise<void> {
    return this.opened;
  }
}

/**
 * A group member whose state commits (batches and sweeps) wait at its own gate,
 * on the real store; and what it committed, per partition, since the last reset.
 */
export function heldMember(t: { state: { store: PartitionStore }; runner: (member: { store?: PartitionStore; observer?: RunnerObserver }) => StreamRunner }) {
  const gate = new Gate();
  const real = t.state.store;
  const store = new Proxy(real, {
    get(target, property) {
      if (property === 'commit') {
        return async (...args: Parameters<PartitionStore['commit']>) => {
          await gate.passed();
          return target.commit(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  let commits = new Map<number, number>();
  let fenced = 0;
  const fencedOn = new Set<number>();
  let revokedOn = new Set<number>();
  const runner = t.runner({
    store,
    observer: {
      batchCommitted: (p) => commits.set(p, (commits.get(p) ?? 0) + 1),
      revoked: (p) => revokedOn.add(p),
      fenced: (p) => {
        fenced++;
        fencedOn.add(p);
      },
    },
  });
  return {
    gate,
    runner,
    /** Holds between `min` and `max` partitions, all claimed. */
    owns: (min: number, max: number): boolean => {
      const { assigned, unclaimed } = runner.status();
      return assigned.length >= min && assigned.length <= max && unclaimed.length === 0;
    },
    /** Committed at least `batches` batches on each partition it holds. */
    committedOnAll: (batches = 1): boolean => {
      const { assigned } = runner.status();
      return assigned.length > 0 && assigned.every((p) => (commits.get(p) ?? 0) >= batches);
    },
    resetCommits: (): void => {
      commits = new Map();
    },
    /** The partitions it lost to a rebalance since the last `resetRevoked`, ascending. */
    revokedOn: (): number[] => [...revokedOn].sort((x, y) => x - y),
    resetRevoked: (): void => {
      revokedOn = new Set();
    },
    /** Commits (batches or sweeps) the store refused because another member had claimed the partition since. */
    fenced: (): number => fenced,
    /** The partitions it was fenced on, ascending. */
    fencedOn: (): number[] => [...fencedOn].sort((x, y) => x - y),
  };
}
