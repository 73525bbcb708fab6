// `clvstream export` writes every customer's view from Redis — exactly what
// GET /customers/:id answers for each — as JSON lines or CSV. The state is the
// CDNOW sample back-filled with `replay --state`, on a standalone Redis.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lookupCustomer } from '../../src/app/customer-lookup.js';
import { domainConfigFrom } from '../../src/config/runtime-parameters.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import { connectState } from '../../src/state/connect.js';
import { cdnowEventLines } from '../support/cdnow-events.js';
import { deleteKeysByPrefix, describeWithInfra, uniqueSuffix, type InfraEndpoints } from '../support/infra.js';
import { settingsOf } from '../support/runtime-harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PARTITIONS = 3;
const run = promisify(execFile);

describeWithInfra('clvstream export', (infra: InfraEndpoints) => {
  const prefix = `clvtest-exp-${uniqueSuffix()}`.slice(0, 32);
  const env = { PATH: process.env.PATH ?? '', REDIS_URL: infra.redisUrl, REDIS_KEY_PREFIX: prefix };
  const dir = mkdtempSync(join(tmpdir(), 'clvtest-export-'));
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 });

  beforeAll(async () => {
    const events = join(dir, 'cdnow.jsonl');
    writeFileSync(events, await cdnowEventLines());
    await cli(['replay', events, '--state', infra.redisUrl, '--partitions', String(PARTITIONS)]);
  }, 180_000);

  afterAll(async () => {
    const state = connectState(settingsOf(env));
    await deleteKeysByPrefix(state.redis, `${prefix}:`).finally(() => state.close());
    rmSync(dir, { recursive: true, force: true });
  });

  it('JSON lines: one view per customer, each what the API answers for it', { timeout: 120_000 }, async () => {
    const out = join(dir, 'views.jsonl');
    const { stderr } = await cli(['export', '--out', out]);
    expect(stderr).toBe('clvstream: exported 2,357 customers (model unfitted)\n');
    const views = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { customer_id: string });
    expect(views).toHaveLength(2357);
    expect(new Set(views.map((v) => v.customer_id)).size).toBe(2357);
    const settings = settingsOf(env);
    const state = connectState(settings);
    try {
      const ctx = { store: state.store, partitionCount: PARTITIONS, model: UNFITTED_MODEL, config: domainConfigFrom(settings) };
      for (const view of views) expect(view).toEqual((await lookupCustomer(ctx, view.customer_id))?.view);
    } finally {
      await state.close();
    }
  });

  it('CSV: a header of the view fields, then one row per customer, to stdout', { timeout: 120_000 }, async () => {
    const { stdout } = await cli(['export', '--format', 'csv']);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2358);
    const header = lines[0]!.split(',');
    expect(header.slice(0, 3)).toEqual(['customer_id', 'as_of', 'currency']);
    const row = lines.find((l) => l.startsWith('0001,'))!.split(',');
    const field = (name: string) => row[header.indexOf(name)];
    expect(field('gross_revenue')).toBe('100.50');
    expect(field('frequency')).toBe('4');
    expect(field('first_purchase')).toBe('1997-01-01');
    expect(field('last_purchase')).toBe('1997-12-12');
  });
});
