import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { instrumentRedis } from '../../src/state/redis-timing.js';
import { registerScripts, scriptSources } from '../../src/state/scripts.js';

// A client that never connects: every command fails at once (no offline queue),
// which is enough to see what the wrapper records. The integration test
// (test/integration/ops-http.test.ts) times real commands.
function offlineClient(): Redis {
  return new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null, maxRetriesPerRequest: 0 });
}

const clients: Redis[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

describe('instrumentRedis', () => {
  it('times each command once, failed ones too, by lower-case name', async () => {
    const client = offlineClient();
    clients.push(client);
    const seen: [string, number][] = [];
    const stop = instrumentRedis(client, { redisCommand: (command, seconds) => seen.push([command, seconds]) });
    await expect(client.get('k')).rejects.toThrow();
    await expect(client.mgetBuffer('a', 'b')).rejects.toThrow();
    expect(seen.map(([c]) => c)).toEqual(['get', 'mget']);
    expect(seen.every(([, s]) => s >= 0 && s < 5)).toBe(true);
    stop();
    await expect(client.get('k')).rejects.toThrow();
    expect(seen).toHaveLength(2);
  });

  it('labels the clvstream scripts by name', async () => {
    const client = offlineClient();
    clients.push(client);
    registerScripts(client);
    const seen: string[] = [];
    instrumentRedis(client, { redisCommand: (command) => seen.push(command) });
    const due = scriptSources().get('due-timers');
    expect(due).toBeDefined();
    const fn = (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[due!.command]!;
    await expect(fn.call(client, 'timers-key', '1', '1')).rejects.toThrow();
    await expect(client.evalsha(createHash('sha1').update('return 1').digest('hex'), 0)).rejects.toThrow();
    expect(seen).toEqual(['script:due-timers', 'evalsha']);
  });

  it('refuses to instrument a client twice and restores the original method', () => {
    const client = offlineClient();
    clients.push(client);
    const method = (): unknown => Reflect.get(client, 'sendCommand');
    const before = method();
    const stop = instrumentRedis(client, { redisCommand: () => undefined });
    expect(method()).not.toBe(before);
    expect(() => instrumentRedis(client, { redisCommand: () => undefined })).toThrow(/already instrumented/);
    stop();
    expect(method()).toBe(before);
    expect(Object.prototype.hasOwnProperty.call(client, 'sendCommand')).toBe(false);
    instrumentRedis(client, { redisCommand: () => undefined })();
  });
});
