// Exactness under crashes: `clvstream run` is killed with SIGKILL at random
// moments while it consumes a stream, several times; after the last restart the
// Redis state equals one clean pass of the pure pipeline over the input, byte
// for byte, and every expected emission was published at least once with its
// deterministic id. The last instance is stopped with SIGTERM and must exit 0.
import { expect, it } from 'vitest';
import { seededRandom } from '../../../src/domain/models/simulate.js';
import { cleanupsAfterEach, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { ProcessorProcess } from '../../support/processor-process.js';
import {
  convergedEmissionDifferences,
  convergedStateDifferences,
  eventStream,
  produceAll,
  reference,
  runtimeFixture,
  storedInboundRecords,
} from '../../support/runtime-harness.js';

const PARTITIONS = 4;
const EVENTS = 20_000;
const KILLS = 4;

describeWithInfra('runtime crash safety (SIGKILL)', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('state after repeated SIGKILLs equals a clean pass; every emission is published', { timeout: 300_000 }, async () => {
    const { topics, prefix, env, settings, state, producer, reader } = await runtimeFixture(infra, cleanups, 'crash', PARTITIONS, {
      extra: { LOG_LEVEL: 'info', RUN_BATCH_MAX_RECORDS: '200' },
    });
    const messages = eventStream({ seed: 23, customers: 300, events: EVENTS, stepMs: 20 * 60_000 });
    await produceAll(producer, topics, messages);

    /** Records stored in Redis so far (sum of the stored next offsets of the inbound topics). */
    const storedRecords = (): Promise<number> => storedInboundRecords(state.redis, prefix, PARTITIONS, topics);

    const random = seededRandom(99);
    const killedAt: number[] = [];
    for (let round = 0; round < KILLS; round++) {
      const child = new ProcessorProcess(env);
      cleanups.push(() => child.ensureDead());
      await waitFor(() => child.has('partition claimed') || child.hasExited, { timeoutMs: 30_000, what: 'a claimed partition' });
      expect(child.lines.some((l) => l.msg === 'partition claimed'), child.stderr.join('')).toBe(true);
      // Kill once this instance has stored something more, at a random point of the
      // round's share of the stream: a kill after a clock would land before the first
      // commit on a slow machine and after the last on a fast one.
      const from = await storedRecords();
      const target = Math.min(EVENTS - 1, from + Math.ceil((0.05 + 0.2 * random()) * (EVENTS / (KILLS + 1))));
      await waitFor(async () => (await storedRecords()) >= target || child.hasExited, { timeoutMs: 60_000, intervalMs: 10, what: `${target} stored records` });
      child.kill('SIGKILL');
      await child.exited;
      killedAt.push(await storedRecords());
    }
    // The kills landed while the stream was being consumed, not before or after it.
    expect(killedAt.some((n) => n > 0 && n < EVENTS), `stored records at each kill: ${killedAt.join(', ')}`).toBe(true);

    const last = new ProcessorProcess(env);
    cleanups.push(() => last.ensureDead());
    const expected = reference(messages, settings, PARTITIONS);
    expect(await convergedStateDifferences(state.redis, prefix, PARTITIONS, expected.states, 120_000)).toEqual([]);
    expect(await convergedEmissionDifferences(expected.emissions, reader, 60_000)).toEqual([]);

    await waitFor(() => last.has('partition claimed'), { timeoutMs: 30_000, what: 'the last instance to claim its partitions' });
    const stopStarted = performance.now();
    last.kill('SIGTERM');
    const exit = await Promise.race([last.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
    console.log(`[crash] the last instance stopped ${((performance.now() - stopStarted) / 1000).toFixed(1)} s after SIGTERM`);
    expect(exit, `${JSON.stringify(last.lines.slice(-6))}\n${last.stderr.join('')}`).toEqual({ code: 0, signal: null });
    expect(last.has('stopped')).toBe(true);
    console.log(`[crash] stored records at each SIGKILL: ${killedAt.join(', ')} of ${EVENTS}; ${expected.emissions.size} emissions`);
  });
});
