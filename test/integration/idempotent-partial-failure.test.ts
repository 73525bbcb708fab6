// The relay's idempotent producer against the real broker when one request is
// refused for one partition and accepted for another (a record too large for
// its topic, as a missing ACL or a partition-level error would do). The broker
// appended the accepted partition's batch; kafkajs must count its sequence
// numbers as used. Released kafkajs handed them out again, so the next batch of
// the same size to that partition looked to the broker like a repeat of the
// appended one: it was acknowledged and dropped, a silent loss.
import { expect, it } from 'vitest';
import { cleanupsAfterEach, createTestKafka, deleteTopic, describeWithInfra, uniqueSuffix, waitFor, type InfraEndpoints } from '../support/infra.js';

describeWithInfra('idempotent producer after a partly refused request', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('a later send to the partition the broker accepted is appended, not taken for a repeat', { timeout: 120_000 }, async () => {
    const id = `clvtest-partial-${uniqueSuffix()}`;
    const accepted = `${id}.accepted`;
    const small = `${id}.small`;
    const kafka = createTestKafka(infra);
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: accepted, numPartitions: 1, replicationFactor: 1 },
        { topic: small, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: '1024' }] },
      ],
    });
    for (const topic of [accepted, small]) cleanups.push(() => deleteTopic(infra, topic));

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const refused = await producer
      .sendBatch({
        acks: -1,
        topicMessages: [
          { topic: accepted, messages: [{ key: 'k', value: 'first' }] },
          { topic: small, messages: [{ key: 'k', value: 'x'.repeat(4096) }] },
        ],
      })
      .then(
        () => null,
        (error: unknown) => error as Error,
      );
    expect(refused?.message).toMatch(/larger than/i);
    // Same producer, same partition, same number of records as the appended batch.
    await producer.send({ acks: -1, topic: accepted, messages: [{ key: 'k', value: 'second' }] });

    const offsets = await admin.fetchTopicOffsets(accepted);
    expect(offsets.map((o) => o.high)).toEqual(['2']);
    const consumer = kafka.consumer({ groupId: `${id}-reader` });
    await consumer.connect();
    cleanups.push(() => consumer.disconnect());
    await consumer.subscribe({ topic: accepted, fromBeginning: true });
    const values: string[] = [];
    await consumer.run({ eachMessage: ({ message }) => Promise.resolve(void values.push(message.value?.toString() ?? '')) });
    await waitFor(() => values.length >= 2, { timeoutMs: 60_000, what: 'both records read back' });
    expect(values).toEqual(['first', 'second']);
  });
});
