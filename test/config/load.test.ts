import { describe, expect, it } from 'vitest';
import { ConfigError, loadSettings } from '../../src/config/index.js';
import { domainParametersFrom } from '../../src/config/runtime-parameters.js';

function problems(env: Record<string, string>, file?: { path: string; text: string }): readonly string[] {
  try {
    loadSettings({ env, file: file?.path, readFile: () => file?.text ?? '' });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadSettings', () => {
  it('has defaults that work locally', () => {
    const settings = loadSettings({ env: {} });
    expect(settings.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(settings.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(settings.TOPIC_PURCHASE).toBe('clv.purchases');
    expect(settings.BASE_CURRENCY).toBe('USD');
    expect(settings.EVENTS_UNKNOWN_FIELDS).toBe('reject');
  });

  it('parses lists, numbers and the rate table from the environment', () => {
    const settings = loadSettings({
      env: { KAFKA_BROKERS: 'a:9092, b:9093', MARGIN_RATE: '0.42', CURRENCY_RATES: 'EUR=1.0842,GBP=1.27', PATH: '/bin' },
    });
    expect(settings.KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
    expect(settings.MARGIN_RATE).toBe(0.42);
    expect(settings.CURRENCY_RATES).toEqual({ EUR: '1.0842', GBP: '1.27' });
  });

  it('names the setting, the value and what is allowed', () => {
    expect(problems({ MARGIN_RATE: '1.7' })).toEqual(['MARGIN_RATE="1.7" is invalid: expected a number between 0 and 1']);
    expect(problems({ KAFKA_BROKERS: 'a:1,b' })).toEqual(['KAFKA_BROKERS="a:1,b" is invalid: expected host:port']);
    expect(problems({ EVENTS_UNKNOWN_FIELDS: 'keep' })).toEqual([
      'EVENTS_UNKNOWN_FIELDS="keep" is invalid: expected reject or ignore',
    ]);
    expect(problems({ CURRENCY_RATES: 'EUR=0,XXX=2' })[0]).toMatch(/^CURRENCY_RATES="EUR=0,XXX=2" is invalid: expected entries like EUR=1.0842/);
    expect(problems({ REDIS_URL: 'http://x' })).toEqual([
      'REDIS_URL="http://x" is invalid: expected a redis:// or rediss:// URL',
    ]);
  });

  it('binds the HTTP server to every interface unless HTTP_HOST names an address or host', () => {
    expect(loadSettings({ env: {} }).HTTP_HOST).toBe('0.0.0.0');
    for (const host of ['127.0.0.1', '::1', 'localhost', 'ops.internal']) expect(loadSettings({ env: { HTTP_HOST: host } }).HTTP_HOST).toBe(host);
    expect(problems({ HTTP_HOST: 'not a host' })).toEqual(['HTTP_HOST="not a host" is invalid: expected an IP address or a host name']);
  });

  it('refuses REDIS_URL and REDIS_CLUSTER_NODES together, from any source, unless the URL names a cluster node (its credentials and TLS)', () => {
    const refused = problems({ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'a:7000,b:7001' });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/^REDIS_URL and REDIS_CLUSTER_NODES are both set, and REDIS_URL names r:6379, which is not one of the cluster nodes \(a:7000, b:7001\)/);
    const file = { path: 'clv.yaml', text: 'REDIS_CLUSTER_NODES: [a:7000]\n' };
    expect(problems({ REDIS_URL: 'redis://r:6379' }, file)).toHaveLength(1);
    expect(problems({ REDIS_URL: 'redis://a', REDIS_CLUSTER_NODES: 'a:7000' })).toHaveLength(1);
    // The cluster alone, the single Redis alone, and a URL naming a node for its credentials are fine.
    expect(problems({ REDIS_CLUSTER_NODES: 'a:7000' })).toEqual([]);
    expect(problems({ REDIS_URL: 'redis://r:6379' })).toEqual([]);
    expect(problems({ REDIS_URL: 'rediss://clv:pw@b:7001', REDIS_CLUSTER_NODES: 'a:7000,b:7001' })).toEqual([]);
  });

  it('REFERRAL_SETTLE_DAYS: referral effects take hold one day after their cause by default, never at once', () => {
    expect(loadSettings({ env: {} }).REFERRAL_SETTLE_DAYS).toBe(1);
    expect(domainParametersFrom(loadSettings({ env: {} })).referralSettleDays).toBe(1);
    expect(domainParametersFrom(loadSettings({ env: { REFERRAL_SETTLE_DAYS: '3' } })).referralSettleDays).toBe(3);
    expect(problems({ REFERRAL_SETTLE_DAYS: '0' })).toHaveLength(1);
    expect(problems({ REFERRAL_SETTLE_DAYS: '0' })[0]).toMatch(/^REFERRAL_SETTLE_DAYS="0" is invalid/);
    expect(problems({ REFERRAL_SETTLE_DAYS: '1.5' })[0]).toMatch(/^REFERRAL_SETTLE_DAYS="1.5" is invalid/);
    expect(problems({ REFERRAL_SETTLE_DAYS: '-1' })).toHaveLength(1);
  });

  it('reports every invalid setting at once', () => {
    expect(problems({ MARGIN_RATE: 'x', HTTP_PORT: '70000', BASE_CURRENCY: 'usd' })).toHaveLength(3);
  });

  it('reads a YAML or JSON file with the same names, the environment winning', () => {
    const yaml = { path: 'clv.yaml', text: 'MARGIN_RATE: 0.25\nKAFKA_BROKERS: [k1:9092, k2:9092]\nBASE_CURRENCY: EUR\n' };
    const settings = loadSettings({ env: { BASE_CURRENCY: 'GBP' }, file: yaml.path, readFile: () => yaml.text });
    expect(settings.MARGIN_RATE).toBe(0.25);
    expect(settings.KAFKA_BROKERS).toEqual(['k1:9092', 'k2:9092']);
    expect(settings.BASE_CURRENCY).toBe('GBP');
    const json = { path: 'clv.json', text: '{"HTTP_PORT": 9000}' };
    expect(loadSettings({ env: {}, file: json.path, readFile: () => json.text }).HTTP_PORT).toBe(9000);
  });

  it('rejects unknown names in a file (a typo would otherwise be silently ignored)', () => {
    expect(problems({}, { path: 'c.yaml', text: 'MARGIN_RAT: 0.2\n' })).toEqual([
      'unknown setting MARGIN_RAT in the configuration file',
    ]);
  });

  it('fails clearly on an unreadable or malformed file', () => {
    expect(problems({}, { path: 'c.json', text: '{' })[0]).toMatch(/^CLVSTREAM_CONFIG="c.json" is not valid JSON\/YAML/);
    expect(problems({}, { path: 'c.yaml', text: '- a\n- b\n' })).toEqual([
      'CLVSTREAM_CONFIG="c.yaml" must hold a mapping of SETTING: value',
    ]);
  });
});
