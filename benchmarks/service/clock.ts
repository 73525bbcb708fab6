/** Time and bounded waiting for the bench: every wait has a deadline and a name for its error. */
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes of one machine. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The longest any single wait of the bench may take. */
export const MAX_WAIT_MS = 600_000;

/** Polls `check` every `intervalMs` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, intervalMs = 20): Promise<T> {
  const deadline = now() + Math.min(timeoutMs, MAX_WAIT_MS);
  for (let i = 0; i < 10_000_000; i++) {
    const value = await check();
    if (value !== undefined) return value;
    if (now() >= deadline) break;
    await sleep(intervalMs);
  }
  throw new Error(`${what}: not done within ${(timeoutMs / 1000).toFixed(0)} s`);
}

/** `promise`, or an error naming `what` after `timeoutMs`. */
export async function bounded<T>(what: string, promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not done within ${(timeoutMs / 1000).toFixed(0)} s`)), Math.min(timeoutMs, MAX_WAIT_MS));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
