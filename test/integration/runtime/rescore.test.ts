// Issue 26, point 4: a new model version published while `clvstream run` runs
// re-scores every customer of its partitions in the background. Checked against
// the real servers: afterwards Redis holds exactly the states the pure pipeline
// gives (the stream with the old model, each customer re-scored with the new
// one, then the checks the new model makes due), the topics carry exactly the
// expected emissions (the re-score's with cause model_changed and the new
// version), the segments equal those of a replay of the whole stream with the
// new model, and /status, /segments and /customers/:id agree. A SIGKILL in the
// middle of the re-score neither loses nor repeats a change.
import { expect, it } from 'vitest';
import { startService, type RunningService } from '../../../src/app/run-service.js';
import type { OutboundEvent } from '../../../src/contracts/outbound.js';
import { SEGMENT_DIMENSIONS } from '../../../src/contracts/segments.js';
import type { ModelSnapshot } from '../../../src/domain/model-snapshot.js';
import { cloneState, type CustomerState } from '../../../src/domain/state.js';
import { partitionOfKey } from '../../../src/kafka/key-partition.js';
import { loggerFromSettings } from '../../../src/ops/logger.js';
import { rescoreChunk } from '../../../src/pipeline/rescore-chunk.js';
import { TimedStates } from '../../../src/pipeline/timed-states.js';
import { KeySpace, META_FIELDS } from '../../../src/state/keys.js';
import { ModelStore } from '../../../src/state/model-store.js';
import type { RedisClient } from '../../../src/state/store.js';
import type { Settings } from '../../../src/config/settings.js';
import { cleanupsAfterEach, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { ProcessorProcess } from '../../support/processor-process.js';
import {
  contextOf,
  convergedEmissionDifferences,
  convergedStateDifferences,
  eventStream,
  produceAll,
  reference,
  runtimeFixture,
  type Reference,
  type TestMessage,
} from '../../support/runtime-harness.js';

/** Parameters and cut points unlike the defaults: most customers change segment, many their churn level. */
function newModel(version: string): ModelSnapshot {
  return {
    version,
    purchaseModel: 'bgnbd',
    bgnbd: { r: 0.243, alpha: 30.9, a: 0.793, b: 2.426 },
    gammaGamma: { p: 6.25, q: 3.74, v: 1544 },
    cutPoints: { recency: [10, 25, 60, 120], frequency: [2, 4, 6, 9], monetary: [20_000, 50_000, 90_000, 150_000] },
  };
}

const DIAGNOSTICS = { fittedAt: '2026-12-01T00:00:00.000Z', asOf: '2023-06-30', customers: 1, repeatBuyers: 1, logLikelihood: -1, iterations: 1, converged: true, currency: 'USD' };

async function watermarks(redis: RedisClient, prefix: string, partitions: number): Promise<Map<number, number | null>> {
  const keys = new KeySpace(prefix);
  const out = new Map<number, number | null>();
  for (let p = 0; p < partitions; p++) {
    const wm = await redis.hget(keys.meta(p), META_FIELDS.watermark);
    out.set(p, wm === null ? null : Number(wm));
  }
  return out;
}

/**
 * The pure pipeline's answer: the reference (old model) states re-scored with
 * `model`, then the checks the new model makes due by each partition's
 * watermark fired, as the sweep does; emissions are the reference's and those.
 */
function afterRescore(before: Reference, settings: Settings, model: ModelSnapshot, partitions: number, marks: Map<number, number | null>): { states: Map<string, CustomerState>; emissions: Map<string, OutboundEvent>; changes: number } {
  const ctx = { ...contextOf(settings), model };
  const emissions = new Map(before.emissions);
  const states = new Map<string, CustomerState>();
  let changes = 0;
  for (let p = 0; p < partitions; p++) {
    const mine = [...before.states.values()].filter((s) => partitionOfKey(s.customerId, partitions) === p).map(cloneState);
    const rescored = rescoreChunk(mine, ctx);
    changes += rescored.emissions.length;
    for (const e of rescored.emissions) emissions.set(e.event_id, e);
    const timed = new TimedStates(ctx, (_input, r) => {
      if (r.applied) for (const e of r.emits) emissions.set(e.event_id, e);
    }, marks.get(p) ?? null);
    timed.adopt(rescored.states);
    for (const [id, s] of timed.states) states.set(id, s);
  }
  return { states, emissions, changes };
}

/** The segments and churn level of every customer, as a comparable record. */
function shown(states: Iterable<Pick<CustomerState, 'customerId' | 'segments' | 'churnLevel'>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of states) out[s.customerId] = `${SEGMENT_DIMENSIONS.map((d) => s.segments[d] ?? 'none').join('/')}/${s.churnLevel}`;
  return out;
}

