import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/index.js';
import {
  kafkaClientOptionsFrom,
  kafkaLevelFor,
  kafkaLogCreator,
  pinoLevelOfKafka,
  schemaRegistryArgsFrom,
  schemaTypeOf,
} from '../../src/kafka/client.js';
import { captureLogger } from '../ops/capture-logger.js';

function collectingLogger(level: 'info' | 'debug' | 'trace' | 'warn' = 'info') {
  return captureLogger(level);
}

describe('kafkaClientOptionsFrom', () => {
  it('builds brokers and client id without TLS or SASL by default', () => {
    const config = kafkaClientOptionsFrom(loadSettings({ env: { KAFKA_BROKERS: 'k1:9092,k2:9093', KAFKA_CLIENT_ID: 'clv-a' } }));
    expect(config.brokers).toEqual(['k1:9092', 'k2:9093']);
    expect(config.clientId).toBe('clv-a');
    expect(config.ssl).toBeUndefined();
    expect(config.sasl).toBeUndefined();
    expect(config.logLevel).toBe(logLevel.NOTHING);
    expect(config.logCreator).toBeUndefined();
  });

  it('uses the system trust store with KAFKA_SSL=true and the CA file when given', () => {
    expect(kafkaClientOptionsFrom(loadSettings({ env: { KAFKA_SSL: 'true' } })).ssl).toBe(true);
    const reads: string[] = [];
    const config = kafkaClientOptionsFrom(loadSettings({ env: { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/etc/kafka/ca.pem' } }), {
      readFile: (path) => {
        reads.push(path);
        return Buffer.from('-----BEGIN CERTIFICATE-----\n');
      },
    });
    expect(reads).toEqual(['/etc/kafka/ca.pem']);
    expect(config.ssl).toEqual({ ca: [Buffer.from('-----BEGIN CERTIFICATE-----\n')] });
  });

  it('adds a client certificate and key (brokers with ssl.client.auth=required)', () => {
    const files: Record<string, Buffer> = { '/ca.pem': Buffer.from('ca'), '/c.pem': Buffer.from('cert'), '/k.pem': Buffer.from('key') };
    const env = { KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: '/c.pem', KAFKA_SSL_KEY_FILE: '/k.pem' };
    expect(kafkaClientOptionsFrom(loadSettings({ env }), { readFile: (p) => files[p] as Buffer }).ssl).toEqual({ cert: files['/c.pem'], key: files['/k.pem'] });
    expect(kafkaClientOptionsFrom(loadSettings({ env: { ...env, KAFKA_SSL_CA_FILE: '/ca.pem' } }), { readFile: (p) => files[p] as Buffer }).ssl).toEqual({ ca: [files['/ca.pem']], cert: files['/c.pem'], key: files['/k.pem'] });
    expect(() => kafkaClientOptionsFrom(loadSettings({ env }), { readFile: () => { throw new Error('ENOENT'); } })).toThrow('KAFKA_SSL_CERT_FILE="/c.pem" cannot be read: ENOENT');
  });

  it('names an unreadable CA file', () => {
    const settings = loadSettings({ env: { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/nope.pem' } });
    expect(() =>
      kafkaClientOptionsFrom(settings, {
        readFile: () => {
          throw new Error('ENOENT');
        },
      }),
    ).toThrow('KAFKA_SSL_CA_FILE="/nope.pem" cannot be read: ENOENT');
  });

  it('passes the SASL mechanism and credentials', () => {
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
      const config = kafkaClientOptionsFrom(
        loadSettings({ env: { KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'clv', KAFKA_SASL_PASSWORD: 'pw' } }),
      );
      expect(config.sasl).toEqual({ mechanism, username: 'clv', password: 'pw' });
      expect(config.ssl).toBe(true);
    }
  });

  it('lets overrides win', () => {
    const config = kafkaClientOptionsFrom(loadSettings({ env: {} }), { overrides: { connectionTimeout: 1234, clientId: 'x' } });
    expect(config.connectionTimeout).toBe(1234);
    expect(config.clientId).toBe('x');
  });
});

describe('schemaTypeOf (a fetched schema whose registry left out its type)', () => {
  it('tells JSON Schema, Avro and Protobuf apart by content', () => {
    expect(schemaTypeOf(JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' }))).toBe('JSON');
    expect(schemaTypeOf(JSON.stringify({ type: 'object', properties: {} }))).toBe('JSON');
    expect(schemaTypeOf(JSON.stringify({ type: 'record', name: 'A', fields: [] }))).toBe('AVRO');
    expect(schemaTypeOf(JSON.stringify({ type: 'array', items: 'string' }))).toBe('AVRO');
    expect(schemaTypeOf('"string"')).toBe('AVRO');
    expect(schemaTypeOf('syntax = "proto3"; message A {}')).toBe('PROTOBUF');
  });
});

describe('kafkajs logs into pino', () => {
  it('maps every kafkajs level one step lower', () => {
    expect(pinoLevelOfKafka(logLevel.ERROR)).toBe('warn');
    expect(pinoLevelOfKafka(logLevel.WARN)).toBe('info');
    expect(pinoLevelOfKafka(logLevel.INFO)).toBe('debug');
    expect(pinoLevelOfKafka(logLevel.DEBUG)).toBe('trace');
    expect(pinoLevelOfKafka(logLevel.NOTHING)).toBeNull();
  });

  it('asks kafkajs only for lines the logger prints', () => {
    expect(kafkaLevelFor(collectingLogger('info').logger)).toBe(logLevel.WARN);
    expect(kafkaLevelFor(collectingLogger('debug').logger)).toBe(logLevel.INFO);
    expect(kafkaLevelFor(collectingLogger('trace').logger)).toBe(logLevel.DEBUG);
    expect(kafkaLevelFor(collectingLogger('warn').logger)).toBe(logLevel.ERROR);
    const { logger } = collectingLogger('info');
    expect(kafkaClientOptionsFrom(loadSettings({ env: {} }), { logger }).logLevel).toBe(logLevel.WARN);
  });

  it('writes kafkajs entries with namespace and extras, secrets redacted', () => {
    const { logger, lines } = collectingLogger('debug');
    const log = kafkaLogCreator(logger)!(logLevel.INFO);
    log({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { timestamp: 'now', logger: 'kafkajs', message: 'Connection error', broker: 'k1:9092', password: 'hunter2' },
    });
    log({ namespace: 'Runner', level: logLevel.INFO, label: 'INFO', log: { timestamp: 'now', message: 'joined', groupId: 'g' } });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'warn', component: 'kafkajs', namespace: 'Connection', msg: 'Connection error', broker: 'k1:9092', password: '[redacted]' });
    expect(lines[0]).not.toHaveProperty('timestamp');
    expect(lines[1]).toMatchObject({ level: 'debug', namespace: 'Runner', msg: 'joined', groupId: 'g' });
  });

  it('keeps stack traces out of the log unless debug is on', () => {
    const entry = { namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { timestamp: 'now', message: 'Connection error', stack: 'Error: connect ECONNREFUSED\n    at x' } };
    const info = collectingLogger('info');
    kafkaLogCreator(info.logger)!(logLevel.INFO)(entry);
    expect(info.lines).toHaveLength(1);
    expect(info.lines[0]).not.toHaveProperty('stack');
    const debug = collectingLogger('debug');
    kafkaLogCreator(debug.logger)!(logLevel.INFO)(entry);
    expect(debug.lines[0]).toMatchObject({ stack: 'Error: connect ECONNREFUSED\n    at x' });
  });
});

describe('schemaTypeOf (a fetched schema whose registry left out its type)', () => {
  it('tells JSON Schema, Avro and Protobuf apart by content', () => {
    expect(schemaTypeOf(JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' }))).toBe('JSON');
    expect(schemaTypeOf(JSON.stringify({ type: 'object', properties: {} }))).toBe('JSON');
    expect(schemaTypeOf(JSON.stringify({ type: 'record', name: 'A', fields: [] }))).toBe('AVRO');
    expect(schemaTypeOf(JSON.stringify({ type: 'array', items: 'string' }))).toBe('AVRO');
    expect(schemaTypeOf('"string"')).toBe('AVRO');
    expect(schemaTypeOf('syntax = "proto3"; message A {}')).toBe('PROTOBUF');
  });
});

describe('schemaRegistryArgsFrom', () => {
  it('is null without a URL', () => {
    expect(schemaRegistryArgsFrom(loadSettings({ env: {} }))).toBeNull();
  });

  it('adds basic auth when configured', () => {
    const plain = schemaRegistryArgsFrom(loadSettings({ env: { SCHEMA_REGISTRY_URL: 'https://sr.example:8081' } }));
    expect(plain).toMatchObject({ host: 'https://sr.example:8081', clientId: 'clvstream' });
    expect(plain?.auth).toBeUndefined();
    const args = schemaRegistryArgsFrom(
      loadSettings({ env: { SCHEMA_REGISTRY_URL: 'https://sr.example:8081', SCHEMA_REGISTRY_USERNAME: 'key', SCHEMA_REGISTRY_PASSWORD: 'secret' } }),
    );
    expect(args?.auth).toEqual({ username: 'key', password: 'secret' });
  });
});

describe('schemaTypeOf (a fetched schema whose registry left out its type)', () => {
  it('tells JSON Schema, Avro and Protobuf apart by content', () => {
    expect(schemaTypeOf(JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' }))).toBe('JSON');
    expect(schemaTypeOf(JSON.stringify({ type: 'object', properties: {} }))).toBe('JSON');
    expect(schemaTypeOf(JSON.stringify({ type: 'record', name: 'A', fields: [] }))).toBe('AVRO');
    expect(schemaTypeOf(JSON.stringify({ type: 'array', items: 'string' }))).toBe('AVRO');
    expect(schemaTypeOf('"string"')).toBe('AVRO');
    expect(schemaTypeOf('syntax = "proto3"; message A {}')).toBe('PROTOBUF');
  });
});
