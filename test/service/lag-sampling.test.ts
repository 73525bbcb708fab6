// sampleLagEvery's stop: a round still in flight ends before stop resolves, so
// whoever stops sampling can close the broker connection the round uses without
// the round failing on it (the integration test's admin was disconnected under a
// round and its error went unhandled).
import { describe, expect, it } from 'vitest';
import type { LagSampler } from '../../src/service/lag-sampler.js';
import { sampleLagEvery } from '../../src/service/lag-sampler.js';

function controlledSampler(): { sampler: LagSampler; started: () => number; finish: () => void; waitStarted: () => Promise<void> } {
  let rounds = 0;
  let release: (() => void) | null = null;
  let onStart: (() => void) | null = null;
  const sampler = {
    sample: () =>
      new Promise<void>((resolve) => {
        rounds++;
        release = resolve;
        onStart?.();
      }),
  } as unknown as LagSampler;
  return {
    sampler,
    started: () => rounds,
    finish: () => release?.(),
    waitStarted: () => new Promise<void>((resolve) => (rounds > 0 ? resolve() : (onStart = resolve))),
  };
}

describe('sampleLagEvery', () => {
  it('stop waits for the round in flight and starts no other', async () => {
    const c = controlledSampler();
    const errors: unknown[] = [];
    const stop = sampleLagEvery(c.sampler, 1, (e) => errors.push(e));
    await c.waitStarted();
    let stopped = false;
    const stopping = stop().then(() => (stopped = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(stopped).toBe(false);
    c.finish();
    await stopping;
    expect(stopped).toBe(true);
    expect(c.started()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('stop resolves at once when no round is running', async () => {
    const c = controlledSampler();
    const stop = sampleLagEvery(c.sampler, 60_000, () => undefined);
    await stop();
    expect(c.started()).toBe(0);
  });
});
