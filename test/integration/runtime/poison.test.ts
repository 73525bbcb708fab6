// Bad input is data: every malformed, invalid, unknown, absurd, oversized or
// badly framed message lands in the dead-letter topic with its original key,
// value and headers, its source coordinates and the specific reason — and the
// good events around it are processed exactly as if it had not been there.
import { expect, it } from 'vitest';
import { deadLetterSchema, type DeadLetterCode } from '../../../src/contracts/dead-letter.js';
import type { InboundType } from '../../../src/contracts/inbound.js';
import { connectState } from '../../../src/state/connect.js';
import {
  cleanupsAfterEach,
  createTestKafka,
  deleteKeysByPrefix,
  describeWithInfra,
  uniqueSuffix,
  waitFor,
  type InfraEndpoints,
} from '../../support/infra.js';
import {
  TopicReader,
  EXACTLY_ONCE_INPUT,
  convergedEmissionDifferences,
  convergedStateDifferences,
  createTopicSet,
  deleteTopicSet,
  eventStream,
  inProcessRunner,
  produceAll,
  reference,
  runtimeEnv,
  settingsOf,
} from '../../support/runtime-harness.js';

const PARTITIONS = 2;
const MAX_BYTES = 2048;

interface Poison {
  readonly label: string;
  readonly type: InboundType;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly code: DeadLetterCode;
  /** A field the rejection must name, when there is one. */
  readonly field?: string;
}

const at = '2023-03-01T10:00:00Z';
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const purchase = (extra: Record<string, unknown>) => ({
  type: 'purchase',
  event_id: `bad-${Math.random().toString(36).slice(2)}`,
  customer_id: 'cust-1',
  occurred_at: at,
  amount: '10.00',
  currency: 'USD',
  ...extra,
});

const POISON: Poison[] = [
  { label: 'malformed JSON', type: 'purchase', key: 'cust-1', value: Buffer.from('{"type":"purchase",'), code: 'malformed_json' },
  { label: 'empty value (tombstone)', type: 'return', key: 'cust-2', value: null, code: 'malformed_json' },
  { label: 'not an object', type: 'feedback', key: 'cust-3', value: json([1, 2, 3]), code: 'not_an_object' },
  { label: 'unknown event type', type: 'purchase', key: 'cust-4', value: json({ type: 'upgrade', customer_id: 'cust-4' }), code: 'unknown_event_type', field: 'type' },
  { label: 'event on the wrong topic', type: 'return', key: 'cust-5', value: json(purchase({ customer_id: 'cust-5' })), code: 'topic_mismatch', field: 'type' },
  { label: 'wrong type (customer id as a number)', type: 'purchase', key: 'cust-6', value: json(purchase({ customer_id: 6 })), code: 'invalid_event', field: 'customer_id' },
  { label: 'absurd amount', type: 'purchase', key: 'cust-7', value: json(purchase({ customer_id: 'cust-7', amount: '-5.00' })), code: 'invalid_event', field: 'amount' },
  { label: 'NPS score out of range', type: 'feedback', key: 'cust-8', value: json({ type: 'feedback', event_id: 'fb-x', customer_id: 'cust-8', occurred_at: at, score: 11 }), code: 'invalid_event', field: 'score' },
  { label: 'event from the year 2150', type: 'purchase', key: 'cust-9', value: json(purchase({ customer_id: 'cust-9', occurred_at: '2150-01-01T00:00:00Z' })), code: 'out_of_time_window', field: 'occurred_at' },
  { label: 'oversized message', type: 'purchase', key: 'cust-10', value: json(purchase({ customer_id: 'cust-10', channel: 'x'.repeat(MAX_BYTES) })), code: 'oversized' },
  { label: 'truncated Schema Registry frame', type: 'purchase', key: 'cust-11', value: Buffer.from([0, 0, 0, 0]), code: 'bad_schema_registry_framing' },
  {
    label: 'Schema Registry frame without a registry',
    type: 'cancellation',
    key: 'cust-12',
    value: Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), json({ type: 'cancellation' })]),
    code: 'bad_schema_registry_framing',
  },
  { label: 'unknown field', type: 'purchase', key: null, value: json(purchase({ customer_id: 'cust-13', discont: '1.00' })), code: 'invalid_event', field: 'discont' },
  { label: 'unknown currency', type: 'purchase', key: 'cust-14', value: json(purchase({ customer_id: 'cust-14', currency: 'XYZ' })), code: 'invalid_event', field: 'currency' },
];

