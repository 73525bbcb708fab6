// `clvstream run` as a whole: the HTTP surface over a running processor
// (readiness, metrics with lag, a customer's state), a new model version picked
// up without a restart and named in later emissions, and the fatal
// configuration paths of the command (missing or mismatched topics → exit 2).
import { expect, it } from 'vitest';
import { startService, type RunningService } from '../../../src/app/run-service.js';
import type { OutboundEvent } from '../../../src/contracts/outbound.js';
import { loggerFromSettings } from '../../../src/ops/logger.js';
import { connectState } from '../../../src/state/connect.js';
import { ModelStore } from '../../../src/state/model-store.js';
import {
  cleanupsAfterEach,
  createTopic,
  deleteKeysByPrefix,
  deleteTopic,
  describeWithInfra,
  uniqueSuffix,
  waitFor,
  type InfraEndpoints,
} from '../../support/infra.js';
import { KafkaNodes } from '../../support/kafka-nodes.js';
import { ProcessorProcess } from '../../support/processor-process.js';
import {
  convergedEmissionDifferences,
  createTopicSet,
  deleteTopicSet,
  eventStream,
  produceAll,
  reference,
  runtimeEnv,
  runtimeFixture,
  settingsOf,
} from '../../support/runtime-harness.js';

const PARTITIONS = 2;
const TOKEN = 'test-token-0123456789';

