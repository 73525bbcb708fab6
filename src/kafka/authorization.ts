/**
 * Kafka's authorization refusals, told apart from other errors: a missing ACL
 * does not heal by retrying, so the caller stops with a line that names the
 * permission, the resource and where the needed ACLs are listed.
 */

const REFUSALS: Readonly<Record<string, string>> = {
  TOPIC_AUTHORIZATION_FAILED: 'topic',
  GROUP_AUTHORIZATION_FAILED: 'consumer group',
  CLUSTER_AUTHORIZATION_FAILED: 'cluster',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'transactional id',
};

const ACLS_LISTED = 'docs/operations.md lists the ACLs the service needs';

/**
 * A refusal the service cannot get past: its message is the one line to print.
 * It crosses the relay thread by name (relay-thread-protocol.ts), so the
 * runner recognises it by `name`, not by class.
 */
export class KafkaAuthorizationError extends Error {
  static readonly NAME = 'KafkaAuthorizationError';
  override readonly name = KafkaAuthorizationError.NAME;
}

/** Whether `error` (here or from the relay thread) is a KafkaAuthorizationError. */
export function isKafkaAuthorizationError(error: unknown): error is Error {
  return error instanceof Error && error.name === KafkaAuthorizationError.NAME;
}

interface Refusal {
  readonly kind: string;
  readonly type: string;
  /** The topic the broker refused, when the error carries it (the kafkajs patch adds it to fetch and produce errors). */
  readonly topic?: string;
  /** The topics, when a produce request was refused for several (the patch again). */
  readonly topics?: readonly string[];
}

/** The refusal in `error` or what it wraps (kafkajs keeps the broker's error as `originalError`), else undefined. */
function refusalIn(error: unknown): Refusal | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { type, topic, topics, originalError, cause } = current as { type?: unknown; topic?: unknown; topics?: unknown; originalError?: unknown; cause?: unknown };
    if (typeof type === 'string' && REFUSALS[type] !== undefined) {
      const named = Array.isArray(topics) && topics.every((t) => typeof t === 'string') ? { topics } : {};
      return { kind: REFUSALS[type], type, ...(typeof topic === 'string' && topic !== '' ? { topic } : named) };
    }
    current = originalError ?? cause;
  }
  return undefined;
}

/** The kind of resource a kafkajs error says the principal may not use, else undefined. */
export function refusedResource(error: unknown): string | undefined {
  return refusalIn(error)?.kind;
}

function lacks(refusal: Refusal, what: string): string {
  return `Kafka did not authorize this principal (${refusal.type}): it lacks ${what}; ${ACLS_LISTED}`;
}

function topicsNamed(refusal: Refusal, requested: readonly string[]): string {
  if (refusal.topic !== undefined) return `topic '${refusal.topic}'`;
  const topics = refusal.topics ?? requested;
  if (topics.length === 1) return `topic '${topics[0]}'`;
  return `one of the topics ${topics.map((t) => `'${t}'`).join(', ')}`;
}

/** What the other kinds of refusal need, whoever met them. */
function otherRefusal(refusal: Refusal, groupId?: string): string {
  switch (refusal.kind) {
    case 'consumer group':
      return lacks(refusal, groupId === undefined ? 'Read on the consumer group' : `Read on consumer group '${groupId}'`);
    case 'cluster':
      // Since Kafka 3.0 (KIP-679) Write on any topic lets an idempotent producer start; older brokers want IdempotentWrite.
      return lacks(refusal, 'the cluster permission its idempotent producer needs (Write on a topic; IdempotentWrite on the cluster before Kafka 3.0)');
    default:
      return lacks(refusal, `a permission on a ${refusal.kind}`);
  }
}

/**
 * The error to stop with when the relay's producer was refused writing
 * `topics` (the records of the failed request), else undefined.
 */
export function producerRefusal(error: unknown, topics: readonly string[]): KafkaAuthorizationError | undefined {
  const line = refusalMessage(error, 'Write', topics);
  return line === undefined ? undefined : new KafkaAuthorizationError(line, { cause: error });
}

/** "Kafka did not authorize this principal (TOPIC_AUTHORIZATION_FAILED): it lacks … on topic 'x'; …", or undefined when `error` is no refusal. */
export function refusalMessage(error: unknown, operation: string, topics: readonly string[], groupId?: string): string | undefined {
  const refusal = refusalIn(error);
  if (refusal === undefined) return undefined;
  return refusal.kind === 'topic' ? lacks(refusal, `${operation} on ${topicsNamed(refusal, topics)}`) : otherRefusal(refusal, groupId);
}

/**
 * Why the consumer of group `groupId`, reading `topics`, stopped, in one line.
 * kafkajs reports a group the principal may not read as "Failed to find group
 * coordinator" (it asks every broker and drops their GROUP_AUTHORIZATION_FAILED),
 * so that error names the group and the ACL to check.
 */
export function consumerStopMessage(error: Error, groupId: string, topics: readonly string[] = []): string {
  const refusal = refusalMessage(error, 'Read', topics, groupId);
  if (refusal !== undefined) return refusal;
  if (error.name === 'KafkaJSGroupCoordinatorNotFound') {
    return `no broker would coordinate consumer group '${groupId}' (${error.message}): on a broker with ACLs, this principal lacks Read on the group; ${ACLS_LISTED}`;
  }
  return error.message;
}
