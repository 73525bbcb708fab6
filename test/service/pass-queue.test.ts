import { describe, expect, it } from 'vitest';
import { PassQueue } from '../../src/service/pass-queue.js';

/** A pass the test finishes by hand. */
function gate(): { promise: Promise<string>; finish(value: string): void; fail(error: Error): void } {
  let finish!: (v: string) => void;
  let fail!: (e: Error) => void;
  const promise = new Promise<string>((res, rej) => ((finish = res), (fail = rej)));
  return { promise, finish, fail };
}

describe('PassQueue', () => {
  it('runs one pass per partition, queues one follow-up for every request made meanwhile, started the latest way', async () => {
    const queue = new PassQueue<string>();
    const started: string[] = [];
    const first = gate();
    const a = queue.run(0, () => (started.push('a'), first.promise));
    const b = queue.run(0, () => (started.push('b'), Promise.resolve('b')));
    const c = queue.run(0, () => (started.push('c'), Promise.resolve('c')));
    const other = queue.run(1, () => (started.push('other'), Promise.resolve('other')));
    expect(started).toEqual(['a', 'other']); // another partition does not wait
    first.finish('a');
    expect(await a).toBe('a');
    expect(await b).toBe('c');
    expect(await c).toBe('c');
    expect(await other).toBe('other');
    expect(started).toEqual(['a', 'other', 'c']);
    // Nothing running any more: the next request starts at once.
    expect(await queue.run(0, () => Promise.resolve('d'))).toBe('d');
  });

  it('a failed pass fails its own callers only; the follow-up still runs', async () => {
    const queue = new PassQueue<string>();
    const first = gate();
    const a = queue.run(0, () => first.promise);
    const b = queue.run(0, () => Promise.resolve('after'));
    first.fail(new Error('broker down'));
    await expect(a).rejects.toThrow('broker down');
    expect(await b).toBe('after');
  });

  it('idle waits for the running and the queued pass', async () => {
    const queue = new PassQueue<string>();
    const first = gate();
    const second = gate();
    void queue.run(0, () => first.promise);
    void queue.run(0, () => second.promise);
    let idle = false;
    const waiting = queue.idle().then(() => (idle = true));
    first.finish('x');
    await new Promise((r) => setTimeout(r, 10));
    expect(idle).toBe(false);
    second.finish('y');
    await waiting;
    expect(idle).toBe(true);
  });
});
