import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/index.js';
import { partitionLogger, redactUrl, redactUrlsInText, settingsForLog } from '../../src/ops/logger.js';
import { captureLogger } from './capture-logger.js';

describe('redactUrl', () => {
  it('strips user name and password', () => {
    expect(redactUrl('redis://default:hunter2@redis.internal:6379/0')).toBe('redis://redis.internal:6379/0');
    expect(redactUrl('rediss://:only-pass@r:6380')).toBe('rediss://r:6380');
    expect(redactUrl('https://key:secret@sr.example.com:8081/subjects')).toBe('https://sr.example.com:8081/subjects');
  });

  it('masks query parameters named like a secret', () => {
    expect(redactUrl('https://x.example/p?token=abc&page=2')).toBe('https://x.example/p?token=%5Bredacted%5D&page=2');
  });

  it('leaves URLs without credentials as written', () => {
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactUrl('http://sr:8081')).toBe('http://sr:8081');
  });

  it('handles text that is not a URL', () => {
    expect(redactUrl('not a url')).toBe('not a url');
    expect(redactUrl('user:pw@host')).toBe('user:pw@host');
  });

  it('strips credentials of every URL in free text', () => {
    expect(redactUrlsInText('connect to redis://u:p@h:1 failed; retry rediss://:x@h2:2 later')).toBe(
      'connect to redis://h:1 failed; retry rediss://h2:2 later',
    );
  });
});

describe('createLogger', () => {
  it('writes JSON lines with a level label and an ISO time', () => {
    const { logger, lines } = captureLogger();
    logger.info({ partition: 3 }, 'hello');
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'hello', partition: 3 });
    expect(typeof lines[0]?.['time']).toBe('string');
  });

  it('honours the level', () => {
    const { logger, lines } = captureLogger('warn');
    logger.info('dropped');
    logger.warn('kept');
    expect(lines.map((l) => l['msg'])).toEqual(['kept']);
  });

  it('redacts secrets at the top level and nested, and credentials in URL fields', () => {
    const { logger, lines, text } = captureLogger();
    logger.info(
      {
        password: 'p1',
        token: 't1',
        redis: { url: 'redis://u:p2@h:6379', password: 'p3' },
        req: { headers: { authorization: 'Bearer t2', host: 'x' } },
        config: { sasl: { mechanism: 'plain', password: 'p4' } },
        REDIS_URL: 'redis://:p5@r:1',
      },
      'connect',
    );
    const line = lines[0] as Record<string, Record<string, unknown>>;
    expect(line['password']).toBe('[redacted]');
    expect(line['token']).toBe('[redacted]');
    expect(line['redis']).toEqual({ url: 'redis://h:6379', password: '[redacted]' });
    expect(line['req']?.['headers']).toEqual({ authorization: '[redacted]', host: 'x' });
    expect(line['config']).toEqual({ sasl: '[redacted]' });
    expect(line['REDIS_URL']).toBe('redis://r:1');
    for (const secret of ['p1', 'p2', 'p3', 'p4', 'p5', 't1', 't2']) expect(text()).not.toMatch(new RegExp(`\\b${secret}\\b`));
  });

  it('redacts child bindings too', () => {
    const { logger, lines } = captureLogger();
    logger.child({ password: 'x' }).info('c');
    expect(lines[0]?.['password']).toBe('[redacted]');
  });

  it('strips URL credentials from error messages and stacks', () => {
    for (const level of ['info', 'debug'] as const) {
      const { logger, text } = captureLogger(level);
      logger.error({ err: new Error('cannot reach redis://admin:topsecret@r:6379') }, 'failed');
      expect(text()).toContain('redis://r:6379');
      expect(text()).not.toContain('topsecret');
    }
  });

  it('logs an error without its stack trace unless the level is debug or trace', () => {
    const info = captureLogger('info');
    info.logger.warn({ err: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }, 'redis error');
    expect(info.lines[0]?.['err']).toEqual({ type: 'Error', message: 'connect ECONNREFUSED', code: 'ECONNREFUSED' });
    const debug = captureLogger('debug');
    debug.logger.warn({ err: new Error('connect ECONNREFUSED') }, 'redis error');
    expect((debug.lines[0]?.['err'] as { stack?: string }).stack).toMatch(/^Error: connect ECONNREFUSED\n\s+at /);
  });
});

describe('partitionLogger', () => {
  it('binds topic, partition and offset (as a decimal string)', () => {
    const { logger, lines } = captureLogger();
    partitionLogger(logger, { topic: 'clv.purchases', partition: 4, offset: 9007199254740993n }).info('batch');
    partitionLogger(logger, { partition: 5 }).info('sweep');
    expect(lines[0]).toMatchObject({ topic: 'clv.purchases', partition: 4, offset: '9007199254740993', msg: 'batch' });
    expect(lines[1]).toMatchObject({ partition: 5, msg: 'sweep' });
    expect(lines[1]).not.toHaveProperty('topic');
  });
});

describe('settingsForLog', () => {
  it('hides secrets and URL credentials and keeps the rest', () => {
    const settings = loadSettings({
      env: {
        REDIS_URL: 'redis://app:redispw@r:6379',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'clv',
        KAFKA_SASL_PASSWORD: 'kafkapw',
        HTTP_BEARER_TOKEN: 'tok-0123456789abcdef',
      },
    });
    const shown = settingsForLog(settings);
    expect(shown['REDIS_URL']).toBe('redis://r:6379');
    expect(shown['KAFKA_SASL_PASSWORD']).toBe('[redacted]');
    expect(shown['HTTP_BEARER_TOKEN']).toBe('[redacted]');
    expect(shown['KAFKA_SASL_USERNAME']).toBe('clv');
    expect(shown).not.toHaveProperty('SCHEMA_REGISTRY_PASSWORD');
    expect(JSON.stringify(shown)).not.toMatch(/redispw|kafkapw|tok-0123/);
  });
});
