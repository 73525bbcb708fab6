// A commit that keeps failing for a reason retrying cannot cure (here a stored
// state that cannot be decoded) holds its partition where it is: nothing is
// skipped, the corrupt bytes are left for an operator to look at, and
// clvstream_commit_failures_total names the error, so an alert can tell it
// from a Redis outage. Once the key is repaired (removed: the customer starts
// over), the same batch commits and the partition ends exactly where a run
// without the fault ends. A graceful stop does not wait for such a partition:
// it gives up the failing commit (nothing of it is stored, or all of it) and
// the next owner starts from what Redis holds.
import { expect, it } from 'vitest';
import { RuntimeMetrics } from '../../../src/ops/metrics.js';
import { runnerMetrics } from '../../../src/ops/runner-metrics.js';
import { cleanupsAfterEach, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { convergedEmissionDifferences, convergedStateDifferences, eventStream, produceAll, reference, runtimeFixture } from '../../support/runtime-harness.js';

const PARTITIONS = 1;

async function failures(metrics: RuntimeMetrics): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const line of (await metrics.render()).split('\n')) {
    const match = /^clvstream_commit_failures_total\{work="(\w+)",code="(\w+)"\} (\d+)$/.exec(line);
    if (match !== null) counts.set(`${match[1]}/${match[2]}`, Number(match[3]));
  }
  return counts;
}

describeWithInfra('runtime commit failures', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('a corrupt stored state stalls its partition, is counted by error code, and nothing is lost once it is repaired', { timeout: 120_000 }, async () => {
    const { topics, prefix, settings, state, producer, reader, runner: newRunner } = await runtimeFixture(infra, cleanups, 'cfail', PARTITIONS);
    const messages = eventStream({ seed: 41, customers: 60, events: 400, stepMs: 3_600_000 });
    const victim = messages[0]?.key as string;
    const key = state.store.keys.customer(0, victim);
    const garbage = Buffer.from([0xff, 0x13, 0x37, 0x00]);
    await state.redis.set(key, garbage);
    await produceAll(producer, topics, messages);

    const metrics = new RuntimeMetrics({ defaultMetrics: false });
    const runner = newRunner({ observer: runnerMetrics(metrics) });
    await runner.start();

    // Retried, not skipped: the failures repeat, under a codec error code.
    const codes = await waitFor(
      async () => {
        const counts = await failures(metrics);
        const codec = [...counts].filter(([label, n]) => label.startsWith('batch/CODEC_') && n >= 2);
        return codec.length > 0 ? codec : undefined;
      },
      { timeoutMs: 30_000, what: 'the corrupt state counted as a repeated batch failure' },
    );
    expect(codes).toHaveLength(1);
    expect(runner.status().lastError).toContain(key); // names the key to look at
    expect(await state.redis.getBuffer(key)).toEqual(garbage);

    // The repair: the customer starts over, as the reference (which never saw the bytes) has it.
    await state.redis.del(key);
    const expected = reference(messages, settings, PARTITIONS);
    expect(await convergedStateDifferences(state.redis, prefix, PARTITIONS, expected.states, 60_000)).toEqual([]);
    expect(await convergedEmissionDifferences(expected.emissions, reader, 30_000)).toEqual([]);
    await runner.stop();
  });

  it('a graceful stop gives up a commit that keeps failing, and the next owner ends exact once the state is repaired', { timeout: 120_000 }, async () => {
    const { topics, prefix, settings, state, producer, reader, runner: newRunner } = await runtimeFixture(infra, cleanups, 'cfstop', PARTITIONS);
    const messages = eventStream({ seed: 43, customers: 60, events: 400, stepMs: 3_600_000 });
    const victim = messages[0]?.key as string;
    const key = state.store.keys.customer(0, victim);
    const garbage = Buffer.from([0xff, 0x13, 0x37, 0x00]);
    await state.redis.set(key, garbage);
    await produceAll(producer, topics, messages);

    const metrics = new RuntimeMetrics({ defaultMetrics: false });
    const first = newRunner({ observer: runnerMetrics(metrics) });
    await first.start();
    await waitFor(
      async () => ([...(await failures(metrics))].some(([label, n]) => label.startsWith('batch/CODEC_') && n >= 2) ? true : undefined),
      { timeoutMs: 30_000, what: 'the corrupt state failing the batch again and again' },
    );

    // Without giving up, the stop would wait for the stalled batch until
    // RUN_SHUTDOWN_TIMEOUT_SECONDS and then fail with FatalRunnerError.
    const outcome = await first.stop().then(
      () => 'stopped',
      (error: unknown) => (error as Error).message,
    );
    expect(outcome).toBe('stopped');
    expect(first.status().state).toBe('stopped');
    expect(await state.redis.getBuffer(key)).toEqual(garbage);

    await state.redis.del(key);
    const next = newRunner();
    await next.start();
    const expected = reference(messages, settings, PARTITIONS);
    expect(await convergedStateDifferences(state.redis, prefix, PARTITIONS, expected.states, 60_000)).toEqual([]);
    expect(await convergedEmissionDifferences(expected.emissions, reader, 30_000)).toEqual([]);
    await next.stop();
  });
});
