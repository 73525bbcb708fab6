// `clvstream export` writes every customer's view from Redis — exactly what
// GET /customers/:id answers for each — as JSON lines or CSV, reading the
// state partition by partition. The state is the CDNOW sample back-filled with
// `replay --state` over several partitions, on a standalone Redis and on the
// test infrastructure's Redis Cluster.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lookupCustomer } from '../../src/app/customer-lookup.js';
import { exportViews } from '../../src/app/export-views.js';
import { domainParametersFrom } from '../../src/config/runtime-parameters.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import { partitionOfKey } from '../../src/kafka/key-partition.js';
import { connectState } from '../../src/state/connect.js';
import { cdnowEventLines } from '../support/cdnow-events.js';
import { deleteKeysByPrefix, describeWithInfra, uniqueSuffix, waitFor, type InfraEndpoints } from '../support/infra.js';
import { settingsOf } from '../support/runtime-harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CDNOW_CUSTOMERS = 2357;
const run = promisify(execFile);

/** The partition of each exported customer never goes down: the views come partition by partition. */
function partitionsInOrder(ids: readonly string[], partitions: number): number[] {
  const order: number[] = [];
  for (const id of ids) {
    const p = partitionOfKey(id, partitions);
    if (order.at(-1) !== p) order.push(p);
  }
  return order;
}

describeWithInfra('clvstream export', (infra: InfraEndpoints) => {
  const targets = [
    { name: 'standalone Redis', partitions: 3, env: { REDIS_URL: infra.redisUrl } as Record<string, string> },
    ...(infra.redisClusterNodes
      ? [{ name: 'Redis Cluster', partitions: 7, env: { REDIS_CLUSTER_NODES: infra.redisClusterNodes.map((n) => `${n.host}:${n.port}`).join(',') } as Record<string, string> }]
      : []),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'clvtest-export-'));
  const events = join(dir, 'cdnow.jsonl');
  const prefixes: { prefix: string; env: Record<string, string> }[] = [];

  beforeAll(async () => {
    writeFileSync(events, await cdnowEventLines());
  });

  afterAll(async () => {
    for (const { prefix, env } of prefixes) {
      const state = connectState(settingsOf({ ...env, REDIS_KEY_PREFIX: prefix }));
      await deleteKeysByPrefix(state.redis, `${prefix}:`).finally(() => state.close());
    }
    rmSync(dir, { recursive: true, force: true });
  });

  for (const target of targets) {
    const prefix = `clvtest-exp-${uniqueSuffix()}`.slice(0, 32);
    const env = { PATH: process.env.PATH ?? '', REDIS_KEY_PREFIX: prefix, ...target.env };
    const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 });
    const P = target.partitions;

    it(`${target.name}, ${P} partitions — JSON lines: every customer once, partition by partition, each view what the API answers`, { timeout: 240_000 }, async () => {
      prefixes.push({ prefix, env: target.env });
      // With a cluster, --state names one of its nodes (REDIS_CLUSTER_NODES selects the cluster).
      const stateUrl = target.env['REDIS_URL'] ?? `redis://${target.env['REDIS_CLUSTER_NODES']!.split(',')[0]!}`;
      await cli(['replay', events, '--state', stateUrl, '--partitions', String(P)]);

      const out = join(dir, `views-${P}.jsonl`);
      const { stderr } = await cli(['export', '--out', out]);
      expect(stderr).toBe(`clvstream: exported 2,357 customers from ${P} partitions (model unfitted)\n`);
      const views = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { customer_id: string });
      const ids = views.map((v) => v.customer_id);
      expect(ids).toHaveLength(CDNOW_CUSTOMERS);
      expect(new Set(ids).size).toBe(CDNOW_CUSTOMERS);
      expect(partitionsInOrder(ids, P)).toEqual(Array.from({ length: P }, (_, p) => p));

      const settings = settingsOf({ ...target.env, REDIS_KEY_PREFIX: prefix });
      const state = connectState(settings);
      try {
        const ctx = { store: state.store, partitionCount: P, model: UNFITTED_MODEL, parameters: domainParametersFrom(settings) };
        for (const view of views) expect(view).toEqual((await lookupCustomer(ctx, view.customer_id))?.view);
      } finally {
        await state.close();
      }
    });

    it(`${target.name} — CSV: a header of the view fields, then one row per customer, to stdout`, { timeout: 120_000 }, async () => {
      const { stdout } = await cli(['export', '--format', 'csv']);
      const lines = stdout.trim().split('\n');
      expect(lines).toHaveLength(CDNOW_CUSTOMERS + 1);
      const header = lines[0]!.split(',');
      expect(header.slice(0, 3)).toEqual(['customer_id', 'as_of', 'currency']);
      const row = lines.find((l) => l.startsWith('0001,'))!.split(',');
      const field = (name: string) => row[header.indexOf(name)];
      expect(field('gross_revenue')).toBe('100.50');
      expect(field('frequency')).toBe('4');
      expect(field('first_purchase')).toBe('1997-01-01');
      expect(field('last_purchase')).toBe('1997-12-12');
    });
  }

  it('standalone Redis: sends only bounded commands — SCAN with COUNT on one partition at a time, MGET of one page, never KEYS', { timeout: 120_000 }, async () => {
    const { prefix } = prefixes[0]!;
    const settings = settingsOf({ REDIS_URL: infra.redisUrl, REDIS_KEY_PREFIX: prefix });
    const state = connectState(settings);
    // What the server receives, as MONITOR shows it (other tests' commands are filtered out by the prefix).
    const monitor = await new Redis(infra.redisUrl).monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((a) => a.includes(prefix))) seen.push(args);
    });
    try {
      const lines: string[] = [];
      const summary = await exportViews({
        store: state.store,
        model: UNFITTED_MODEL,
        parameters: domainParametersFrom(settings),
        format: 'jsonl',
        write: (line) => lines.push(line),
        flush: () => Promise.resolve(),
        scanCount: 50,
      });
      expect(summary.exported).toBe(CDNOW_CUSTOMERS);
      expect(summary.partitions).toEqual([0, 1, 2]);
      // MONITOR streams the commands after they ran; the last is the last MGET.
      await waitFor(() => seen.filter((a) => a[0]!.toLowerCase() === 'mget').reduce((n, a) => n + a.length - 1, 0) >= CDNOW_CUSTOMERS || undefined, {
        timeoutMs: 30_000,
        what: 'MONITOR to show every MGET',
      });
    } finally {
      monitor.disconnect();
      await state.close();
    }
    const names = new Set(seen.map((a) => a[0]!.toLowerCase()));
    expect([...names].sort()).toEqual(['hget', 'mget', 'scan']);
    for (const args of seen.filter((a) => a[0]!.toLowerCase() === 'scan')) expect(args.slice(2).map((a) => a.toLowerCase())).toContain('count');
    const mgets = seen.filter((a) => a[0]!.toLowerCase() === 'mget');
    // A page of SCAN COUNT 50 holds a few hundred keys at most (COUNT counts buckets visited, a hint).
    expect(Math.max(...mgets.map((a) => a.length - 1))).toBeLessThan(500);
    expect(mgets.length).toBeGreaterThan(3);
    // Partition by partition: every MGET of partition p comes after the last of p − 1.
    const partitionOf = (key: string) => Number(/\{p(\d+)\}/.exec(key)![1]);
    const mgetPartitions = mgets.map((a) => partitionOf(a[1]!));
    expect(mgetPartitions).toEqual([...mgetPartitions].sort((a, b) => a - b));
    expect(new Set(mgetPartitions)).toEqual(new Set([0, 1, 2]));
  });
});
