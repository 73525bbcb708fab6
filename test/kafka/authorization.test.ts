import { describe, expect, it } from 'vitest';
import { consumerStopMessage, isKafkaAuthorizationError, producerRefusal, refusalMessage, refusedResource } from '../../src/kafka/authorization.js';

/** The shape of kafkajs' errors: a type from the broker, possibly wrapped. */
function brokerError(type: string, topic?: string): Error {
  return Object.assign(new Error('refused'), { name: 'KafkaJSProtocolError', type }, topic === undefined ? {} : { topic });
}

describe('Kafka authorization refusals', () => {
  it('names the kind of resource, also when kafkajs wraps the broker error', () => {
    expect(refusedResource(brokerError('TOPIC_AUTHORIZATION_FAILED'))).toBe('topic');
    expect(refusedResource(brokerError('CLUSTER_AUTHORIZATION_FAILED'))).toBe('cluster');
    const wrapped = Object.assign(new Error('retries exhausted'), { originalError: brokerError('GROUP_AUTHORIZATION_FAILED') });
    expect(refusedResource(wrapped)).toBe('consumer group');
    expect(refusedResource(brokerError('UNKNOWN_TOPIC_OR_PARTITION'))).toBeUndefined();
    expect(refusedResource(null)).toBeUndefined();
  });

  it('says which permission on which resource, and where the ACLs are listed', () => {
    expect(refusalMessage(brokerError('TOPIC_AUTHORIZATION_FAILED', 'clv.purchases'), 'Read', ['clv.purchases', 'clv.returns'])).toBe(
      "Kafka did not authorize this principal (TOPIC_AUTHORIZATION_FAILED): it lacks Read on topic 'clv.purchases'; docs/operations.md lists the ACLs the service needs",
    );
    // Without the topic in the error, the candidates are named.
    expect(refusalMessage(brokerError('TOPIC_AUTHORIZATION_FAILED'), 'Write', ['a', 'b'])).toMatch(/it lacks Write on one of the topics 'a', 'b';/);
    expect(refusalMessage(brokerError('TOPIC_AUTHORIZATION_FAILED'), 'Write', ['a'])).toMatch(/it lacks Write on topic 'a';/);
    expect(refusalMessage(brokerError('GROUP_AUTHORIZATION_FAILED'), 'Read', [], 'clvstream')).toMatch(/it lacks Read on consumer group 'clvstream';/);
    expect(refusalMessage(new Error('connection refused'), 'Read', ['x'])).toBeUndefined();
  });

  it("turns a producer's refusal into an error the runner stops on, by name (it crosses the relay thread)", () => {
    const topic = producerRefusal(Object.assign(new Error('retries exhausted'), { originalError: brokerError('TOPIC_AUTHORIZATION_FAILED', 'clv.dead-letter') }), ['clv.internal', 'clv.dead-letter']);
    expect(topic?.message).toMatch(/\(TOPIC_AUTHORIZATION_FAILED\): it lacks Write on topic 'clv.dead-letter';/);
    expect(isKafkaAuthorizationError(topic)).toBe(true);
    const crossed = Object.assign(new Error(topic!.message), { name: topic!.name });
    expect(isKafkaAuthorizationError(crossed)).toBe(true);
    const cluster = producerRefusal(brokerError('CLUSTER_AUTHORIZATION_FAILED'), ['clv.internal']);
    expect(cluster?.message).toMatch(/\(CLUSTER_AUTHORIZATION_FAILED\): it lacks the cluster permission its idempotent producer needs/);
    expect(producerRefusal(brokerError('NOT_LEADER_FOR_PARTITION'), ['x'])).toBeUndefined();
    expect(isKafkaAuthorizationError(new Error('other'))).toBe(false);
  });

  it("names the group when kafkajs reports a refused group as a missing coordinator", () => {
    const lost = Object.assign(new Error('Failed to find group coordinator'), { name: 'KafkaJSGroupCoordinatorNotFound' });
    expect(consumerStopMessage(lost, 'clvstream')).toMatch(/^no broker would coordinate consumer group 'clvstream' \(Failed to find group coordinator\): .*lacks Read on the group/);
    expect(consumerStopMessage(new Error('something else'), 'clvstream')).toBe('something else');
    expect(consumerStopMessage(brokerError('TOPIC_AUTHORIZATION_FAILED', 'clv.internal'), 'clvstream', ['clv.purchases', 'clv.internal'])).toMatch(/it lacks Read on topic 'clv.internal';/);
  });
});
