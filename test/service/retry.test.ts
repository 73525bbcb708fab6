import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/service/backoff.js';
import { retry, type RetryDecision } from '../../src/service/retry.js';

/** Records the pauses asked for and ends each at once (no clock). */
function pauses() {
  const asked: number[] = [];
  return { asked, sleep: (ms: number) => (asked.push(ms), Promise.resolve()) };
}

/** An attempt that fails with the given errors, in order, then answers `value`. */
function failing<T>(errors: Error[], value: T) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    attempt: () => {
      calls++;
      const error = errors.shift();
      return error === undefined ? Promise.resolve(value) : Promise.reject(error);
    },
  };
}

const noJitter = (): Backoff => new Backoff(100, 1_000, () => 1);

describe('retry', () => {
  it('retries with growing pauses until the attempt succeeds', async () => {
    const { asked, sleep } = pauses();
    const op = failing([new Error('a'), new Error('b'), new Error('c')], 42);
    const seen: string[] = [];
    const result = await retry(op.attempt, { active: () => true, backoff: noJitter(), sleep, onFailure: (e) => (seen.push((e as Error).message), 'retry') });
    expect(result).toEqual({ done: true, value: 42 });
    expect(op.calls).toBe(4);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(asked).toEqual([100, 200, 400]);
  });

  it("tries again at once on 'again', without a pause", async () => {
    const { asked, sleep } = pauses();
    const op = failing([new Error('overlap')], 'ok');
    expect(await retry(op.attempt, { active: () => true, sleep, onFailure: () => 'again' })).toEqual({ done: true, value: 'ok' });
    expect(asked).toEqual([]);
  });

  it.each<[RetryDecision, string]>([
    ['give-up', 'ends without a result'],
    ['throw', 'passes the error on'],
  ])("'%s' %s, after one attempt", async (decision) => {
    const { asked, sleep } = pauses();
    const op = failing([new Error('fenced')], 'never');
    const run = retry(op.attempt, { active: () => true, sleep, onFailure: () => decision });
    if (decision === 'throw') await expect(run).rejects.toThrow('fenced');
    else expect(await run).toEqual({ done: false });
    expect(op.calls).toBe(1);
    expect(asked).toEqual([]);
  });

  it('gives up when the caller no longer wants the result, before and after a pause', async () => {
    const before = pauses();
    const op1 = failing([new Error('x')], 1);
    expect(await retry(op1.attempt, { active: () => false, sleep: before.sleep, onFailure: () => 'retry' })).toEqual({ done: false });
    expect(before.asked).toEqual([]);

    const after = pauses();
    let wanted = true;
    const op2 = failing([new Error('x')], 1);
    const result = await retry(op2.attempt, {
      active: () => wanted,
      sleep: after.sleep,
      afterPause: () => {
        wanted = false;
        return Promise.resolve();
      },
      onFailure: () => 'retry',
    });
    expect(result).toEqual({ done: false });
    expect(op2.calls).toBe(1);
    expect(after.asked).toHaveLength(1);
  });

  it('ends a pause at once when the signal aborts', async () => {
    const stop = new AbortController();
    const op = failing([new Error('x')], 'ok');
    let active = true;
    let paused = false;
    const run = retry(op.attempt, { active: () => active, signal: stop.signal, backoff: new Backoff(3_600_000, 3_600_000), onFailure: () => ((paused = true), 'retry') });
    while (!paused) await new Promise<void>((resolve) => setImmediate(resolve));
    active = false;
    stop.abort();
    expect(await run).toEqual({ done: false });
  });
});