describeWithInfra('clvstream run: HTTP, metrics, model versions, fatal configuration', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('serves readiness, metrics with lag and customer state; picks up a new model version', { timeout: 120_000 }, async () => {
    const { topics, settings, state, producer, reader } = await runtimeFixture(infra, cleanups, 'svc', PARTITIONS, {
      extra: { MODEL_POLL_SECONDS: '1', HTTP_BEARER_TOKEN: TOKEN },
    });

    const messages = eventStream({ seed: 3, customers: 20, events: 400 });
    await produceAll(producer, topics, messages.slice(0, 200));
    const service: RunningService = await startService({ settings, logger: loggerFromSettings(settings), version: 'test' });
    cleanups.push(() => service.stop());
    // HTTP_HOST=127.0.0.1 (runtimeEnv): the server is on the loopback address only.
    expect(new URL(service.httpAddress).hostname).toBe('127.0.0.1');
    const get = (path: string, token: string | null = TOKEN) =>
      fetch(`${service.httpAddress}${path}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });

    expect((await get('/healthz', null)).status).toBe(200);
    await waitFor(async () => (await get('/readyz', null)).status === 200, { timeoutMs: 30_000, what: '/readyz 200' });
    await waitFor(async () => (await get('/customers/cust-0')).status === 200, { timeoutMs: 30_000, what: 'cust-0 in Redis' });
    const customer = (await (await get('/customers/cust-0')).json()) as Record<string, unknown>;
    expect(customer).toMatchObject({ customer_id: 'cust-0' });
    expect((await get('/customers/cust-0', null)).status).toBe(401);
    expect((await get('/customers/nobody-here')).status).toBe(404);

    await waitFor(async () => /clvstream_events_processed_total\{type="purchase"\} \d+/.test(await (await get('/metrics')).text()), { what: 'processed counter' });
    // A partition reaches the end of its backlog once the other has announced its position past its events (the settle gate).
    const caughtUp = new RegExp(`clvstream_consumer_lag\\{topic="${topics.byType.purchase.replace(/\./g, '\\.')}",partition="[01]"\\} 0`);
    await waitFor(async () => caughtUp.test(await (await get('/metrics')).text()), { what: 'a purchase partition at its end' });
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/clvstream_batch_duration_seconds_count \d+/);
    expect(metrics).toMatch(/clvstream_assigned_partitions 2/);

    // Every emission of the first part is on Kafka before the model changes: an
    // emission still in the outbox would be published after the switch with the
    // version it was made with, and be taken for a record made after it.
    expect(await convergedEmissionDifferences(reference(messages.slice(0, 200), settings, PARTITIONS).emissions, reader, 60_000)).toEqual([]);

    // A model version published to Redis is picked up and named by later emissions.
    await new ModelStore(state.redis, state.keys).publish(
      { version: 'svc-test-v2', bgnbd: { r: 0.243, alpha: 30.9, a: 0.793, b: 2.426 }, gammaGamma: { p: 6.25, q: 3.74, v: 1544 }, cutPoints: null },
      { fittedAt: new Date().toISOString(), asOf: '2023-06-30', customers: 20, repeatBuyers: 15, logLikelihood: -100, iterations: 10, converged: true, currency: 'USD' },
    );
    await waitFor(async () => /clvstream_model_version_info\{version="svc-test-v2"\} 1/.test(await (await get('/metrics')).text()), {
      timeoutMs: 10_000,
      what: 'the new model version to be loaded',
    });
    const before = reader.records.length;
    await produceAll(producer, topics, messages.slice(200));
    await waitFor(() => reader.records.length > before + 10, { timeoutMs: 30_000, what: 'emissions after the model change' });
    const later = reader.records.slice(before).map((r) => JSON.parse(r.value.toString()) as OutboundEvent);
    expect(new Set(later.map((e) => e.model_version))).toEqual(new Set(['svc-test-v2']));
    // Before the switch, only the unfitted model's emissions, and the new version's background re-score (cause model_changed) may have begun.
    const earlier = reader.records.slice(0, before).map((r) => JSON.parse(r.value.toString()) as OutboundEvent);
    expect(earlier.filter((e) => e.cause.kind !== 'model_changed').every((e) => e.model_version === 'unfitted')).toBe(true);

    await service.stop();
    await service.done;
    expect(service.runner.status().state).toBe('stopped');
  });

  // Regression: a stop that timed out threw, but the process lived on as long as
  // kafkajs held sockets with requests in flight (an instance seen alive 25 s after
  // SIGTERM with a 15 s bound). The bound must hold for the process, not only the runner.
  it('exits non-zero within RUN_SHUTDOWN_TIMEOUT_SECONDS when the broker stops answering', { timeout: 240_000 }, async () => {
    // A broker of this test's own, stopped with SIGSTOP: its sockets stay open and nothing answers.
    const nodes = await KafkaNodes.start(1);
    cleanups.push(() => nodes.stop());
    const own = { ...infra, kafkaBrokers: nodes.brokers };
    const topics = await createTopicSet(own, PARTITIONS, 'svcstop');
    const prefix = `clvtest-stop-${uniqueSuffix()}`.slice(0, 32);
    const env = runtimeEnv(own, topics, { prefix }, { LOG_LEVEL: 'info', RUN_SHUTDOWN_TIMEOUT_SECONDS: '3' });
    const state = connectState(settingsOf(env));
    cleanups.push(() => state.close());
    cleanups.push(() => deleteKeysByPrefix(state.redis, `${prefix}:`));
    const child = new ProcessorProcess(env);
    cleanups.push(() => child.ensureDead());
    await waitFor(() => child.has('partition claimed') || child.hasExited, { timeoutMs: 30_000, what: 'a claimed partition' });
    expect(child.hasExited, child.stderr.join('')).toBe(false);

    nodes.pause(1);
    const started = Date.now();
    child.kill('SIGTERM');
    // The regression lived on until kafkajs' 30 s request timeout released its
    // sockets: "hung" is anything short of that, a generous limit for a 3 s bound
    // on a loaded machine (the time is printed, not asserted).
    const exit = await Promise.race([child.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 25_000))]);
    const seconds = (Date.now() - started) / 1000;
    expect(exit, `${JSON.stringify(child.lines.slice(-6))}\n${child.stderr.join('')}`).toEqual({ code: 1, signal: null });
    expect(child.stderr.join('') + JSON.stringify(child.lines)).toMatch(/graceful stop took longer than 3 s/);
    console.log(`[service] exited ${seconds.toFixed(1)} s after SIGTERM with a 3 s stop bound and a stopped broker`);
  });

  it('exits 2 with a clear message when topics are missing or not co-partitioned', { timeout: 60_000 }, async () => {
    const topics = await createTopicSet(infra, PARTITIONS, 'svcbad');
    cleanups.push(() => deleteTopicSet(infra, topics));
    const base = runtimeEnv(infra, topics, { prefix: `clvtest-bad-${uniqueSuffix()}`.slice(0, 32) });

    const missing = new ProcessorProcess({ ...base, TOPIC_FEEDBACK: `clvtest-nothere-${uniqueSuffix()}` });
    cleanups.push(() => missing.ensureDead());
    expect(await missing.exited).toEqual({ code: 2, signal: null });
    expect(missing.stderr.join('')).toMatch(/missing Kafka topics: clvtest-nothere-/);

    const odd = `clvtest-odd-${uniqueSuffix()}`;
    await createTopic(infra, odd, { partitions: PARTITIONS + 1 });
    cleanups.push(() => deleteTopic(infra, odd));
    const mismatched = new ProcessorProcess({ ...base, TOPIC_RETURN: odd });
    cleanups.push(() => mismatched.ensureDead());
    expect(await mismatched.exited).toEqual({ code: 2, signal: null });
    expect(mismatched.stderr.join('')).toMatch(/same number of partitions.*=3/);

    const badSetting = new ProcessorProcess({ ...base, RUN_BATCH_MAX_RECORDS: 'lots' });
    cleanups.push(() => badSetting.ensureDead());
    expect(await badSetting.exited).toEqual({ code: 2, signal: null });
    expect(badSetting.stderr.join('')).toMatch(/RUN_BATCH_MAX_RECORDS/);
  });
});
