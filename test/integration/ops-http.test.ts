// The operations HTTP server against real Redis (standalone, and the 3-master
// cluster when the infrastructure has one): a state written with
// PartitionStore.commit is read back over HTTP, segment counts scan the real
// keyspace, and Redis command timing sees the real commands.
import type { Cluster, Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { customerView } from '../../src/app/customer-view.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { UNFITTED_MODEL, type ModelSnapshot } from '../../src/domain/model-snapshot.js';
import { customerForecast } from '../../src/domain/forecast.js';
import { evaluate } from '../../src/domain/profile.js';
import type { CustomerState } from '../../src/domain/state.js';
import { partitionOfKey } from '../../src/kafka/key-partition.js';
import { createHttpServer, listen } from '../../src/app/http/http-server.js';
import { RuntimeMetrics } from '../../src/ops/metrics.js';
import { createReadinessProbe } from '../../src/app/http/readiness.js';
import { instrumentRedis } from '../../src/state/redis-timing.js';
import { stateReportProvider } from '../../src/app/http/report-provider.js';
import { stateLostCustomersProvider } from '../../src/app/http/lost-customer-provider.js';
import { lostListCsv, lostListJson } from '../../src/app/lost-customers.js';
import { lostCustomers } from '../../src/domain/reports/lost-customers.js';
import { emptyState } from '../../src/domain/state.js';
import { ScanSegmentCounts } from '../../src/app/http/segment-counts.js';
import { reportJson } from '../../src/app/report.js';
import { populationReport } from '../../src/domain/reports/population-report.js';
import { dayToDate } from '../../src/domain/time.js';
import { KeySpace } from '../../src/state/keys.js';
import { PartitionStore } from '../../src/state/store.js';
import { deleteKeysByPrefix, describeWithInfra, redisTargets, uniqueRedisPrefix } from '../support/infra.js';
import { captureLogger } from '../ops/capture-logger.js';
import { heavyState, typicalState } from '../state/fixtures.js';

const PARTITIONS = 6;
// CDNOW's published fits in days (α × 7) and cents (v × 100): the view's forward-looking figures are the model's.
const FITTED: ModelSnapshot = {
  version: 'ops-fitted',
  bgnbd: { r: 0.243, alpha: 4.414 * 7, a: 0.793, b: 2.426 },
  gammaGamma: { p: 6.25, q: 3.74, v: 1544 },
  cutPoints: null,
};
const TOKEN = 'integration-token-0123456789';

describeWithInfra('ops HTTP server on Redis', (infra) => {
  describe.each(redisTargets(infra))('on $name', (target) => {
    let redis: Redis | Cluster;
    let prefix: string;
    let store: PartitionStore;
    let metrics: RuntimeMetrics;
    let stopTiming: () => void;
    let server: FastifyInstance;
    let base: string;
    let model: ModelSnapshot;

    beforeAll(() => {
      redis = target.connect();
    });
    afterAll(async () => {
      await redis.quit();
    });
    beforeEach(async () => {
      prefix = uniqueRedisPrefix('ops');
      store = new PartitionStore(redis, new KeySpace(prefix));
      metrics = new RuntimeMetrics({ defaultMetrics: false });
      stopTiming = instrumentRedis(redis, metrics);
      model = UNFITTED_MODEL;
      server = await createHttpServer({
        logger: captureLogger('warn').logger,
        registry: metrics.registry,
        readiness: createReadinessProbe({ kafkaGroupJoined: () => true, modelLoaded: () => true, redis }),
        store,
        partitionCount: PARTITIONS,
        model: () => model,
        parameters: defaultDomainParameters,
        segments: new ScanSegmentCounts(store, { scanCount: 50, cacheTtlMs: 0 }),
        reports: stateReportProvider({ store, partitionCount: PARTITIONS, model: () => UNFITTED_MODEL, parameters: defaultDomainParameters, scanCount: 50 }),
        lostCustomers: stateLostCustomersProvider({ store, partitionCount: PARTITIONS, model: () => UNFITTED_MODEL, parameters: defaultDomainParameters, scanCount: 50 }),
        bearerToken: TOKEN,
      });
      base = await listen(server, 0, '127.0.0.1');
    });
    afterEach(async () => {
      stopTiming();
      await server.close();
      await deleteKeysByPrefix(redis, prefix);
    });

    async function get(path: string, token: string | null = TOKEN): Promise<{ status: number; body: unknown; headers: Headers }> {
      const res = await fetch(`${base}${path}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
      const text = await res.text();
      return { status: res.status, body: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text, headers: res.headers };
    }

    /** Commits `states` to their partitions with a watermark, as the runtime would. */
    async function commit(states: CustomerState[], watermarkDay: number): Promise<void> {
      const byPartition = new Map<number, CustomerState[]>();
      for (const s of states) {
        const p = partitionOfKey(s.customerId, PARTITIONS);
        byPartition.set(p, [...(byPartition.get(p) ?? []), s]);
      }
      for (const [p, list] of byPartition) {
        const { epoch } = await store.claim(p);
        await store.commit(p, epoch, { states: new Map(list.map((s) => [s.customerId, s])), watermarkDay });
      }
    }

    it("answers a committed customer's view over HTTP, 404 for an unknown one", async () => {
      const typical = typicalState('C-ops-1');
      const heavy = heavyState('C-ops-2');
      const watermark = Math.max(typical.asOfDay, heavy.asOfDay) + 10;
      await commit([typical, heavy], watermark);

      for (const state of [typical, heavy]) {
        const res = await get(`/customers/${state.customerId}`);
        expect(res.status).toBe(200);
        const profile = evaluate(state, Math.max(state.asOfDay, watermark), UNFITTED_MODEL, defaultDomainParameters);
        expect(res.body).toEqual(JSON.parse(JSON.stringify(customerView(state, profile, UNFITTED_MODEL, defaultDomainParameters))));
      }

      // With a fitted model the same route gives the model's forward-looking figures, named with the model.
      model = FITTED;
      const res = await get(`/customers/${typical.customerId}`);
      const day = Math.max(typical.asOfDay, watermark);
      const profile = evaluate(typical, day, FITTED, defaultDomainParameters);
      const forecast = customerForecast(typical, profile, FITTED, defaultDomainParameters);
      expect(res.body).toEqual(JSON.parse(JSON.stringify(customerView(typical, profile, FITTED, defaultDomainParameters))));
      expect(res.body).toMatchObject({
        model_version: 'ops-fitted',
        prediction_model: 'bgnbd',
        p_alive: profile.pAlive,
        expected_purchases_30d: Math.round(forecast.expectedPurchases[0] * 1e4) / 1e4,
        expected_purchases_90d: Math.round(forecast.expectedPurchases[1] * 1e4) / 1e4,
        expected_purchases_365d: Math.round(forecast.expectedPurchases[2] * 1e4) / 1e4,
        next_purchase_expected: dayToDate(day + Math.round(forecast.nextPurchaseMedianDays!)),
        clv_predicted_year: (forecast.predictedClvYearMinor / 100).toFixed(2),
        clv_horizon_days: defaultDomainParameters.clvHorizonDays,
      });
      expect(forecast.expectedPurchases[0]).toBeGreaterThan(0);
      expect(forecast.expectedPurchases[2]).toBeGreaterThan(forecast.expectedPurchases[0]);
      expect(await get('/customers/C-ops-nobody')).toMatchObject({ status: 404, body: { error: 'unknown customer' } });
      expect(await get('/customers/C-ops-1', null)).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
      expect(await get('/customers/C-ops-1', 'wrong-token-000000000000')).toMatchObject({ status: 401 });
    });

    it('lists the customers who left from every partition, sorted by value lost, as JSON and CSV', async () => {
      // 30 customers over the partitions: every third cancelled (for a competitor), the rest long silent or recent.
      const states: CustomerState[] = [];
      for (let i = 0; i < 30; i++) {
        const s = emptyState(`C-lost-${i}`);
        s.orders = s.purchaseDays = 1;
        s.firstDay = s.lastDay = 20_000 + i;
        s.asOfDay = s.lastDay;
        s.lastPurchaseAt = s.lastDay * 86_400_000 + 3_600_000;
        s.grossMinor = 1_000 * (i + 1);
        s.marginMinor = 300 * (i + 1);
        s.dayBits = [1];
        if (i % 3 === 0) {
          s.cancelledAt = s.lastPurchaseAt + 86_400_000;
          s.cancelReason = 'competitor';
          s.competitor = i % 2 === 0 ? 'Acme' : 'Globex';
        }
        if (i >= 25) s.firstDay = s.lastDay = s.asOfDay = 20_700; // recent buyers: still active
        states.push(s);
      }
      const watermark = 20_720;
      await commit(states, watermark);
      const expected = lostCustomers(states, watermark, UNFITTED_MODEL, defaultDomainParameters);
      expect(expected.length).toBeGreaterThan(10);

      const json = await get('/lost-customers');
      expect(json.status).toBe(200);
      expect(json.body).toEqual(lostListJson(expected, expected.length, watermark, 'value_lost', 'USD'));
      const csv = await get('/lost-customers?format=csv&limit=5&sort=clv_historic');
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(csv.body).toBe(lostListCsv(lostCustomers(states, watermark, UNFITTED_MODEL, defaultDomainParameters, { sort: 'clv_historic' }).slice(0, 5), 'USD'));
    });

    it('counts the stored segments by scanning every partition', async () => {
      const states = [typicalState('C-seg-1'), typicalState('C-seg-2'), heavyState('C-seg-3')];
      await commit(states, Math.max(...states.map((s) => s.asOfDay)));
      const res = await get('/segments');
      expect(res.status).toBe(200);
      const body = res.body as { customers: number; segments: Record<string, Record<string, number>>; churn_levels: Record<string, number> };
      expect(body.customers).toBe(3);
      for (const dimension of ['rfm_segment', 'value_quadrant', 'relationship', 'account_status'] as const) {
        const expected: Record<string, number> = {};
        for (const s of states) expected[s.segments[dimension] ?? 'none'] = (expected[s.segments[dimension] ?? 'none'] ?? 0) + 1;
        expect(body.segments[dimension]).toEqual(expected);
      }
      expect(Object.values(body.churn_levels).reduce((a, b) => a + b, 0)).toBe(3);
    });

    it('answers the population report over the stored states', async () => {
      const states = [typicalState('C-rep-1'), heavyState('C-rep-2'), typicalState('C-rep-3')];
      const watermark = Math.max(...states.map((s) => s.asOfDay)) + 3;
      await commit(states, watermark);
      const expected = (day: number, periodDays = 30): unknown => ({
        name: 'population',
        ...(JSON.parse(JSON.stringify(reportJson(populationReport(states, day, UNFITTED_MODEL, defaultDomainParameters, { periodDays }), 'USD'))) as object),
      });
      // Default day: the latest partition watermark.
      const byDefault = await get('/reports/population');
      expect(byDefault.status).toBe(200);
      expect(byDefault.body).toEqual(expected(watermark));
      const asOf = dayToDate(watermark + 40);
      expect((await get(`/reports/population?as_of=${asOf}&period_days=7`)).body).toEqual(expected(watermark + 40, 7));
      expect(await get('/reports/population?as_of=2025-02-30')).toMatchObject({ status: 400, body: { error: 'as_of must be a calendar date like 2025-03-01' } });
      expect(await get('/reports/population?period_days=0')).toMatchObject({ status: 400 });
      expect(await get('/reports/population?colour=red')).toMatchObject({ status: 400, body: { error: 'unknown parameter colour (as_of, period_days)' } });
      expect(await get('/reports/cohorts')).toMatchObject({ status: 404, body: { error: 'unknown report' } });
    });

    it('is ready with Redis reachable, and times the Redis commands it made', async () => {
      expect(await get('/readyz', null)).toMatchObject({ status: 200, body: { ready: true, reasons: [] } });
      await commit([typicalState('C-t-1')], typicalState('C-t-1').asOfDay);
      await get('/customers/C-t-1');
      const text = (await get('/metrics')).body as string;
      for (const command of ['script:claim', 'script:commit', 'mget', 'hget', 'ping']) {
        expect(text).toMatch(new RegExp(`clvstream_redis_command_duration_seconds_count\\{command="${command}"\\} [1-9]`));
      }
    });
  });
});
