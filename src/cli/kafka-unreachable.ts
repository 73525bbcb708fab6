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
/** OpenSSL's alerts from a broker that wants a client certificate and got none, or one it does not trust. */
const CLIENT_CERTIFICATE_REFUSED = /alert (bad certificate|certificate required|unknown ca|certificate unknown)/i;
/** Node's reasons for a broker certificate the client does not accept. */
const SERVER_CERTIFICATE_UNTRUSTED = /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate|certificate has expired|Hostname\/IP does not match certificate/i;

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
  // OpenSSL's messages can span lines; the error is one.
  const reason = String(connection.message).replace(/^Connection error: /, '').replace(/\s+/g, ' ').trim();
  // A TLS handshake refused on either side fails the same way on every retry: say which side and which settings.
  if (CLIENT_CERTIFICATE_REFUSED.test(reason)) {
    return `Kafka refused the client certificate (brokers ${tried}: ${reason}): the brokers require TLS client authentication; set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE to a certificate signed by a CA they trust`;
  }
  if (SERVER_CERTIFICATE_UNTRUSTED.test(reason)) {
    return `Kafka's TLS certificate is not trusted (brokers ${tried}: ${reason}): set KAFKA_SSL_CA_FILE to the CA that signed it, and KAFKA_BROKERS to names the certificate lists`;
  }
  return (
    `cannot reach Kafka: tried ${tried} (${reason}); check KAFKA_BROKERS, that the brokers run and this host can reach them ` +
    `(firewall, the brokers' advertised listeners), and KAFKA_SSL / KAFKA_SASL_MECHANISM if the cluster needs TLS or authentication`
  );
}
