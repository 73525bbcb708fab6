/**
 * The Kafka and Schema Registry clients, built from settings in one place:
 * brokers, client id, TLS (KAFKA_SSL, KAFKA_SSL_CA_FILE), SASL (KAFKA_SASL_*),
 * registry basic auth (SCHEMA_REGISTRY_USERNAME/PASSWORD), and kafkajs' own log
 * lines routed into the process logger one level lower (kafkajs is chatty:
 * its INFO lines — joins, commits — become debug; its ERROR lines, which include
 * retried connection failures, become warn; the runtime logs real failures itself).
 *
 * The option building is pure (`kafkaClientOptionsFrom`, `schemaRegistryArgsFrom`) so it
 * is tested without a broker. See docs/operations.md for the security settings.
 */
import { readFileSync } from 'node:fs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Level } from 'pino';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../ops/logger.js';
import { perSchemaAjv } from './json-schema-validator.js';

export type KafkaClientSettings = Pick<
  Settings,
  'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID' | 'KAFKA_SSL' | 'KAFKA_SSL_CA_FILE' | 'KAFKA_SASL_MECHANISM' | 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD'
> &
  Partial<Pick<Settings, 'KAFKA_SSL_CERT_FILE' | 'KAFKA_SSL_KEY_FILE'>>;

export type SchemaRegistrySettings = Pick<Settings, 'SCHEMA_REGISTRY_URL' | 'SCHEMA_REGISTRY_USERNAME' | 'SCHEMA_REGISTRY_PASSWORD' | 'KAFKA_CLIENT_ID'>;

export interface KafkaClientOptions {
  /** Where kafkajs logs go (one level lower); without one kafkajs logs nothing. */
  readonly logger?: Logger;
  /** Reads KAFKA_SSL_CA_FILE (and the client certificate and key); injectable for tests. */
  readonly readFile?: (path: string) => Buffer;
  /** Anything else of kafkajs' configuration (timeouts, retry); wins over the settings. */
  readonly overrides?: Partial<KafkaConfig>;
}

/** kafkajs level → the pino level its lines are logged at. */
export function pinoLevelOfKafka(level: logLevel): Level | null {
  switch (level) {
    case logLevel.ERROR:
      return 'warn';
    case logLevel.WARN:
      return 'info';
    case logLevel.INFO:
      return 'debug';
    case logLevel.DEBUG:
      return 'trace';
    case logLevel.NOTHING:
      return null;
  }
}

/** The most verbose kafkajs level whose lines the logger would print (kafkajs skips building the rest). */
export function kafkaLevelFor(logger: Logger | undefined): logLevel {
  if (logger === undefined) return logLevel.NOTHING;
  if (logger.isLevelEnabled('trace')) return logLevel.DEBUG;
  if (logger.isLevelEnabled('debug')) return logLevel.INFO;
  if (logger.isLevelEnabled('info')) return logLevel.WARN;
  if (logger.isLevelEnabled('warn')) return logLevel.ERROR;
  return logLevel.NOTHING;
}

/** A kafkajs `logCreator` writing into `logger` under `{ component: 'kafkajs', namespace }`; stack traces only at debug. */
export function kafkaLogCreator(logger: Logger): KafkaConfig['logCreator'] {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const target = pinoLevelOfKafka(level);
      if (target === null) return;
      const { message, timestamp: _timestamp, logger: _logger, stack, ...extra } = log as LogEntry['log'] & { stack?: unknown };
      // kafkajs attaches stack traces to routine warnings (a broker refusing a
      // connection); they belong to debugging, not to the console.
      const withStack = stack !== undefined && child.isLevelEnabled('debug') ? { stack } : {};
      child[target]({ namespace, ...extra, ...withStack }, message);
    };
}

