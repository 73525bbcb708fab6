// `fit --state` and ModelStore against real servers (standalone Redis and, when
// the infrastructure has one, the 3-master cluster): the CDNOW customers'
// states are committed with PartitionStore over 8 partitions, fitted from Redis
// as of the end of the published calibration period, and published as a model
// version. Each test uses its own key prefix and deletes its keys afterwards.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backtest } from '../../src/app/backtest.js';
import { fitFromState } from '../../src/app/fit-state.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import type { ModelSnapshot } from '../../src/domain/model-snapshot.js';
import { reduce } from '../../src/domain/reducer.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import type { CustomerState } from '../../src/domain/state.js';
import { localDayOf } from '../../src/domain/time.js';
import { StateError } from '../../src/state/errors.js';
import { KeySpace } from '../../src/state/keys.js';
import { ModelStore, type ModelDiagnostics } from '../../src/state/model-store.js';
import { PartitionStore } from '../../src/state/store.js';
import { TEST_NOW_MS, TEST_RULES, cdnowEventLines, cdnowStates, expectPublishedCdnowFit, streamOf } from '../support/cdnow-events.js';
import { deleteKeysByPrefix, describeWithInfra, redisTargets, uniqueRedisPrefix, type InfraEndpoints } from '../support/infra.js';

type Client = Redis | Cluster;

const AS_OF = localDayOf('1997-09-30');
const PARTITIONS = 8;
const NOW = new Date('2026-02-03T04:05:06.789Z');

/** States that are not part of the calibration population: a prospect and a customer acquired later. */
function outsiders(): CustomerState[] {
  const ctx = { model: UNFITTED_MODEL, parameters: defaultDomainParameters };
  const at = (iso: string) => ({ at: Date.parse(iso), day: localDayOf(iso) });
  const prospect = reduce(undefined, { kind: 'feedback', eventId: 'fb-1', customerId: 'prospect-1', score: 9, ...at('1997-05-01T10:00:00Z') }, ctx).state;
  const later = reduce(
    undefined,
    { kind: 'purchase', eventId: 'p-late', customerId: 'late-1', orderId: 'o-late', amountMinor: 1_999, discountMinor: 0, marginMinor: null, costMinor: null, ...at('1997-12-24T10:00:00Z') },
    ctx,
  ).state;
  return [prospect, later];
}

async function commitAll(store: PartitionStore, states: readonly CustomerState[]): Promise<void> {
  const byPartition = new Map<number, Map<string, CustomerState>>();
  states.forEach((s, i) => {
    const p = i % PARTITIONS;
    let m = byPartition.get(p);
    if (m === undefined) byPartition.set(p, (m = new Map<string, CustomerState>()));
    m.set(s.customerId, s);
  });
  for (const [p, batch] of byPartition) {
    const { epoch } = await store.claim(p);
    await store.commit(p, epoch, { states: batch });
  }
}

function diagnostics(overrides: Partial<ModelDiagnostics> = {}): ModelDiagnostics {
  return {
    fittedAt: '2026-01-01T00:00:00.000Z',
    asOf: '2025-12-31',
    customers: 1000,
    repeatBuyers: 400,
    logLikelihood: -1234.5,
    iterations: 20,
    converged: true,
    currency: 'USD',
    ...overrides,
  };
}

const SNAPSHOT: ModelSnapshot = {
  version: 'test-v1',
  bgnbd: { r: 0.25, alpha: 30, a: 0.8, b: 2.4 },
  gammaGamma: { p: 6, q: 3.7, v: 1500 },
  cutPoints: { recency: [10, 40, 90, 200], frequency: [1, 1, 2, 3], monetary: [1000, 2500, 5000, 12000] },
};

let calibration: CustomerState[];
beforeAll(async () => {
  calibration = await cdnowStates(AS_OF);
}, 60_000);

