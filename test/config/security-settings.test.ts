import { describe, expect, it } from 'vitest';
import { ConfigError, loadSettings } from '../../src/config/index.js';

function problems(env: Record<string, string>, files: Record<string, string> = {}): readonly string[] {
  try {
    loadSettings({ env, readFile: (path) => read(files, path) });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

function read(files: Record<string, string>, path: string): string {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
  return text;
}

const SASL = { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'clv', KAFKA_SASL_PASSWORD: 's3cret-pass' };

describe('security settings', () => {
  it('default to no TLS, no SASL, no registry credentials and no bearer token', () => {
    const s = loadSettings({ env: {} });
    expect(s.KAFKA_SSL).toBe(false);
    expect(s.KAFKA_SSL_CA_FILE).toBeUndefined();
    expect(s.KAFKA_SASL_MECHANISM).toBeUndefined();
    expect(s.SCHEMA_REGISTRY_USERNAME).toBeUndefined();
    expect(s.HTTP_BEARER_TOKEN).toBeUndefined();
    expect(s.REDIS_TLS_CA_FILE).toBeUndefined();
  });

  it('parse KAFKA_SSL as true or false only', () => {
    expect(loadSettings({ env: { KAFKA_SSL: 'true' } }).KAFKA_SSL).toBe(true);
    expect(loadSettings({ env: { KAFKA_SSL: 'false' } }).KAFKA_SSL).toBe(false);
    expect(problems({ KAFKA_SSL: 'yes' })).toEqual(['KAFKA_SSL="yes" is invalid: expected true or false']);
  });

  it('read a YAML boolean for KAFKA_SSL', () => {
    const s = loadSettings({ env: {}, file: 'c.yaml', readFile: () => 'KAFKA_SSL: true\nKAFKA_SSL_CA_FILE: /etc/ca.pem\n' });
    expect(s.KAFKA_SSL).toBe(true);
    expect(s.KAFKA_SSL_CA_FILE).toBe('/etc/ca.pem');
  });

  it('accept the three SASL mechanisms and name them when another is given', () => {
    for (const m of ['plain', 'scram-sha-256', 'scram-sha-512']) {
      expect(loadSettings({ env: { ...SASL, KAFKA_SASL_MECHANISM: m } }).KAFKA_SASL_MECHANISM).toBe(m);
    }
    expect(problems({ ...SASL, KAFKA_SASL_MECHANISM: 'gssapi' })).toEqual([
      'KAFKA_SASL_MECHANISM="gssapi" is invalid: expected one of plain, scram-sha-256, scram-sha-512',
    ]);
  });

  it('require user name and password with a SASL mechanism', () => {
    expect(problems({ KAFKA_SASL_MECHANISM: 'plain' })).toEqual([
      'KAFKA_SASL_USERNAME is not set: expected a user name set when KAFKA_SASL_MECHANISM is plain',
      'KAFKA_SASL_PASSWORD is not set: expected a password set when KAFKA_SASL_MECHANISM is plain',
    ]);
    expect(problems({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' })).toEqual([
      'KAFKA_SASL_PASSWORD is not set: expected a password set when KAFKA_SASL_MECHANISM is plain',
    ]);
  });

  it('refuse SASL credentials without a mechanism', () => {
    expect(problems({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toEqual([
      'KAFKA_SASL_MECHANISM is not set: expected plain, scram-sha-256 or scram-sha-512 when KAFKA_SASL_USERNAME is set',
    ]);
  });

  it('never print a password in a message', () => {
    const found = problems({ ...SASL, KAFKA_SASL_PASSWORD: 'line1\nline2', HTTP_BEARER_TOKEN: 'short' });
    expect(found).toEqual([
      'KAFKA_SASL_PASSWORD=<redacted> is invalid: expected a non-empty password (1–1024 characters, one line)',
      'HTTP_BEARER_TOKEN=<redacted> is invalid: expected 16–512 printable ASCII characters without spaces',
    ]);
    expect(found.join('\n')).not.toContain('line1');
  });

  it('require KAFKA_SSL=true with a CA file', () => {
    expect(problems({ KAFKA_SSL_CA_FILE: '/etc/ca.pem' })).toEqual(['KAFKA_SSL is not set: expected true when KAFKA_SSL_CA_FILE is set']);
    expect(problems({ KAFKA_SSL: 'false', KAFKA_SSL_CA_FILE: '/etc/ca.pem' })).toEqual([
      'KAFKA_SSL="false" is invalid: expected true when KAFKA_SSL_CA_FILE is set',
    ]);
    expect(loadSettings({ env: { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/etc/ca.pem' } }).KAFKA_SSL_CA_FILE).toBe('/etc/ca.pem');
  });

  it('require schema registry user name and password together, and a URL', () => {
    expect(problems({ SCHEMA_REGISTRY_URL: 'https://sr:8081', SCHEMA_REGISTRY_USERNAME: 'u' })).toEqual([
      'SCHEMA_REGISTRY_PASSWORD is not set: expected a password when SCHEMA_REGISTRY_USERNAME is set',
    ]);
    expect(problems({ SCHEMA_REGISTRY_URL: 'https://sr:8081', SCHEMA_REGISTRY_PASSWORD: 'p' })).toEqual([
      'SCHEMA_REGISTRY_USERNAME is not set: expected a user name when SCHEMA_REGISTRY_PASSWORD is set',
    ]);
    expect(problems({ SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p' })).toEqual([
      'SCHEMA_REGISTRY_URL is not set: expected an http(s) URL when SCHEMA_REGISTRY_USERNAME is set',
    ]);
    const s = loadSettings({ env: { SCHEMA_REGISTRY_URL: 'https://sr:8081', SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p' } });
    expect([s.SCHEMA_REGISTRY_USERNAME, s.SCHEMA_REGISTRY_PASSWORD]).toEqual(['u', 'p']);
  });

  it('OUTPUT_FORMAT is json by default; avro and json-schema need a registry', () => {
    expect(loadSettings({ env: {} }).OUTPUT_FORMAT).toBe('json');
    expect(problems({ OUTPUT_FORMAT: 'avro' })).toEqual(['SCHEMA_REGISTRY_URL is not set: expected an http(s) URL when OUTPUT_FORMAT is avro']);
    expect(problems({ OUTPUT_FORMAT: 'protobuf', SCHEMA_REGISTRY_URL: 'https://sr:8081' })).toHaveLength(1);
    expect(loadSettings({ env: { OUTPUT_FORMAT: 'json-schema', SCHEMA_REGISTRY_URL: 'https://sr:8081' } }).OUTPUT_FORMAT).toBe('json-schema');
  });

  it('require a rediss:// URL with REDIS_TLS_CA_FILE', () => {
    expect(problems({ REDIS_TLS_CA_FILE: '/etc/redis-ca.pem' })).toEqual([
      'REDIS_URL is not set: expected a rediss:// URL when REDIS_TLS_CA_FILE is set',
    ]);
    expect(problems({ REDIS_URL: 'redis://r:6379', REDIS_TLS_CA_FILE: '/etc/redis-ca.pem' })).toEqual([
      'REDIS_URL="redis://r:6379" is invalid: expected a rediss:// URL when REDIS_TLS_CA_FILE is set',
    ]);
    const s = loadSettings({ env: { REDIS_URL: 'rediss://r:6380', REDIS_TLS_CA_FILE: '/etc/redis-ca.pem' } });
    expect(s.REDIS_TLS_CA_FILE).toBe('/etc/redis-ca.pem');
  });

  it('client certificates: certificate and key together, over TLS; the names are settings, not X_FILE secrets', () => {
    expect(problems({ REDIS_URL: 'rediss://r:6380', REDIS_TLS_CERT_FILE: '/c.pem' })).toEqual(['REDIS_TLS_KEY_FILE is not set: expected a PEM key when REDIS_TLS_CERT_FILE is set']);
    expect(problems({ REDIS_URL: 'redis://r:6379', REDIS_TLS_CERT_FILE: '/c.pem', REDIS_TLS_KEY_FILE: '/k.pem' })).toEqual([
      'REDIS_URL="redis://r:6379" is invalid: expected a rediss:// URL when REDIS_TLS_CERT_FILE is set',
    ]);
    expect(problems({ KAFKA_SSL_KEY_FILE: '/k.pem', KAFKA_SSL: 'true' })).toEqual(['KAFKA_SSL_CERT_FILE is not set: expected a PEM certificate when KAFKA_SSL_KEY_FILE is set']);
    expect(problems({ KAFKA_SSL_CERT_FILE: '/c.pem', KAFKA_SSL_KEY_FILE: '/k.pem' })).toEqual(['KAFKA_SSL is not set: expected true when KAFKA_SSL_CERT_FILE is set']);
    // Paths, not read as secrets: no file is opened while loading.
    const s = loadSettings({ env: { KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: '/c.pem', KAFKA_SSL_KEY_FILE: '/k.pem', REDIS_URL: 'rediss://r:6380', REDIS_TLS_CERT_FILE: '/rc.pem', REDIS_TLS_KEY_FILE: '/rk.pem' }, readFile: () => { throw new Error('read'); } });
    expect([s.KAFKA_SSL_CERT_FILE, s.KAFKA_SSL_KEY_FILE, s.REDIS_TLS_CERT_FILE, s.REDIS_TLS_KEY_FILE]).toEqual(['/c.pem', '/k.pem', '/rc.pem', '/rk.pem']);
  });

  it('accept a bearer token of 16+ printable characters', () => {
    expect(loadSettings({ env: { HTTP_BEARER_TOKEN: 'abcdefghijklmnop' } }).HTTP_BEARER_TOKEN).toBe('abcdefghijklmnop');
    expect(problems({ HTTP_BEARER_TOKEN: 'has a space in it ok' })).toHaveLength(1);
  });
});

describe('X_FILE settings (mounted secrets)', () => {
  it('read the file into X without its final line break', () => {
    const s = loadSettings({
      env: { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'clv', KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka' },
      readFile: (p) => read({ '/run/secrets/kafka': 'from-file-pass\n' }, p),
    });
    expect(s.KAFKA_SASL_PASSWORD).toBe('from-file-pass');
  });

  it('work for any setting, also from the configuration file', () => {
    const files = { 'c.yaml': 'HTTP_BEARER_TOKEN_FILE: /run/secrets/token\n', '/run/secrets/token': 'tok-0123456789abcdef\r\n' };
    const s = loadSettings({ env: {}, file: 'c.yaml', readFile: (p) => read(files, p) });
    expect(s.HTTP_BEARER_TOKEN).toBe('tok-0123456789abcdef');
  });

  it('let the environment win over the file across both spellings', () => {
    const files = { 'c.yaml': 'HTTP_BEARER_TOKEN: file-token-0123456789\n', '/s': 'env-file-token-012345' };
    const s = loadSettings({ env: { HTTP_BEARER_TOKEN_FILE: '/s' }, file: 'c.yaml', readFile: (p) => read(files, p) });
    expect(s.HTTP_BEARER_TOKEN).toBe('env-file-token-012345');
  });

  it('refuse X and X_FILE together, and name an unreadable file', () => {
    expect(problems({ KAFKA_SASL_PASSWORD: 'a', KAFKA_SASL_PASSWORD_FILE: '/s' }, { '/s': 'b' })).toEqual([
      'KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set in the environment: set one of them',
    ]);
    expect(problems({ KAFKA_SASL_PASSWORD_FILE: '/missing' })).toEqual([
      `KAFKA_SASL_PASSWORD_FILE="/missing" cannot be read: ENOENT: no such file, open '/missing'`,
    ]);
  });

  it('leave settings whose own name ends in _FILE alone', () => {
    const s = loadSettings({ env: { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/etc/ca.pem' }, readFile: () => 'never read' });
    expect(s.KAFKA_SSL_CA_FILE).toBe('/etc/ca.pem');
  });

  it('ignore _FILE names of unknown settings in the environment', () => {
    expect(problems({ SOMETHING_FILE: '/x', PATH_FILE: '/y' })).toEqual([]);
  });
});