function saslOf(settings: KafkaClientSettings): SASLOptions | undefined {
  const mechanism = settings.KAFKA_SASL_MECHANISM;
  if (mechanism === undefined) return undefined;
  const username = settings.KAFKA_SASL_USERNAME;
  const password = settings.KAFKA_SASL_PASSWORD;
  if (username === undefined || password === undefined) {
    // The settings schema refuses this already; a hand-built object may not.
    throw new RangeError(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`);
  }
  return { mechanism, username, password };
}

/** The kafkajs configuration the settings describe (pure apart from reading the CA file). */
export function kafkaClientOptionsFrom(settings: KafkaClientSettings, options: KafkaClientOptions = {}): KafkaConfig {
  const config: KafkaConfig = {
    clientId: settings.KAFKA_CLIENT_ID,
    brokers: [...settings.KAFKA_BROKERS],
    logLevel: kafkaLevelFor(options.logger),
  };
  if (options.logger !== undefined) config.logCreator = kafkaLogCreator(options.logger);
  if (settings.KAFKA_SSL) {
    const read = (name: 'KAFKA_SSL_CA_FILE' | 'KAFKA_SSL_CERT_FILE' | 'KAFKA_SSL_KEY_FILE'): Buffer | undefined => {
      const file = settings[name];
      if (file === undefined) return undefined;
      try {
        return (options.readFile ?? readFileSync)(file);
      } catch (cause) {
        throw new Error(`${name}=${JSON.stringify(file)} cannot be read: ${(cause as Error).message}`, { cause });
      }
    };
    const ca = read('KAFKA_SSL_CA_FILE');
    // A client certificate for brokers with ssl.client.auth=required.
    const cert = read('KAFKA_SSL_CERT_FILE');
    const key = read('KAFKA_SSL_KEY_FILE');
    // `true`: the system's trust store, no client certificate.
    config.ssl = ca === undefined && cert === undefined ? true : { ...(ca === undefined ? {} : { ca: [ca] }), ...(cert === undefined ? {} : { cert, key }) };
  }
  const sasl = saslOf(settings);
  if (sasl !== undefined) config.sasl = sasl;
  return { ...config, ...options.overrides };
}

/** The kafkajs client for these settings. */
export function createKafka(settings: KafkaClientSettings, options: KafkaClientOptions = {}): Kafka {
  return new Kafka(kafkaClientOptionsFrom(settings, options));
}

/** Constructor arguments of the registry client, or null without SCHEMA_REGISTRY_URL. */
export function schemaRegistryArgsFrom(
  settings: SchemaRegistrySettings,
): ConstructorParameters<typeof SchemaRegistry>[0] | null {
  const host = settings.SCHEMA_REGISTRY_URL;
  if (host === undefined) return null;
  const args: ConstructorParameters<typeof SchemaRegistry>[0] = { host, clientId: settings.KAFKA_CLIENT_ID, middlewares: [schemaTypeFromContent] };
  if (settings.SCHEMA_REGISTRY_USERNAME !== undefined && settings.SCHEMA_REGISTRY_PASSWORD !== undefined) {
    args.auth = { username: settings.SCHEMA_REGISTRY_USERNAME, password: settings.SCHEMA_REGISTRY_PASSWORD };
  }
  return args;
}

type RegistryMiddleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];

/**
 * A schema fetched by id names its type (`schemaType`) unless it is Avro, and
 * the client reads a missing type as Avro. Apicurio Registry's
 * Confluent-compatible API leaves the type out for JSON Schemas too (3.3.3), so
 * the client would parse a JSON Schema as Avro and fail; the type is then told
 * by the content. A registry that names the type is left alone.
 */
const schemaTypeFromContent: RegistryMiddleware = () => ({
  response: (next) =>
    next().then((response) => {
      const data = response.data<{ schema?: unknown; schemaType?: unknown } | null>();
      if (typeof data !== 'object' || data === null || typeof data.schema !== 'string' || data.schemaType !== undefined) return response;
      if (!/\/schemas\/ids\/\d+/.test(response.request().url())) return response;
      const type = schemaTypeOf(data.schema);
      return type === 'AVRO' ? response : response.enhance({ rawData: JSON.stringify({ ...data, schemaType: type }) });
    }),
});

/** Avro is JSON with an Avro `type`; a JSON Schema is an object that says so or describes an object; Protobuf is not JSON. */
export function schemaTypeOf(schema: string): 'AVRO' | 'JSON' | 'PROTOBUF' {
  let parsed: unknown;
  try {
    parsed = JSON.parse(schema);
  } catch {
    return 'PROTOBUF';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'AVRO';
  const o = parsed as Record<string, unknown>;
  return '$schema' in o || 'properties' in o || o.type === 'object' ? 'JSON' : 'AVRO';
}

/** The Schema Registry client (basic auth when configured), or null without SCHEMA_REGISTRY_URL. */
export function createSchemaRegistry(settings: SchemaRegistrySettings): SchemaRegistry | null {
  const args = schemaRegistryArgsFrom(settings);
  return args === null ? null : new SchemaRegistry(args, { [SchemaType.JSON]: { ajvInstance: perSchemaAjv as never } });
}
