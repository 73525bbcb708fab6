/**
 * The clock and timers of a partition's work, as parameters: the runner passes
 * the system's, a unit test one it steps by hand, so the partition driver's
 * decisions (linger, retry pauses, the idle watermark) are tested without
 * waiting on a clock.
 */
import { sleep } from './backoff.js';

export interface Scheduler {
  /** Wall-clock ms. */
  readonly now: () => number;
  /** Calls `fn` after `ms`; the returned function cancels it. */
  readonly after: (ms: number, fn: () => void) => () => void;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The real clock and timers (looked up per call, so a test's fake timers apply). */
export function systemScheduler(now: () => number = Date.now): Scheduler {
  return {
    now,
    after: (ms, fn) => {
      const timer = setTimeout(fn, ms);
      return () => clearTimeout(timer);
    },
    sleep,
  };
}
