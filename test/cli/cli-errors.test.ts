import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.js';
import { EXIT, failureOf } from '../../src/cli/cli-errors.js';
import { kafkaUnreachableMessage } from '../../src/cli/kafka-unreachable.js';
import { RuntimeFailure } from '../../src/cli/runtime-failure.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { FatalRunnerError } from '../../src/service/fatal-runner-error.js';

const errno = (code: string, path: string) => Object.assign(new Error(`${code}: x, open '${path}'`), { code, path, errno: -2, syscall: 'open' });

describe('failureOf', () => {
  it('makes wrong command lines, settings and unusable file arguments exit 2 with one line', () => {
    expect(failureOf(new UsageError('--partitions "x" is not a positive integer'), { debug: false })).toEqual({ exitCode: EXIT.usage, line: '--partitions "x" is not a positive integer' });
    expect(failureOf(new ConfigError(['REDIS_URL is invalid']), { debug: false }).exitCode).toBe(EXIT.usage);
    expect(failureOf(errno('ENOENT', 'missing.jsonl'), { debug: false })).toEqual({ exitCode: EXIT.usage, line: 'missing.jsonl: no such file or directory' });
    expect(failureOf(errno('EACCES', '/root/x'), { debug: false })).toEqual({ exitCode: EXIT.usage, line: '/root/x: permission denied' });
  });

  it('leaves commander to print its own message, and help and version exit 0', () => {
    expect(failureOf(new CommanderError(1, 'commander.unknownOption', 'x'), { debug: false })).toEqual({ exitCode: EXIT.usage, line: null });
    expect(failureOf(new CommanderError(0, 'commander.helpDisplayed', 'x'), { debug: false })).toEqual({ exitCode: EXIT.ok, line: null });
  });

  it('ends quietly with 0 when the reader closed the pipe', () => {
    expect(failureOf(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), { debug: false })).toEqual({ exitCode: EXIT.ok, line: null });
  });

  it('makes runtime failures exit 1 with one line, the stack trace only when debugging', () => {
    const plain = failureOf(new Error('something broke'), { debug: false });
    expect(plain).toEqual({ exitCode: EXIT.failure, line: 'something broke (LOG_LEVEL=debug shows where)', stack: undefined });
    const debug = failureOf(new Error('something broke'), { debug: true });
    expect(debug.line).toBe('something broke');
    expect(debug.stack).toMatch(/^Error: something broke\n\s+at /);
    expect(failureOf(new RuntimeFailure('cannot reach Kafka'), { debug: false })).toEqual({ exitCode: EXIT.failure, line: 'cannot reach Kafka', stack: undefined });
    expect(failureOf(new FatalRunnerError('start-up failed: x'), { debug: false }).line).toBe('start-up failed: x');
  });
});

describe('kafkaUnreachableMessage', () => {
  const brokers = ['k1:9092', 'k2:9092'];

  /** The chain kafkajs and the runner build: runner error → retries exceeded → connection error. */
  function wrapped(inner: Error): Error {
    const retries = Object.assign(new Error(inner.message, { cause: inner }), { name: 'KafkaJSNumberOfRetriesExceeded' });
    return new FatalRunnerError(`start-up failed: ${inner.message}`, { cause: retries });
  }

  it('names the brokers tried, the network error and what to check, in one line', () => {
    const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED 10.0.0.1:9092'), { name: 'KafkaJSConnectionError' });
    const line = kafkaUnreachableMessage(wrapped(refused), brokers);
    expect(line).toMatch(/^cannot reach Kafka: tried k1:9092, k2:9092 \(connect ECONNREFUSED 10\.0\.0\.1:9092\); check KAFKA_BROKERS, /);
    expect(line).not.toContain('\n');
  });

  it('points at the credentials when the brokers refused them', () => {
    const auth = Object.assign(new Error('SASL PLAIN authentication failed'), { name: 'KafkaJSSASLAuthenticationError' });
    expect(kafkaUnreachableMessage(wrapped(auth), brokers)).toMatch(/check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD$/);
  });

  it('names a TLS handshake refused on either side, in one line', () => {
    const alert = Object.assign(new Error('Connection error: 40CD:error:0A000412:SSL routines:ssl3_read_bytes:ssl/tls alert bad certificate:rec_layer_s3.c:918:SSL alert number 42\n'), { name: 'KafkaJSConnectionError' });
    const client = kafkaUnreachableMessage(wrapped(alert), brokers);
    expect(client).toMatch(/^Kafka refused the client certificate \(brokers k1:9092, k2:9092: .*alert bad certificate.*\): .*set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE/);
    expect(client).not.toContain('\n');
    const untrusted = Object.assign(new Error('Connection error: self-signed certificate in certificate chain'), { name: 'KafkaJSConnectionError' });
    expect(kafkaUnreachableMessage(wrapped(untrusted), brokers)).toMatch(/^Kafka's TLS certificate is not trusted \(.*\): set KAFKA_SSL_CA_FILE to the CA that signed it/);
  });

  it('leaves other failures alone', () => {
    expect(kafkaUnreachableMessage(new FatalRunnerError('topic clv.purchases has 3 partitions, clv.returns 4'), brokers)).toBeNull();
    expect(kafkaUnreachableMessage('a string', brokers)).toBeNull();
  });
});
