// Events in the Confluent wire format through a running schema registry (the
// shared one of scripts/test-infra.sh, or a private one a test stops): Avro and
// JSON Schema twins of plain-JSON events are processed exactly as the plain ones;
// bad registry input is dead-lettered with its reason and bytes; a registry that
// is down is waited for.
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect, it } from 'vitest';
import { avroSchemaFor, fromAvro } from '../../../src/contracts/avro.js';
import { deadLetterSchema, type DeadLetterRecord } from '../../../src/contracts/dead-letter.js';
import type { InboundType } from '../../../src/contracts/inbound.js';
import { jsonSchemaFor } from '../../../src/contracts/json-schema.js';
import { TOPIC_CONTRACTS, type TopicContract } from '../../../src/contracts/topics.js';
import { createSchemaRegistry } from '../../../src/kafka/client.js';
import { KeySpace } from '../../../src/state/keys.js';
import { PartitionStore } from '../../../src/state/store.js';
import { cleanupsAfterEach, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { RegistryNode } from '../../support/registry-node.js';
import {
  INBOUND,
  TopicReader,
  convergedEmissionDifferences,
  convergedStateDifferences,
  emissionDifferences,
  eventStream,
  inProcessRunner,
  produceAll,
  reference,
  runtimeFixture,
  stateDifferences,
  storedInboundRecords,
  type TestMessage,
  type TopicSet,
} from '../../support/runtime-harness.js';

const PARTITIONS = 2;
const ONE = 1;

const contractOf = (id: string): TopicContract => TOPIC_CONTRACTS.find((c) => c.id === id) as TopicContract;
const subjectOf = (topics: TopicSet, type: InboundType): string => `${topics.byType[type]}-value`;

/**
 * A producer team's client: the standard library, with a JSON Schema validator
 * that knows draft 2020-12 (clvstream's schemas declare it).
 */
function producerClient(url: string): SchemaRegistry {
  return new SchemaRegistry({ host: url }, { [SchemaType.JSON]: { ajvInstance: new Ajv2020({ strict: false, validateFormats: false }) } });
}

/** The processor's own client, as the service builds it. */
function processorClient(url: string): SchemaRegistry {
  return createSchemaRegistry({ SCHEMA_REGISTRY_URL: url, SCHEMA_REGISTRY_USERNAME: undefined, SCHEMA_REGISTRY_PASSWORD: undefined, KAFKA_CLIENT_ID: 'clvtest-registry' }) as SchemaRegistry;
}

type Ids = Record<InboundType, { avro: number; json: number }>;

/**
 * Registers each inbound contract under its topic's `<topic>-value` subject as
 * Avro and then as JSON Schema: two formats on one subject need compatibility NONE.
 */
async function registerInbound(registry: SchemaRegistry, topics: TopicSet): Promise<Ids> {
  const ids = {} as Ids;
  for (const type of INBOUND) {
    const contract = contractOf(type);
    const opts = { subject: subjectOf(topics, type), compatibility: COMPATIBILITY.NONE };
    const avro = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(avroSchemaFor(contract)) }, opts);
    const json = await registry.register({ type: SchemaType.JSON, schema: JSON.stringify(jsonSchemaFor(contract)) }, opts);
    ids[type] = { avro: avro.id, json: json.id };
  }
  return ids;
}

/** The same event, re-encoded by the registry client under schema `id`. */
async function encoded(registry: SchemaRegistry, id: number, message: TestMessage, change: (v: Record<string, unknown>) => Record<string, unknown> = (v) => v): Promise<TestMessage> {
  const value = change(JSON.parse(message.value.toString()) as Record<string, unknown>);
  return { ...message, value: await registry.encode(id, value) };
}

