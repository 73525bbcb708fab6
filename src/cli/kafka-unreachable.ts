/**
 * The one line `clvstream run` ends with when it cannot reach Kafka at start-up:
 * which brokers it tried, the last network error, and what to check — instead
 * of kafkajs's error chain. Recognises kafkajs's connection and authentication
 * errors anywhere in the cause chain (the runner wraps them).
 */

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
}

/** The errors of `error`'s cause chain, outermost first (bounded: chains can be cyclic). */
function chain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  for (let e = error, i = 0; typeof e === 'object' && e !== null && i < 10; e = (e as ErrorLike).cause, i++) out.push(e);
  return out;
}

const CONNECTION = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError']);
const AUTHENTICATION = new Set(['KafkaJSSASLAuthenticationError']);

/** The line for a start-up failure caused by unreachable brokers, else null (another failure). */
export function kafkaUnreachableMessage(error: unknown, brokers: readonly string[]): string | null {
  const errors = chain(error);
  const tried = brokers.join(', ');
  const auth = errors.find((e) => AUTHENTICATION.has(String(e.name)));
  if (auth !== undefined) {
    return `Kafka refused the credentials (brokers ${tried}: ${String(auth.message)}); check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`;
  }
  const connection = errors.find((e) => CONNECTION.has(String(e.name)));
  if (connection === undefined) return null;
  const reason = String(connection.message).replace(/^Connection error: /, '');
  return (
    `cannot reach Kafka: tried ${tried} (${reason}); check KAFKA_BROKERS, that the brokers run and this host can reach them ` +
    `(firewall, the brokers' advertised listeners), and KAFKA_SSL / KAFKA_SASL_MECHANISM if the cluster needs TLS or authentication`
  );
}
