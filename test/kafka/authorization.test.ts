import { describe, expect, it } from 'vitest';
import { consumerStopMessage, refusalMessage, refusedResource } from '../../src/kafka/authorization.js';

/** The shape of kafkajs' errors: a type from the broker, possibly wrapped. */
function brokerError(type: string, message = 'refused'): Error {
  return Object.assign(new Error(message), { name: 'KafkaJSProtocolError', type });
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

  it('says which resource and where the ACLs are listed', () => {
    expect(refusalMessage(brokerError('TOPIC_AUTHORIZATION_FAILED'), 'clv.purchases')).toBe(
      "Kafka did not authorize this principal for topic 'clv.purchases' (TOPIC_AUTHORIZATION_FAILED): an ACL is missing; docs/operations.md lists the ones the service needs",
    );
    expect(refusalMessage(new Error('connection refused'), 'x')).toBeUndefined();
  });

  it("names the group when kafkajs reports a refused group as a missing coordinator", () => {
    const lost = Object.assign(new Error('Failed to find group coordinator'), { name: 'KafkaJSGroupCoordinatorNotFound' });
    expect(consumerStopMessage(lost, 'clvstream')).toMatch(/^no broker would coordinate consumer group 'clvstream' \(Failed to find group coordinator\): .*lacks Read on the group/);
    expect(consumerStopMessage(new Error('something else'), 'clvstream')).toBe('something else');
  });
});