describeWithInfra('Schema Registry wire format', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();
  const url = infra.schemaRegistryUrl;

  it.skipIf(url === undefined)(
    'Avro and JSON Schema twins of every inbound type, mixed on each topic with plain JSON, give the plain stream’s state and emissions',
    { timeout: 180_000 },
    async () => {
      // Two deployments side by side, one fed the plain stream and one its mixed
      // twin. They are compared with each other, not with the pure reference: a
      // referral's credit takes the internal topic, whose timing the reference
      // does not model (test/integration/runtime/faults.test.ts compares referrals
      // field by field for the same reason).
      const plainSide = await runtimeFixture(infra, cleanups, 'sr-plain', ONE);
      const mixedSide = await runtimeFixture(infra, cleanups, 'sr-mix', ONE);
      const producerRegistry = producerClient(url as string);
      const ids = await registerInbound(producerRegistry, mixedSide.topics);
      const plain = eventStream({ seed: 25, customers: 40, events: 900, referrals: true });
      // Every third event stays JSON, the others alternate Avro and JSON Schema.
      const wire = await Promise.all(
        plain.map((m, i) => (i % 3 === 0 ? Promise.resolve(m) : encoded(producerRegistry, i % 3 === 1 ? ids[m.type].avro : ids[m.type].json, m))),
      );
      for (const type of INBOUND) {
        const formats = new Set(wire.filter((m) => m.type === type).map((m) => (m.value[0] === 0 ? m.value.readUInt32BE(1) : 'json')));
        expect(formats, type).toEqual(new Set([ids[type].avro, ids[type].json, 'json']));
      }
      const deadLetters = new TopicReader(infra, [plainSide.topics.deadLetter, mixedSide.topics.deadLetter]);
      await deadLetters.start();
      cleanups.push(() => deadLetters.stop());
      await produceAll(plainSide.producer, plainSide.topics, plain);
      await produceAll(mixedSide.producer, mixedSide.topics, wire);

      const plainRunner = inProcessRunner(infra, plainSide.settings, plainSide.state.store);
      const mixedRunner = inProcessRunner(infra, mixedSide.settings, mixedSide.state.store, { registry: processorClient(url as string) });
      cleanups.push(() => plainRunner.stop(), () => mixedRunner.stop());
      await Promise.all([plainRunner.start(), mixedRunner.start()]);

      for (const side of [plainSide, mixedSide]) {
        await waitFor(async () => (await storedInboundRecords(side.state.redis, side.prefix, ONE, side.topics)) === plain.length, {
          timeoutMs: 60_000,
          intervalMs: 200,
          what: 'every record consumed',
        });
      }
      const customers = [...reference(plain, plainSide.settings, ONE, { perPartition: false }).states.keys()];
      expect(customers.length).toBeGreaterThan(30);
      const plainStore = new PartitionStore(plainSide.state.redis, new KeySpace(plainSide.prefix));
      const statesOfPlain = async () => new Map([...(await plainStore.loadStates(0, customers))]);
      let plainStates = await statesOfPlain();
      // Both sides settle (referral credits arrive through the internal topic); then they must be equal.
      await waitFor(
        async () => {
          plainStates = await statesOfPlain();
          return plainStates.size === customers.length && (await stateDifferences(mixedSide.state.redis, mixedSide.prefix, ONE, plainStates)).length === 0;
        },
        { timeoutMs: 60_000, intervalMs: 500, what: 'the mixed side’s state to equal the plain side’s' },
      ).catch(() => undefined);
      expect(plainStates.size).toBe(customers.length);
      expect((await stateDifferences(mixedSide.state.redis, mixedSide.prefix, ONE, plainStates)).slice(0, 5)).toEqual([]);
      // The plain side's emissions are the expectation once they stop growing and the mixed side has the same.
      const emissionsOf = (side: typeof plainSide) => new Map([...side.reader.emissions()].map(([id, e]) => [id, e.event]));
      await waitFor(() => emissionsOf(plainSide).size > 100 && emissionDifferences(emissionsOf(plainSide), mixedSide.reader.emissions()).length === 0, {
        timeoutMs: 30_000,
        intervalMs: 250,
        what: 'the same emissions on both sides',
      }).catch(() => undefined);
      expect(emissionsOf(plainSide).size).toBeGreaterThan(100);
      expect(emissionDifferences(emissionsOf(plainSide), mixedSide.reader.emissions()).slice(0, 5)).toEqual([]);
      expect(deadLetters.records).toEqual([]);
    },
  );

  it.skipIf(url === undefined)(
    'unknown schema ids, schemas that do not fit the contract and payloads that do not fit their schema are dead letters; an evolved schema goes through',
    { timeout: 120_000 },
    async () => {
      const t = await runtimeFixture(infra, cleanups, 'sr-bad', PARTITIONS);
      const producerRegistry = producerClient(url as string);
      const purchase = avroSchemaFor(contractOf('purchase')) as { fields: { name: string }[] };
      // The producer's first schema has no `channel`; its second adds it as an optional field (a BACKWARD-compatible change).
      const v1 = { ...purchase, fields: purchase.fields.filter((f) => f.name !== 'channel') };
      const subject = subjectOf(t.topics, 'purchase');
      const { id: v1Id } = await producerRegistry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject, compatibility: COMPATIBILITY.BACKWARD });
      const { id: v2Id } = await producerRegistry.register({ type: SchemaType.AVRO, schema: JSON.stringify(purchase) }, { subject, compatibility: COMPATIBILITY.BACKWARD });
      expect(v2Id).not.toBe(v1Id);
      // A feedback schema whose score is a string: it decodes, but the contract wants an integer.
      const feedback = avroSchemaFor(contractOf('feedback')) as { fields: { name: string; type: unknown }[] };
      const misfit = { ...feedback, fields: feedback.fields.map((f) => (f.name === 'score' ? { ...f, type: 'string' } : f)) };
      const { id: misfitId } = await producerRegistry.register({ type: SchemaType.AVRO, schema: JSON.stringify(misfit) }, { subject: subjectOf(t.topics, 'feedback') });
      const { id: jsonReturnId } = await producerRegistry.register(
        { type: SchemaType.JSON, schema: JSON.stringify(jsonSchemaFor(contractOf('return'))) },
        { subject: subjectOf(t.topics, 'return') },
      );

      const plain = eventStream({ seed: 26, customers: 30, events: 600 });
      // Purchases: the first half on v1, the second on v2 with a channel (its plain twin carries it too).
      const withChannel = (v: Record<string, unknown>) => ({ ...v, channel: 'web' });
      const good: TestMessage[] = plain.map((m, i) => (m.type === 'purchase' && i >= 300 ? { ...m, value: Buffer.from(JSON.stringify(withChannel(JSON.parse(m.value.toString()) as Record<string, unknown>))) } : m));
      const wire = await Promise.all(good.map((m, i) => (m.type !== 'purchase' ? Promise.resolve(m) : encoded(producerRegistry, i < 300 ? v1Id : v2Id, m))));
      expect(wire.filter((m) => m.type === 'purchase' && m.value.readUInt32BE(1) === v2Id).length).toBeGreaterThan(50);

      const at = '2023-03-01T10:00:00Z';
      const unknownId = 0x7fff_fff0;
      const validPurchase = await producerRegistry.encode(v1Id, { type: 'purchase', event_id: 'bad-1', customer_id: 'cust-1', occurred_at: at, amount: '10.00', currency: 'USD' });
      const returnBody = JSON.stringify({ type: 'return', event_id: 'bad-3', customer_id: 'cust-3', occurred_at: at, amount: 'ten', currency: 'USD' });
      const poison: { label: string; type: InboundType; value: Buffer; code: DeadLetterRecord['error']['code']; field?: string }[] = [
        { label: 'unknown schema id', type: 'purchase', value: Buffer.concat([Buffer.from([0]), u32(unknownId), validPurchase.subarray(5)]), code: 'unknown_schema_id' },
        { label: 'schema does not fit the contract', type: 'feedback', value: await producerRegistry.encode(misfitId, { type: 'feedback', event_id: 'bad-2', customer_id: 'cust-2', occurred_at: at, score: '9' }), code: 'invalid_event', field: 'score' },
        { label: 'JSON payload does not match its schema', type: 'return', value: Buffer.concat([Buffer.from([0]), u32(jsonReturnId), Buffer.from(returnBody)]), code: 'schema_mismatch' },
        { label: 'Avro payload cut short', type: 'purchase', value: validPurchase.subarray(0, validPurchase.length - 6), code: 'schema_mismatch' },
      ];

      await produceAll(t.producer, t.topics, wire.slice(0, 300));
      for (const p of poison) {
        await t.producer.send({ topic: t.topics.byType[p.type], acks: -1, messages: [{ key: 'cust-bad', value: p.value, headers: { 'x-poison': p.label } }] });
      }
      await produceAll(t.producer, t.topics, wire.slice(300));
      const deadLetters = new TopicReader(infra, [t.topics.deadLetter]);
      await deadLetters.start();
      cleanups.push(() => deadLetters.stop());
      const runner = inProcessRunner(infra, t.settings, t.state.store, { registry: processorClient(url as string) });
      cleanups.push(() => runner.stop());
      await runner.start();

      await waitFor(() => deadLetters.records.length >= poison.length, { timeoutMs: 30_000, what: 'the dead letters' });
      const records = deadLetters.records.map((r) => deadLetterSchema.parse(JSON.parse(r.value.toString())));
      expect(records).toHaveLength(poison.length);
      for (const p of poison) {
        const record = records.find((r) => r.headers.some((h) => h.key === 'x-poison' && Buffer.from(h.value_base64 ?? '', 'base64').toString() === p.label));
        expect(record, p.label).toBeDefined();
        const r = record as DeadLetterRecord;
        expect(r.error.code, p.label).toBe(p.code);
        expect(r.error.message.length, p.label).toBeGreaterThan(10);
        if (p.field !== undefined) expect(r.error.issues.map((i) => i.field), p.label).toContain(p.field);
        expect(Buffer.from(r.value_base64 ?? '', 'base64'), p.label).toEqual(p.value);
      }
      expect(records.find((r) => r.error.code === 'unknown_schema_id')?.error.message).toContain(String(unknownId));

      const expected = reference(good, t.settings, PARTITIONS);
      expect(await convergedStateDifferences(t.state.redis, t.prefix, PARTITIONS, expected.states)).toEqual([]);
      expect(await convergedEmissionDifferences(expected.emissions, t.reader)).toEqual([]);
    },
  );

  for (const format of ['avro', 'json-schema'] as const) {
    it.skipIf(url === undefined)(`OUTPUT_FORMAT=${format}: segment-changed, churn-risk and dead letters are registered and encoded; a standard deserializer reads them back`, { timeout: 120_000 }, async () => {
      const t = await runtimeFixture(infra, cleanups, `sr-out-${format}`, PARTITIONS, { extra: { SCHEMA_REGISTRY_URL: url as string, OUTPUT_FORMAT: format } });
      const good = eventStream({ seed: 28, customers: 30, events: 500 });
      const malformed = Buffer.from('{"type":"purchase",');
      const outOfRange = Buffer.from(JSON.stringify({ type: 'feedback', event_id: 'x', customer_id: 'c', occurred_at: '2023-01-01T00:00:00Z', score: 11 }));
      const poison = [malformed, outOfRange];
      const deadLetters = new TopicReader(infra, [t.topics.deadLetter]);
      await deadLetters.start();
      cleanups.push(() => deadLetters.stop());
      await produceAll(t.producer, t.topics, good);
      await t.producer.send({ topic: t.topics.byType.purchase, acks: -1, messages: [{ key: 'c', value: malformed }] });
      await t.producer.send({ topic: t.topics.byType.feedback, acks: -1, messages: [{ key: 'c', value: outOfRange }] });
      const runner = inProcessRunner(infra, t.settings, t.state.store, { registry: processorClient(url as string) });
      cleanups.push(() => runner.stop());
      await runner.start();

      const expected = reference(good, t.settings, PARTITIONS);
      expect(await convergedStateDifferences(t.state.redis, t.prefix, PARTITIONS, expected.states)).toEqual([]);
      await waitFor(() => t.reader.records.length >= expected.emissions.size && deadLetters.records.length >= poison.length, { timeoutMs: 30_000, what: 'the emissions and dead letters' });

      // Read back as a consumer would: the standard client's decode, by the id in the
      // frame. JSON Schema: with a validator per schema, as several outbound
      // subjects' versions share an $id (see docs/contracts.md).
      const reader = processorClient(url as string);
      const contract = { [t.topics.segmentChanged]: contractOf('segment-changed'), [t.topics.churnRisk]: contractOf('churn-risk'), [t.topics.deadLetter]: contractOf('dead-letter') };
      const read = async (r: { topic: string; value: Buffer }): Promise<unknown> => {
        expect(r.value[0]).toBe(0);
        const decoded: unknown = await reader.decode(r.value);
        return format === 'avro' ? fromAvro(contract[r.topic] as TopicContract, decoded) : decoded;
      };
      const emitted = new Map<string, unknown>();
      for (const r of t.reader.records) {
        const event = (await read(r)) as { event_id: string };
        emitted.set(event.event_id, event);
      }
      expect(emitted.size).toBe(expected.emissions.size);
      for (const [id, event] of expected.emissions) expect(emitted.get(id), id).toEqual(event);
      const letters = await Promise.all(deadLetters.records.map(async (r) => deadLetterSchema.parse(await read(r))));
      expect(letters.map((l) => Buffer.from(l.value_base64 ?? '', 'base64')).sort((a, b) => Buffer.compare(a, b))).toEqual([...poison].sort((a, b) => Buffer.compare(a, b)));
      expect(letters.map((l) => l.error.code).sort()).toEqual(['invalid_event', 'malformed_json']);

      for (const topic of [t.topics.segmentChanged, t.topics.churnRisk, t.topics.deadLetter]) {
        const id = await reader.getLatestSchemaId(`${topic}-value`);
        const frameIds = new Set([...t.reader.records, ...deadLetters.records].filter((r) => r.topic === topic).map((r) => r.value.readUInt32BE(1)));
        expect([...frameIds], topic).toEqual([id]);
        expect((await reader.getSchema(id)) !== null, topic).toBe(true);
      }
    });
  }

  it('a registry that is down mid-stream is waited for: nothing is dead-lettered or skipped, and the stream completes once it is back', { timeout: 240_000 }, async () => {
    const registry = await RegistryNode.start();
    cleanups.push(() => registry.destroy());
    const t = await runtimeFixture(infra, cleanups, 'sr-down', PARTITIONS);
    const producerRegistry = producerClient(registry.url);
    const ids = await registerInbound(producerRegistry, t.topics);
    // Plain JSON first, then registry-framed events; all produced before the
    // runner starts, so the event-time merge order (and the reference) is exact.
    const plain = eventStream({ seed: 27, customers: 30, events: 600 });
    const wire = await Promise.all(plain.map((m, i) => (i < 300 ? Promise.resolve(m) : encoded(producerRegistry, i % 2 === 0 ? ids[m.type].avro : ids[m.type].json, m))));
    await produceAll(t.producer, t.topics, wire);
    const deadLetters = new TopicReader(infra, [t.topics.deadLetter]);
    await deadLetters.start();
    cleanups.push(() => deadLetters.stop());

    await registry.stop();
    const runner = inProcessRunner(infra, t.settings, t.state.store, { registry: processorClient(registry.url) });
    cleanups.push(() => runner.stop());
    await runner.start();
    await waitFor(() => runner.status().lastError?.includes('Schema Registry unavailable'), { timeoutMs: 60_000, intervalMs: 100, what: 'the runner to meet the stopped registry' });
    expect(await storedInboundRecords(t.state.redis, t.prefix, PARTITIONS, t.topics)).toBeLessThan(plain.length);

    await registry.resume();
    const expected = reference(plain, t.settings, PARTITIONS);
    expect(await convergedStateDifferences(t.state.redis, t.prefix, PARTITIONS, expected.states)).toEqual([]);
    expect(await convergedEmissionDifferences(expected.emissions, t.reader)).toEqual([]);
    expect(await storedInboundRecords(t.state.redis, t.prefix, PARTITIONS, t.topics)).toBe(plain.length);
    expect(deadLetters.records).toEqual([]);
  });
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
