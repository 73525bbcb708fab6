/**
 * Kafka's authorization refusals, told apart from other errors: a missing ACL
 * does not heal by retrying, so the caller stops with a line that names the
 * resource and where the needed ACLs are listed.
 */

const REFUSALS: Readonly<Record<string, string>> = {
  TOPIC_AUTHORIZATION_FAILED: 'topic',
  GROUP_AUTHORIZATION_FAILED: 'consumer group',
  CLUSTER_AUTHORIZATION_FAILED: 'cluster',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'transactional id',
};

/** The refusal in `error` or what it wraps (kafkajs keeps the broker's error as `originalError`), else undefined. */
function refusalIn(error: unknown): { kind: string; type: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { type, originalError, cause } = current as { type?: unknown; originalError?: unknown; cause?: unknown };
    if (typeof type === 'string' && REFUSALS[type] !== undefined) return { kind: REFUSALS[type], type };
    current = originalError ?? cause;
  }
  return undefined;
}

/** The kind of resource a kafkajs error says the principal may not use, else undefined. */
export function refusedResource(error: unknown): string | undefined {
  return refusalIn(error)?.kind;
}

/** "Kafka did not authorize this principal for consumer group 'g' (GROUP_AUTHORIZATION_FAILED) …", or undefined when `error` is no refusal. */
export function refusalMessage(error: unknown, name: string): string | undefined {
  const refusal = refusalIn(error);
  if (refusal === undefined) return undefined;
  return `Kafka did not authorize this principal for ${refusal.kind} '${name}' (${refusal.type}): an ACL is missing; docs/operations.md lists the ones the service needs`;
}

/**
 * Why the consumer of group `groupId` stopped, in one line. kafkajs reports a
 * group the principal may not read as "Failed to find group coordinator" (it
 * asks every broker and drops their GROUP_AUTHORIZATION_FAILED), so that error
 * names the group and the ACL to check.
 */
export function consumerStopMessage(error: Error, groupId: string): string {
  const refusal = refusalMessage(error, groupId);
  if (refusal !== undefined) return refusal;
  if (error.name === 'KafkaJSGroupCoordinatorNotFound') {
    return `no broker would coordinate consumer group '${groupId}' (${error.message}): on a broker with ACLs, this principal lacks Read on the group; docs/operations.md lists the ACLs the service needs`;
  }
  return error.message;
}