/** True once every partition's re-score list is `version`'s and empty (read from Redis). */
async function rescoreDone(redis: RedisClient, prefix: string, partitions: number, version: string): Promise<boolean> {
  const keys = new KeySpace(prefix);
  for (let p = 0; p < partitions; p++) {
    if ((await redis.hget(keys.meta(p), META_FIELDS.rescoreVersion)) !== version) return false;
    if ((await redis.llen(keys.rescore(p))) !== 0) return false;
  }
  return true;
}

function modelChanged(reader: { emissions(): Map<string, { event: OutboundEvent; copies: number }> }, version: string): OutboundEvent[] {
  return [...reader.emissions().values()].map((r) => r.event).filter((e) => e.cause.kind === 'model_changed' && e.model_version === version);
}

describeWithInfra('re-score after a model change', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('re-scores every customer in the background; Redis, topics, /status, /segments and /customers agree with the pure pipeline', { timeout: 180_000 }, async () => {
    const PARTITIONS = 2;
    const TOKEN = 'test-token-rescore-0123456789';
    const { topics, prefix, settings, state, producer, reader } = await runtimeFixture(infra, cleanups, 'rescore', PARTITIONS, {
      extra: { MODEL_POLL_SECONDS: '1', HTTP_BEARER_TOKEN: TOKEN, RESCORE_CHUNK_CUSTOMERS: '7', RESCORE_CUSTOMERS_PER_SECOND: '500' },
    });
    const messages: TestMessage[] = eventStream({ seed: 41, customers: 80, events: 2_000 });
    await produceAll(producer, topics, messages);
    const service: RunningService = await startService({ settings, logger: loggerFromSettings(settings), version: 'test' });
    cleanups.push(() => service.stop());
    const get = async (path: string): Promise<unknown> => {
      const response = await fetch(`${service.httpAddress}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status, path).toBe(200);
      return response.json();
    };

    const before = reference(messages, settings, PARTITIONS);
    expect(await convergedStateDifferences(state.redis, prefix, PARTITIONS, before.states, 60_000)).toEqual([]);
    expect(await convergedEmissionDifferences(before.emissions, reader, 60_000)).toEqual([]);
    // The first start re-scores with the version in use ('unfitted'), which changes nothing.
    await waitFor(() => rescoreDone(state.redis, prefix, PARTITIONS, 'unfitted'), { timeoutMs: 30_000, what: "the first start's re-score" });
    expect(modelChanged(reader, 'unfitted')).toEqual([]);

    const model = newModel('rescore-v2');
    await new ModelStore(state.redis, state.keys).publish(model, DIAGNOSTICS);
    await waitFor(
      async () => {
        const status = (await get('/status')) as { model_version: string; rescore: { version: string | null; state: string; remaining: number }[] };
        return status.model_version === model.version && status.rescore.length === PARTITIONS && status.rescore.every((r) => r.version === model.version && r.state === 'done' && r.remaining === 0);
      },
      { timeoutMs: 60_000, what: '/status to show the re-score done' },
    );
    expect(await rescoreDone(state.redis, prefix, PARTITIONS, model.version)).toBe(true);

    const expected = afterRescore(before, settings, model, PARTITIONS, await watermarks(state.redis, prefix, PARTITIONS));
    expect(expected.changes).toBeGreaterThan(10);
    expect(await convergedStateDifferences(state.redis, prefix, PARTITIONS, expected.states, 60_000)).toEqual([]);
    expect(await convergedEmissionDifferences(expected.emissions, reader, 60_000)).toEqual([]);
    expect(modelChanged(reader, model.version)).toHaveLength(expected.changes);

    // What a replay of the whole stream with the new model shows.
    const replay = reference(messages, settings, PARTITIONS, { model });
    expect(shown(expected.states.values())).toEqual(shown(replay.states.values()));

    // The HTTP views agree with the states.
    const segments = (await get('/segments')) as { customers: number; segments: Record<string, Record<string, number>>; churn_levels: Record<string, number> };
    expect(segments.customers).toBe(expected.states.size);
    for (const dimension of SEGMENT_DIMENSIONS) {
      const counts: Record<string, number> = {};
      for (const s of expected.states.values()) counts[s.segments[dimension] ?? 'none'] = (counts[s.segments[dimension] ?? 'none'] ?? 0) + 1;
      expect(Object.fromEntries(Object.entries(segments.segments[dimension] ?? {}).filter(([, n]) => n > 0)), dimension).toEqual(counts);
    }
    for (const s of expected.states.values()) {
      const view = (await get(`/customers/${encodeURIComponent(s.customerId)}`)) as Record<string, unknown>;
      expect({ ...view, id: s.customerId }).toMatchObject({ id: s.customerId, rfm_segment: s.segments.rfm_segment, value_quadrant: s.segments.value_quadrant, relationship: s.segments.relationship, churn_level: s.churnLevel });
    }
    expect(await (await fetch(`${service.httpAddress}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()).toMatch(/clvstream_rescored_customers_total [1-9]/);

    await service.stop();
    await service.done;
  });

  it('a SIGKILL during the re-score neither loses nor repeats a change', { timeout: 240_000 }, async () => {
    const PARTITIONS = 4;
    const { topics, prefix, env, settings, state, producer, reader } = await runtimeFixture(infra, cleanups, 'rescorekill', PARTITIONS, {
      extra: { LOG_LEVEL: 'info', MODEL_POLL_SECONDS: '1', RESCORE_CHUNK_CUSTOMERS: '5', RESCORE_CUSTOMERS_PER_SECOND: '40' },
    });
    const messages = eventStream({ seed: 43, customers: 300, events: 3_000 });
    await produceAll(producer, topics, messages);
    const first = new ProcessorProcess(env);
    cleanups.push(() => first.ensureDead());
    const before = reference(messages, settings, PARTITIONS);
    expect(await convergedStateDifferences(state.redis, prefix, PARTITIONS, before.states, 90_000)).toEqual([]);
    expect(await convergedEmissionDifferences(before.emissions, reader, 60_000)).toEqual([]);
    await waitFor(() => rescoreDone(state.redis, prefix, PARTITIONS, 'unfitted'), { timeoutMs: 30_000, what: "the first start's re-score" });

    const model = newModel('rescore-kill-v2');
    await new ModelStore(state.redis, state.keys).publish(model, DIAGNOSTICS);
    // Kill once half of some partition's chunks are committed (and some relayed) and the rest are not.
    const keys = new KeySpace(prefix);
    let halfDone: number | null = null;
    let atKill = '';
    const midway = async (): Promise<boolean> => {
      for (let p = 0; p < PARTITIONS; p++) {
        const [version, total] = await state.redis.hmget(keys.meta(p), META_FIELDS.rescoreVersion, META_FIELDS.rescoreTotal);
        const remaining = await state.redis.llen(keys.rescore(p));
        if (version === model.version && remaining > 0 && remaining <= Number(total) / 2) {
          halfDone = p;
          atKill = `partition ${p}: ${Number(total) - remaining} of ${total} customers re-scored`;
        }
      }
      return halfDone !== null;
    };
    await waitFor(async () => (await midway()) || first.hasExited, { timeoutMs: 60_000, intervalMs: 10, what: 'a re-score half done' });
    expect(first.hasExited, first.stderr.join('')).toBe(false);
    first.kill('SIGKILL');
    await first.exited;
    expect(await rescoreDone(state.redis, prefix, PARTITIONS, model.version)).toBe(false);
    const changesSeen = modelChanged(reader, model.version).length;

    const second = new ProcessorProcess(env);
    cleanups.push(() => second.ensureDead());
    await waitFor(() => rescoreDone(state.redis, prefix, PARTITIONS, model.version), { timeoutMs: 90_000, what: 'the re-score to finish after the restart' });
    const expected = afterRescore(before, settings, model, PARTITIONS, await watermarks(state.redis, prefix, PARTITIONS));
    expect(expected.changes).toBeGreaterThan(100);
    expect(await convergedStateDifferences(state.redis, prefix, PARTITIONS, expected.states, 60_000)).toEqual([]);
    // Every change once: the exact set of event ids (a repeated change would carry a new id), same payload in every copy.
    expect(await convergedEmissionDifferences(expected.emissions, reader, 60_000)).toEqual([]);
    expect(modelChanged(reader, model.version)).toHaveLength(expected.changes);
    // The partition killed half way resumed where its list stood: not staged again.
    expect(second.lines.filter((l) => l.msg === 're-score staging' && l.partition === halfDone)).toEqual([]);
    expect(second.lines.some((l) => l.msg === 're-score finished' && l.partition === halfDone)).toBe(true);
    console.log(`[rescore] SIGKILL with ${atKill}; ${changesSeen} of ${expected.changes} model_changed emissions read from Kafka by then`);

    second.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });
});