describeWithInfra('runtime dead-letter routing', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('each poison message is dead-lettered with its reason and original bytes; good events around it are exact', { timeout: 120_000 }, async () => {
    const topics = await createTopicSet(infra, PARTITIONS, 'poison');
    cleanups.push(() => deleteTopicSet(infra, topics));
    const prefix = `clvtest-poison-${uniqueSuffix()}`.slice(0, 32);
    const settings = settingsOf(runtimeEnv(infra, topics, { prefix }, { EVENTS_MAX_MESSAGE_BYTES: String(MAX_BYTES) }));
    const state = connectState(settings);
    cleanups.push(() => state.close());
    cleanups.push(() => deleteKeysByPrefix(state.redis, `${prefix}:`));
    const producer = createTestKafka(infra).producer(EXACTLY_ONCE_INPUT);
    await producer.connect();
    cleanups.push(() => producer.disconnect());

    const good = eventStream({ seed: 5, customers: 30, events: 800 });
    await produceAll(producer, topics, good.slice(0, 400));
    for (const [i, poison] of POISON.entries()) {
      await producer.send({
        topic: topics.byType[poison.type],
        acks: -1,
        messages: [{ key: poison.key, value: poison.value, headers: { 'x-poison': poison.label, trace: [`t-${i}`, `u-${i}`] } }],
      });
    }
    await produceAll(producer, topics, good.slice(400));

    const deadLetters = new TopicReader(infra, [topics.deadLetter]);
    await deadLetters.start();
    cleanups.push(() => deadLetters.stop());
    const emitted = new TopicReader(infra, [topics.segmentChanged, topics.churnRisk]);
    await emitted.start();
    cleanups.push(() => emitted.stop());
    const runner = inProcessRunner(infra, settings, state.store);
    await runner.start();
    cleanups.push(() => runner.stop());

    await waitFor(() => deadLetters.records.length >= POISON.length, { timeoutMs: 30_000, what: 'the dead letters' });
    const records = deadLetters.records.map((r) => ({ raw: r, record: deadLetterSchema.parse(JSON.parse(r.value.toString())) }));
    expect(records).toHaveLength(POISON.length);
    for (const poison of POISON) {
      const found = records.find((r) => r.record.headers.some((h) => h.key === 'x-poison' && Buffer.from(h.value_base64 ?? '', 'base64').toString() === poison.label));
      expect(found, poison.label).toBeDefined();
      const { record, raw } = found as (typeof records)[number];
      expect(record.error.code, poison.label).toBe(poison.code);
      expect(record.error.message.length, poison.label).toBeGreaterThan(10);
      if (poison.field !== undefined) expect(record.error.issues.map((i) => i.field), poison.label).toContain(poison.field);
      expect(record.source.topic).toBe(topics.byType[poison.type]);
      expect(record.source.offset).toMatch(/^\d+$/);
      expect(record.value_base64 === null ? null : Buffer.from(record.value_base64, 'base64')).toEqual(poison.value);
      expect(record.key_base64 === null ? null : Buffer.from(record.key_base64, 'base64').toString()).toBe(poison.key);
      const trace = record.headers.filter((h) => h.key === 'trace').map((h) => Buffer.from(h.value_base64 ?? '', 'base64').toString());
      expect(trace).toEqual([expect.stringMatching(/^t-/), expect.stringMatching(/^u-/)]);
      expect(raw.headers['clvstream-id']).toBe(`dlq:${record.source.topic}:${record.source.partition}:${record.source.offset}`);
    }

    const expected = reference(good, settings, PARTITIONS);
    expect(await convergedStateDifferences(state.redis, prefix, PARTITIONS, expected.states)).toEqual([]);
    expect(await convergedEmissionDifferences(expected.emissions, emitted)).toEqual([]);
  });
});
