/**
 * The one retry loop of the runtime. A claim, a decode that needs the Schema
 * Registry and a batch commit all retry the same way: try, let the caller judge
 * the failure, pause with backoff (ended early by a signal when the partition
 * is lost or a stop begins), and try again while the caller still wants the
 * result. What differs between them is only that judgement, so it is the
 * caller's part; the pacing and the bounds are here.
 */
import { Backoff, sleep as realSleep } from './backoff.js';

/**
 * What a failure means: `retry` after a backoff pause; `again` at once (the
 * attempt changed what it will do, so no pause is due); `give-up` ends the
 * retries without a result; `throw` passes the error on.
 */
export type RetryDecision = 'retry' | 'again' | 'give-up' | 'throw';

export interface RetryOptions {
  /** Judges each failure (and may log or count it). */
  readonly onFailure: (error: unknown) => RetryDecision;
  /** Checked before every pause and before every attempt after the first: false gives up. */
  readonly active: () => boolean;
  /** Ends a pause at once (the partition was lost, or a stop began). */
  readonly signal?: AbortSignal;
  readonly backoff?: Backoff;
  /** Runs after each pause, before `active` is checked again (a consumer's heartbeat). */
  readonly afterPause?: () => Promise<void>;
  /** The pause; the real timer unless a test steps time by hand. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type RetryResult<T> = { readonly done: true; readonly value: T } | { readonly done: false };

/** Runs `attempt` until it succeeds, the caller gives up, or `active` turns false. */
export async function retry<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<RetryResult<T>> {
  const backoff = options.backoff ?? new Backoff();
  const pause = options.sleep ?? realSleep;
  for (;;) {
    try {
      return { done: true, value: await attempt() };
    } catch (error) {
      const decision = options.onFailure(error);
      if (decision === 'throw') throw error;
      if (decision === 'give-up' || !options.active()) return { done: false };
      if (decision === 'retry') {
        await pause(backoff.next(), options.signal);
        await options.afterPause?.();
        if (!options.active()) return { done: false };
      }
    }
  }
}
