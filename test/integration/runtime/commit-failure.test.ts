// A commit that keeps failing for a reason retrying cannot cure (here a stored
// state that cannot be decoded) holds its partition where it is: nothing is
// skipped, the corrupt bytes are left for an operator to look at, and
// clvstream_commit_failures_total names the error, so an alert can tell it
// from a Redis outage. Once the key is repaired (removed: the customer starts
// over), the same batch commits and the partition ends exactly where a run
// without the fault ends. A graceful stop does not wait for such a partition:
// it gives up the failing commit (nothing of it is stored, or all of it) and
// the next owner starts from what Redis holds.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { RuntimeMetrics } from '../../../src/ops/metrics.js';
import { runnerMetrics } from '../../../src/service/runner-metrics.js';
import { cleanupsAfterEach, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { convergedEmissionDifferences, convergedStateDifferences, eventStream, produceAll, reference, runtimeFixture } from '../../support/runtime-harness.js';

const PARTITIONS = 1;
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** `clvstream <args>` as an operator runs it, with the deployment's environment. */
function clvstream(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

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
  const garbage = Buffer.from([0xff, 0x13, 0x37, 0x00]);

  /**
   * A deployment whose first customer's stored state is garbage, with the
   * events produced and a runner started, once its batch has failed at least
   * twice under a codec error code (retried, not skipped).
   */
  async function stalledByCorruptState(label: string, seed: number) {
    const fixture = await runtimeFixture(infra, cleanups, label, PARTITIONS);
    const { topics, state, producer } = fixture;
    const messages = eventStream({ seed, customers: 60, events: 400, stepMs: 3_600_000 });
    const key = state.store.keys.customer(0, messages[0]?.key as string);
    await state.redis.set(key, garbage);
    await produceAll(producer, topics, messages);

    const metrics = new RuntimeMetrics({ defaultMetrics: false });
    const runner = fixture.runner({ observer: runnerMetrics(metrics) });
    await runner.start();
    const codes = await waitFor(
      async () => {
        const codec = [...(await failures(metrics))].filter(([label, n]) => label.startsWith('batch/CODEC_') && n >= 2);
        return codec.length > 0 ? codec : undefined;
      },
      { timeoutMs: 30_000, what: 'the corrupt state counted as a repeated batch failure' },
    );
    return { ...fixture, messages, key, stalled: runner, codes };
  }

  it('a corrupt stored state stalls its partition, is counted by error code, and nothing is lost once it is repaired', { timeout: 120_000 }, async () => {
    const { prefix, settings, state, reader, messages, key, stalled: runner, codes } = await stalledByCorruptState('cfail', 41);
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

  it('clvstream state quarantine sets the corrupt value aside; the partition goes on and ends where a run without it ends', { timeout: 120_000 }, async () => {
    const { prefix, env, settings, state, reader, messages, key, stalled: runner } = await stalledByCorruptState('cfquar', 47);
    const customer = messages[0]?.key as string;
    const moved = clvstream(['state', 'quarantine', customer, '--partitions', String(PARTITIONS)], env);
    expect(moved.stderr).toBe('');
    expect(moved.status).toBe(0);
    const quarantineKey = state.store.keys.quarantine(0, customer);
    expect(moved.stdout).toContain(quarantineKey);
    expect(await state.redis.getBuffer(quarantineKey)).toEqual(garbage); // kept for a person to look at

    const expected = reference(messages, settings, PARTITIONS);
    expect(await convergedStateDifferences(state.redis, prefix, PARTITIONS, expected.states, 60_000)).toEqual([]);
    expect(await convergedEmissionDifferences(expected.emissions, reader, 30_000)).toEqual([]);
    await runner.stop();

    // A second quarantine finds nothing corrupt to move (the customer's state is good now) but an earlier value in the way.
    const again = clvstream(['state', 'quarantine', customer, '--partitions', String(PARTITIONS)], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already holds a quarantined value');
    const unknown = clvstream(['state', 'quarantine', 'nobody-here', '--partitions', String(PARTITIONS)], env);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('nothing to quarantine');
    expect(await state.redis.getBuffer(key)).not.toEqual(garbage);
  });

  it('a graceful stop gives up a commit that keeps failing, and the next owner ends exact once the state is repaired', { timeout: 120_000 }, async () => {
    const { prefix, settings, state, reader, messages, key, stalled: first, runner: newRunner } = await stalledByCorruptState('cfstop', 43);
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
