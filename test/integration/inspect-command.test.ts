// `clvstream inspect <customer>` against the standalone Redis: the JSON view of a
// committed customer on stdout; exit code 1 and a clear line for an unknown one.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { inspectCommand } from '../../src/cli/inspect-command.js';
import { partitionOfKey } from '../../src/kafka/key-partition.js';
import { KeySpace } from '../../src/state/keys.js';
import { PartitionStore } from '../../src/state/store.js';
import { deleteKeysByPrefix, describeWithInfra, uniqueSuffix } from '../support/infra.js';
import { typicalState } from '../state/fixtures.js';

const PARTITIONS = 4;

describeWithInfra('clvstream inspect', (infra) => {
  // REDIS_KEY_PREFIX allows no ':' (unlike the other tests' prefixes).
  const prefix = `clvtestinspect${uniqueSuffix().replace(/[^A-Za-z0-9]/g, '').slice(-12)}`;
  let redis: Redis;
  const saved = { ...process.env };

  beforeAll(async () => {
    redis = new Redis(infra.redisUrl);
    const store = new PartitionStore(redis, new KeySpace(prefix));
    const state = typicalState('C-inspect-7');
    const p = partitionOfKey(state.customerId, PARTITIONS);
    const { epoch } = await store.claim(p);
    await store.commit(p, epoch, { states: new Map([[state.customerId, state]]), watermarkDay: state.asOfDay + 2 });
    for (const name of Object.keys(process.env)) if (/^(REDIS_|KAFKA_|CLVSTREAM_CONFIG)/.test(name)) delete process.env[name];
    process.env['REDIS_URL'] = infra.redisUrl;
    process.env['REDIS_KEY_PREFIX'] = prefix;
  });
  afterAll(async () => {
    process.env = saved;
    await deleteKeysByPrefix(redis, prefix);
    await redis.quit();
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  async function run(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: typeof process.exitCode }> {
    let stdout = '';
    let stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    await inspectCommand().parseAsync(args, { from: 'user' });
    const exitCode = process.exitCode;
    vi.restoreAllMocks();
    return { stdout, stderr, exitCode };
  }

  it("prints a known customer's view as JSON", async () => {
    const { stdout, exitCode } = await run('C-inspect-7', '--partitions', String(PARTITIONS));
    expect(exitCode).toBeUndefined();
    const view = JSON.parse(stdout) as Record<string, unknown>;
    expect(view).toMatchObject({ customer_id: 'C-inspect-7', frequency: 3, recency_days: 2, model_version: 'unfitted' });
  });

  it('exits 1 with a clear message for an unknown customer', async () => {
    const { stdout, stderr, exitCode } = await run('C-nobody', '--partitions', String(PARTITIONS));
    expect(exitCode).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`clvstream: customer "C-nobody" not found (no state in Redis; ${PARTITIONS} partitions, key prefix ${prefix})\n`);
  });
});