describeWithInfra('model fit from Redis state, ModelStore', (infra) => {
  describe.each(redisTargets(infra))('on $name', (target) => {
    let redis: Client;
    let prefix: string;
    let keys: KeySpace;
    let store: PartitionStore;
    let models: ModelStore;

    beforeAll(() => {
      redis = target.connect();
    });
    afterAll(async () => {
      await redis.quit();
    });
    beforeEach(() => {
      prefix = uniqueRedisPrefix('fit');
      keys = new KeySpace(prefix);
      store = new PartitionStore(redis, keys);
      models = new ModelStore(redis, keys);
    });
    afterEach(async () => {
      await deleteKeysByPrefix(redis, prefix);
    });

    it('fits the CDNOW parameters from the states of 8 partitions and publishes them as the current version', async () => {
      await commitAll(store, [...calibration, ...outsiders()]);
      expect(await models.currentVersion()).toBeNull();
      expect(await models.current()).toBeNull();

      const outcome = await fitFromState({ states: store, models, asOfDay: AS_OF, currency: 'USD', now: NOW });
      expect(outcome).toMatchObject({ published: true, declined: null, version: 'fit-20260203T040506.789Z-bgnbd' });
      expect(outcome.output.diagnostics).toMatchObject({
        customers: 2357,
        repeat_buyers: 946,
        converged: true,
        states_read: 2359,
        excluded: { no_purchase: 1, first_purchase_after_as_of: 1, purchases_after_as_of: 0 },
      });

      const current = await models.current();
      if (current === null) throw new Error('nothing published');
      expect(await models.currentVersion()).toBe(outcome.version);
      const { bgnbd, gammaGamma, cutPoints } = current.snapshot;
      if (bgnbd === null || gammaGamma === null || cutPoints === null) throw new Error('incomplete snapshot');
      expect(current.snapshot.purchaseModel).toBe('bgnbd');
      expectPublishedCdnowFit(bgnbd, gammaGamma);
      // Nearest-rank quintiles of the 2,357 buyers (days since the last purchase,
      // orders, cents), computed independently from the raw log with awk.
      expect(cutPoints).toEqual({ recency: [99, 198, 219, 242], frequency: [1, 1, 2, 3], monetary: [1496, 2799, 4604, 9376] });
      expect(current).toMatchObject({ fittedAt: NOW.toISOString(), asOf: '1997-09-30' });
      expect(current.diagnostics).toMatchObject({ customers: 2357, repeatBuyers: 946, converged: true, currency: 'USD' });
      expect(current.diagnostics.logLikelihood).toBe(outcome.output.bgnbd?.log_likelihood);
      expect(await models.versions()).toEqual([{ version: outcome.version, fittedAt: NOW.toISOString() }]);
    });

    it('publishes the modified BG/NBD when chosen: the version names it and holds its parameters; both models are reported', async () => {
      await commitAll(store, calibration);
      const outcome = await fitFromState({ states: store, models, asOfDay: AS_OF, currency: 'USD', now: NOW, purchaseModel: 'mbgnbd' });
      expect(outcome).toMatchObject({ published: true, output: { purchase_model: 'mbgnbd' } });
      expect(outcome.output.comparison.bgnbd.log_likelihood).not.toBeNull();
      expect(outcome.output.comparison.mbgnbd.log_likelihood).not.toBeNull();
      const current = await models.current();
      const m = outcome.output.mbgnbd!;
      expect(current?.snapshot).toMatchObject({ purchaseModel: 'mbgnbd', bgnbd: { r: m.r, alpha: m.alpha, a: m.a, b: m.b } });
    });

    it('publishes the Pareto/NBD chosen by its holdout error, with its covariance and the back-test comparison', async () => {
      await commitAll(store, calibration);
      const lines = await cdnowEventLines();
      const check = () =>
        backtest({
          input: streamOf(lines),
          rules: TEST_RULES,
          parameters: defaultDomainParameters,
          nowMs: TEST_NOW_MS,
          calibrationEndDay: localDayOf('1997-06-30'),
          holdoutEndDay: AS_OF,
        });
      const outcome = await fitFromState({ states: store, models, asOfDay: AS_OF, currency: 'USD', now: NOW, backtest: check, chooseByHoldout: true });
      const best = outcome.output.purchase_model;
      expect(outcome.output.chosen_by).toBe('holdout');
      const errors = (['bgnbd', 'mbgnbd', 'pnbd'] as const).map((k) => outcome.output.comparison[k].holdout!.mean_absolute_error);
      expect(outcome.output.comparison[best].holdout!.mean_absolute_error).toBe(Math.min(...errors));
      expect(outcome.version).toBe(`fit-20260203T040506.789Z-${best}`);
      const current = await models.current();
      if (current === null) throw new Error('nothing published');
      expect(current.snapshot.purchaseModel).toBe(best);
      expect(current.snapshot.uncertainty?.purchase).toHaveLength(4);
      expect(current.snapshot.uncertainty?.gammaGamma).toHaveLength(3);
      expect(current.backtest).toMatchObject({ calibration_end: '1997-06-30', holdout_end: '1997-09-30', chosen: best, best });
      expect(current.backtest!.models.map((m) => m.model)).toEqual(['bgnbd', 'mbgnbd', 'pnbd']);

      // Named, the Pareto/NBD is published with its own parameters (no BG/NBD ones).
      const named = await fitFromState({ states: store, models, asOfDay: AS_OF, currency: 'USD', now: NOW, purchaseModel: 'pnbd', version: 'pnbd-named' });
      const p = named.output.pnbd!;
      expect((await models.current())?.snapshot).toMatchObject({ version: 'pnbd-named', purchaseModel: 'pnbd', bgnbd: null, pnbd: { r: p.r, alpha: p.alpha, s: p.s, beta: p.beta } });
      expect((await models.current())?.backtest).toBeNull();
    });

    it('declines to publish below the minimum number of repeat buyers, and says why', async () => {
      await commitAll(store, calibration);
      const outcome = await fitFromState({ states: store, models, asOfDay: AS_OF, currency: 'USD', now: NOW, minRepeatBuyers: 1000 });
      expect(outcome.published).toBe(false);
      expect(outcome.declined).toMatch(/946 repeat buyers, at least 1000 needed/);
      expect(outcome.output.bgnbd).toBeNull();
      expect(await models.currentVersion()).toBeNull();
    });

    it('leaves out customers whose purchases go past the as-of day', async () => {
      await commitAll(store, calibration);
      const outcome = await fitFromState({ states: store, models, asOfDay: localDayOf('1997-06-30'), currency: 'USD', now: NOW, dryRun: true });
      const excluded = outcome.output.diagnostics['excluded'] as Record<string, number>;
      expect(excluded['purchases_after_as_of']).toBeGreaterThan(0);
      expect(excluded['first_purchase_after_as_of']).toBe(0);
      expect(outcome.output.diagnostics['customers']).toBe(2357 - excluded['purchases_after_as_of']!);
      expect(outcome.published).toBe(false);
      expect(await models.currentVersion()).toBeNull();
    });

    it('round-trips versions, moves the pointer and refuses to overwrite a version', async () => {
      await models.publish(SNAPSHOT, diagnostics({ details: { note: 'first' } }));
      expect(await models.current()).toEqual({
        snapshot: SNAPSHOT,
        fittedAt: '2026-01-01T00:00:00.000Z',
        asOf: '2025-12-31',
        diagnostics: diagnostics({ details: { note: 'first' } }),
        backtest: null,
      });
      const second: ModelSnapshot = { ...SNAPSHOT, version: 'test-v2', gammaGamma: null, cutPoints: null };
      await models.publish(second, diagnostics({ fittedAt: '2026-01-02T00:00:00.000Z' }));
      expect(await models.currentVersion()).toBe('test-v2');
      expect((await models.current())?.snapshot).toEqual(second);
      expect((await models.get('test-v1'))?.snapshot).toEqual(SNAPSHOT);
      expect(await models.get('test-v3')).toBeNull();
      expect((await models.versions()).map((v) => v.version)).toEqual(['test-v2', 'test-v1']);

      const again = models.publish({ ...SNAPSHOT, bgnbd: { r: 9, alpha: 9, a: 9, b: 9 } }, diagnostics());
      await expect(again).rejects.toThrow(StateError);
      await expect(again).rejects.toThrow(/'test-v1' exists already/);
      expect((await models.get('test-v1'))?.snapshot).toEqual(SNAPSHOT);
      expect(await models.currentVersion()).toBe('test-v2');
    });

    it('refuses invalid snapshots before writing anything', async () => {
      await expect(models.publish({ ...SNAPSHOT, bgnbd: { r: -1, alpha: 1, a: 1, b: 1 } }, diagnostics())).rejects.toThrow(/bgnbd\.r/);
      await expect(models.publish({ ...SNAPSHOT, cutPoints: { ...SNAPSHOT.cutPoints!, recency: [3, 2, 1, 0] } }, diagnostics())).rejects.toThrow(/non-decreasing/);
      await expect(models.publish(SNAPSHOT, diagnostics({ fittedAt: 'yesterday' }))).rejects.toThrow(/fittedAt/);
      expect(() => keys.modelVersion('has space')).toThrow(RangeError);
      expect(await models.currentVersion()).toBeNull();
      expect(await models.versions()).toEqual([]);
    });

    it('reports a damaged version hash as CODEC_CORRUPT', async () => {
      await models.publish(SNAPSHOT, diagnostics());
      await redis.hset(keys.modelVersion(SNAPSHOT.version), 'snapshot', '{"version":"test-v1"');
      await expect(models.current()).rejects.toMatchObject({ code: 'CODEC_CORRUPT' });
    });
  });

  describe('the command line', () => {
    it.each(redisTargets(infra).map((t) => t.name))('fit --state publishes on %s, exit 0; declines with exit 1', async (name) => {
      const prefix = `clvtest_fit_${randomBytes(4).toString('hex')}`;
      const target = redisTargets(infra).find((t) => t.name === name)!;
      const redis = target.connect();
      try {
        await commitAll(new PartitionStore(redis, new KeySpace(prefix)), calibration);
        const args = name === 'standalone Redis' ? ['--state', infra.redisUrl] : ['--state'];
        const run = clvstream([...args, '--as-of', '1997-09-30', '--model-version', 'cli-v1'], cliEnv(infra, prefix, name));
        expect(run.stderr).toContain('published model version cli-v1');
        expect(run.status).toBe(0);
        const printed = JSON.parse(run.stdout) as { version: string; bgnbd: { r: number } };
        expect(printed.version).toBe('cli-v1');
        const models = new ModelStore(redis, new KeySpace(prefix));
        expect(await models.currentVersion()).toBe('cli-v1');
        expect((await models.current())?.snapshot.bgnbd?.r).toBe(printed.bgnbd.r);

        const declined = clvstream([...args, '--as-of', '1997-09-30', '--min-repeat-buyers', '5000'], cliEnv(infra, prefix, name));
        expect(declined.status).toBe(1);
        expect(declined.stderr).toMatch(/no model published: BG\/NBD: 946 repeat buyers, at least 5000 needed/);
        expect(await models.currentVersion()).toBe('cli-v1');
      } finally {
        await deleteKeysByPrefix(redis, prefix);
        await redis.quit();
      }
    });
  });
});

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function cliEnv(infra: InfraEndpoints, prefix: string, target: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_KEY_PREFIX: prefix, BASE_CURRENCY: 'USD' };
  delete env['CLVSTREAM_CONFIG'];
  delete env['REDIS_CLUSTER_NODES'];
  delete env['REDIS_URL'];
  if (target === 'standalone Redis') env['REDIS_URL'] = infra.redisUrl;
  else env['REDIS_CLUSTER_NODES'] = (infra.redisClusterNodes ?? []).map((n) => `${n.host}:${n.port}`).join(',');
  return env;
}

function clvstream(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'fit', ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
