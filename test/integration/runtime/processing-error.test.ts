// An input that makes the reducer throw, on a valid event, no longer holds its
// partition (issue 24): the service dead-letters it (processing_error, the
// error's message, the original bytes), counts it in
// clvstream_processing_errors_total, and its partition goes on to the end of
// its records, ending where the replay, which dead-letters the same inputs, ends.
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { ingestRulesFrom } from '../../../src/config/runtime-parameters.js';
import { deadLetterSchema } from '../../../src/contracts/dead-letter.js';
import type { DomainParameters } from '../../../src/domain/parameters.js';
import type { CustomerState } from '../../../src/domain/state.js';
import { decodeBytes } from '../../../src/ingest/decode.js';
import { partitionOfKey } from '../../../src/kafka/key-partition.js';
import { MessageDecoder } from '../../../src/ingest/message-decoder.js';
import { RuntimeMetrics } from '../../../src/ops/metrics.js';
import { runnerMetrics } from '../../../src/service/runner-metrics.js';
import { MemoryProcessor } from '../../../src/pipeline/memory-processor.js';
import { StreamRunner } from '../../../src/service/stream-runner.js';
import { cleanupsAfterEach, createTestKafka, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { INBOUND, TopicReader, contextOf, convergedStateDifferences, eventStream, produceAll, runtimeFixture } from '../../support/runtime-harness.js';

const PARTITIONS = 2;

describeWithInfra('runtime processing errors', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('a reducer that throws on valid events: each is dead-lettered and counted, and the partitions end where the replay ends', { timeout: 180_000 }, async () => {
    // RUN_RELAY_THREAD=false keeps the whole pipeline on this thread, with the faulty rule below.
    const t = await runtimeFixture(infra, cleanups, 'procerr', PARTITIONS, { extra: { RUN_RELAY_THREAD: 'false', REFERRAL_VALUE: '5.00' } });
    const messages = eventStream({ seed: 79, customers: 60, events: 3_000, referrals: true });
    await produceAll(t.producer, t.topics, messages);

    // A fault in our code: the referral rule throws (the reducer reads it for referrals only).
    const base = contextOf(t.settings);
    const parameters = Object.defineProperty<DomainParameters>({ ...base.parameters }, 'referralValueMinor', {
      get: () => {
        throw new RangeError('referral rule failed');
      },
    });
    const ctx = { model: base.model, parameters };

    // The replay, per partition, dead-letters the same inputs.
    const rules = ingestRulesFrom(t.settings);
    const decoded = messages
      .map((m, index) => ({ d: decodeBytes(m.value, m.type, rules, Date.now()), index, queue: INBOUND.indexOf(m.type) }))
      .flatMap((x) => (x.d.tag === 'input' ? [{ input: x.d.input, index: x.index, queue: x.queue }] : []))
      .sort((a, b) => a.input.at - b.input.at || a.queue - b.queue || a.index - b.index);
    const replays = Array.from({ length: PARTITIONS }, () => new MemoryProcessor(ctx));
    let failing = 0;
    for (const { input } of decoded) if ((replays[partitionOfKey(input.customerId, PARTITIONS)] as MemoryProcessor).tryApply(input) !== null) failing++;
    expect(failing).toBe(decoded.filter((d) => d.input.kind === 'referral').length);
    expect(failing).toBeGreaterThan(10);
    const expected = new Map<string, CustomerState>(replays.flatMap((r) => [...r.states]));

    const metrics = new RuntimeMetrics({ defaultMetrics: false });
    const runner = new StreamRunner({
      settings: t.settings,
      kafka: createTestKafka(infra),
      store: t.state.store,
      decoder: new MessageDecoder(rules, null),
      context: () => ctx,
      version: 'test',
      logger: pino({ level: 'silent' }),
      observer: runnerMetrics(metrics),
    });
    cleanups.push(() => runner.stop());
    await runner.start();
    const letters = new TopicReader(infra, [t.topics.deadLetter]);
    await letters.start();
    cleanups.push(() => letters.stop());

    expect(await convergedStateDifferences(t.state.redis, t.prefix, PARTITIONS, expected, 90_000)).toEqual([]);
    const processingErrors = () => letters.records.map((r) => deadLetterSchema.parse(JSON.parse(r.value.toString('utf8')))).filter((l) => l.error.code === 'processing_error');
    const distinct = () => new Set(processingErrors().map((l) => `${l.source.topic}:${l.source.partition}:${l.source.offset}`)).size;
    await waitFor(() => distinct() === failing, { timeoutMs: 60_000, what: 'every failing referral on the dead-letter topic' });
    const first = processingErrors()[0];
    expect(first?.error).toEqual({ code: 'processing_error', message: 'referral rule failed', issues: [{ field: '', rule: 'processing', message: 'referral rule failed' }] });
    expect(first?.source.topic).toBe(t.topics.byType.referral);
    const original = messages.find((m) => m.type === 'referral' && m.value.toString('base64') === first?.value_base64);
    expect(original).toBeDefined(); // the original bytes
    const counted = (await metrics.render()).split('\n').filter((l) => l.startsWith('clvstream_processing_errors_total{'));
    expect(counted).toEqual([`clvstream_processing_errors_total{topic="${t.topics.byType.referral}"} ${failing}`]);
    expect(runner.status().lastError).toBeNull(); // nothing retried: no partition stood still
    await runner.stop();
  });
});
