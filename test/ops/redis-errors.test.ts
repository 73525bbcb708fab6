import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logRedisErrors } from '../../src/ops/redis-errors.js';
import { captureLogger } from './capture-logger.js';

const clients: Redis[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
  vi.restoreAllMocks();
});

/** A client retrying a port nothing listens on every 5 ms: a stream of connection errors, as during an outage. */
function unreachable(): Redis {
  const client = new Redis({ host: '127.0.0.1', port: 1, retryStrategy: () => 5, maxRetriesPerRequest: null });
  clients.push(client);
  return client;
}

describe('logRedisErrors', () => {
  it('logs connection errors through pino at warn, at most once per interval, with how many it left out', async () => {
    const { logger, lines } = captureLogger();
    const unhandled = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let clock = 0;
    const client = unreachable();
    const detach = logRedisErrors(client, logger, { connection: 'state', intervalMs: 1_000, now: () => clock });

    await vi.waitFor(() => expect(lines.length).toBe(1), { timeout: 5_000 });
    const errorsSeen = (): number => lines.length;
    // Several more attempts fail within the same interval: not logged.
    await new Promise((r) => setTimeout(r, 100));
    expect(errorsSeen()).toBe(1);
    clock = 1_000;
    await vi.waitFor(() => expect(lines.length).toBe(2), { timeout: 5_000 });

    expect(lines[0]).toMatchObject({ level: 'warn', connection: 'state', msg: 'redis connection error', leftOut: 0 });
    expect((lines[0]?.err as { message?: string }).message).toMatch(/ECONNREFUSED/);
    expect(lines[1]?.leftOut as number).toBeGreaterThan(0);
    // With a listener, ioredis has nothing to report as unhandled.
    expect(unhandled.mock.calls.filter((c) => String(c[0]).includes('Unhandled error event'))).toEqual([]);

    detach();
    expect(client.listenerCount('error')).toBe(0);
  });
});
