// Exactness under crashes: `clvstream run` is killed with SIGKILL at random
// moments while it consumes a stream, several times; after the last restart the
// Redis state equals one clean pass of the pure pipeline over the input, byte
// for byte, and every expected emission was published at least once with its
// deterministic id. The last instance is stopped with SIGTERM and must exit 0.
import { expect, it } from 'vitest';
import { connectState, type StateConnection } from '../../../src/state/connect.js';
import { KeySpace } from '../../../src/state/keys.js';
import {
  cleanupsAfterEach,
  createTestKafka,
  deleteKeysByPrefix,
  describeWithInfra,
  uniqueSuffix,
  waitFor,
  type InfraEndpoints,
} from '../../support/infra.js';
import { ProcessorProcess } from '../../support/processor-process.js';
import {
  TopicReader,
  createTopicSet,
  deleteTopicSet,
  convergedEmissionDifferences,
  convergedStateDifferences,
  eventStream,
  produceAll,
  reference,
  runtimeEnv,
  seeded,
  settingsOf,
} from '../../support/runtime-harness.js';

const PARTITIONS = 4;
const EVENTS = 20_000;
const KILLS = 4;

describeWithInfra('runtime crash safety (SIGKILL)', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('state after repeated SIGKILLs equals a clean pass; every emission is published', { timeout: 300_000 }, async () => {
    const topics = await createTopicSet(infra, PARTITIONS, 'crash');
    cleanups.push(() => deleteTopicSet(infra, topics));
    const prefix = `clvtest-crash-${uniqueSuffix()}`.slice(0, 32);
    const env = runtimeEnv(infra, topics, { prefix }, { LOG_LEVEL: 'info', RUN_BATCH_MAX_RECORDS: '200' });
    const settings = settingsOf(env);
    const state: StateConnection = connectState(settings);
    cleanups.push(() => state.close());
    cleanups.push(() => deleteKeysByPrefix(state.redis, `${prefix}:`));
    const keys = new KeySpace(prefix);

    const messages = eventStream({ seed: 23, customers: 300, events: EVENTS, stepMs: 20 * 60_000 });
    const producer = createTestKafka(infra).producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await produceAll(producer, topics, messages);

    const reader = new TopicReader(infra, [topics.segmentChanged, topics.churnRisk]);
    await reader.start();
    cleanups.push(() => reader.stop());

    /** Records stored in Redis so far (sum of the stored next offsets of the inbound topics). */
    const storedRecords = async (): Promise<number> => {
      let total = 0;
      for (let p = 0; p < PARTITIONS; p++) {
        const meta = await state.redis.hgetall(keys.meta(p));
        for (const [field, value] of Object.entries(meta)) if (field.startsWith('off:') && !field.endsWith('.internal')) total += Number(value);
      }
      return total;
    };

    const random = seeded(99);
    const killedAt: number[] = [];
    for (let round = 0; round < KILLS; round++) {
      const child = new ProcessorProcess(env);
      cleanups.push(() => child.ensureDead());
      await waitFor(() => child.has('partition claimed') || child.hasExited, { timeoutMs: 30_000, what: 'a claimed partition' });
      expect(child.lines.some((l) => l.msg === 'partition claimed'), child.stderr.join('')).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 100 + random() * 900));
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
    last.kill('SIGTERM');
    const exit = await Promise.race([last.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
    expect(exit, `${JSON.stringify(last.lines.slice(-6))}\n${last.stderr.join('')}`).toEqual({ code: 0, signal: null });
    expect(last.has('stopped')).toBe(true);
    console.log(`[crash] stored records at each SIGKILL: ${killedAt.join(', ')} of ${EVENTS}; ${expected.emissions.size} emissions`);
  });
});
