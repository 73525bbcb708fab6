import type { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { customerView, type CustomerView } from '../../../src/app/customer-view.js';
import { defaultDomainParameters } from '../../../src/domain/parameters.js';
import { UNFITTED_MODEL, type ModelSnapshot } from '../../../src/domain/model-snapshot.js';
import { evaluate } from '../../../src/domain/profile.js';
import type { CustomerState } from '../../../src/domain/state.js';
import { partitionOfKey } from '../../../src/kafka/key-partition.js';
import { customerViewSchema } from '../../../src/app/http/http-schemas.js';
import { createHttpServer, ReportRequestError, type HttpServerOptions } from '../../../src/app/http/http-server.js';
import { RuntimeMetrics } from '../../../src/ops/metrics.js';
import type { CustomerDetails } from '../../../src/app/customer-details.js';
import { dayToDate } from '../../../src/domain/time.js';
import { pnbdExpectedPurchases } from '../../../src/domain/models/index.js';
import type { ModelInfo } from '../../../src/app/http/model-info.js';
import type { ReadinessChecks } from '../../../src/app/http/readiness.js';
import type { PublishedModel } from '../../../src/state/model-store.js';
import type { SegmentCounts } from '../../../src/app/http/segment-counts.js';
import { StateError } from '../../../src/state/errors.js';
import { KeySpace } from '../../../src/state/keys.js';
import type { PartitionStore } from '../../../src/state/store.js';
import { DAY0, heavyState, typicalState } from '../../state/fixtures.js';
import { captureLogger } from '../../ops/capture-logger.js';

const TOKEN = 'test-token-0123456789abcdef';

const fixtureDirs: string[] = [];
afterAll(() => {
  for (const dir of fixtureDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A built console stand-in: one page. */
function consoleFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clvtest-console-'));
  fixtureDirs.push(dir);
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console fixture</title>');
  return dir;
}
const PARTITIONS = 12;
const READY: ReadinessChecks = { kafkaGroupJoined: true, redisReachable: true, modelLoaded: true };

/** A PartitionStore stand-in holding `states` (per partition, as the real one would find them). */
function fakeStore(states: CustomerState[], options: { watermarkDay?: number; failing?: boolean } = {}): PartitionStore {
  const byPartition = new Map(states.map((s) => [`${partitionOfKey(s.customerId, PARTITIONS)}/${s.customerId}`, s]));
  return {
    keys: new KeySpace(),
    redis: { hget: () => Promise.resolve(options.watermarkDay === undefined ? null : String(options.watermarkDay)) },
    loadStates: (p: number, ids: Iterable<string>) => {
      if (options.failing) return Promise.reject(new StateError('REDIS_UNAVAILABLE', 'connection refused', { retriable: true }));
      const out = new Map<string, CustomerState>();
      for (const id of ids) {
        const s = byPartition.get(`${p}/${id}`);
        if (s !== undefined) out.set(id, s);
      }
      return Promise.resolve(out);
    },
  } as unknown as PartitionStore;
}

const COUNTS: SegmentCounts = {
  customers: 2,
  segments: {
    rfm_segment: { champions: 1, none: 1 },
    value_quadrant: { true_friends: 1, none: 1 },
    relationship: { customer: 2 },
    account_status: { active: 2 },
  },
  churn_levels: { active: 2 },
  computed_at: '2025-03-01T00:00:00.000Z',
  source: 'test',
};

const servers: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(overrides: Partial<HttpServerOptions> = {}) {
  const metrics = new RuntimeMetrics({ defaultMetrics: false });
  const log = captureLogger('debug');
  const app = await createHttpServer({
    logger: log.logger,
    registry: metrics.registry,
    readiness: () => READY,
    store: fakeStore([typicalState('C-000123'), heavyState()]),
    partitionCount: PARTITIONS,
    model: () => UNFITTED_MODEL,
    parameters: defaultDomainParameters,
    segments: { counts: () => Promise.resolve(COUNTS) },
    ...overrides,
  });
  servers.push(app);
  return { app, metrics, log };
}

const auth = { authorization: `Bearer ${TOKEN}` };

describe('GET /healthz and /readyz', () => {
  it('answers 200 while alive', async () => {
    const { app } = await server();
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('is ready when Kafka, Redis and the model are', async () => {
    const { app } = await server();
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ready: true, reasons: [] });
  });

  it('answers 503 with every reason otherwise', async () => {
    const { app } = await server({
      readiness: () => Promise.resolve({ kafkaGroupJoined: false, redisReachable: false, modelLoaded: false, reasons: ['stopping'] }),
    });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      ready: false,
      reasons: ['kafka consumer group not joined', 'redis not reachable', 'model not loaded', 'stopping'],
    });
  });

  it('answers 503 when the probe fails or hangs', async () => {
    const failing = await server({ readiness: () => Promise.reject(new Error('boom')) });
    const res = await failing.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ ready: false, reasons: ['readiness check failed: boom'] });
    const hanging = await server({ readiness: () => new Promise<ReadinessChecks>(() => undefined), readinessTimeoutMs: 50 });
    const slow = await hanging.app.inject({ method: 'GET', url: '/readyz' });
    expect(slow.statusCode).toBe(503);
    expect(slow.json()).toEqual({ ready: false, reasons: ['readiness check timed out after 50 ms'] });
  });
});

describe('bearer token', () => {
  it('leaves health and readiness open', async () => {
    const { app } = await server({ bearerToken: TOKEN });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/healthz?x=1' })).statusCode).toBe(200);
  });

  it('refuses the console, the API document and its UI without the token, with a challenge a browser answers', async () => {
    const { app } = await server({ bearerToken: TOKEN, consoleDir: consoleFixture() });
    const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
    for (const url of ['/console/', '/console', '/', '/openapi.json', '/docs/', '/docs/json']) {
      for (const headers of [{}, basic('x', `${TOKEN}x`), basic(TOKEN, ''), { authorization: `Bearer ${TOKEN.slice(1)}` }]) {
        const refused = await app.inject({ method: 'GET', url, headers });
        expect(refused.statusCode, url).toBe(401);
        expect(refused.headers['www-authenticate'], url).toBe('Basic realm="clvstream", charset="UTF-8"');
        expect(refused.body, url).not.toContain('console fixture');
      }
    }
    for (const headers of [auth, basic('anyone', TOKEN), basic('', TOKEN)]) {
      const page = await app.inject({ method: 'GET', url: '/console/', headers });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('console fixture');
      expect((await app.inject({ method: 'GET', url: '/', headers })).headers.location).toBe('/console/');
      expect((await app.inject({ method: 'GET', url: '/openapi.json', headers })).json()).toMatchObject({ openapi: '3.1.0' });
      expect((await app.inject({ method: 'GET', url: '/docs/', headers })).statusCode).toBe(200);
    }
    // The Basic password opens the data routes too (a browser that was asked once sends it on).
    expect((await app.inject({ method: 'GET', url: '/segments', headers: basic('x', TOKEN) })).statusCode).toBe(200);
    // Nothing outside the console's folder, and no route that only looks like it.
    expect((await app.inject({ method: 'GET', url: '/console/../package.json', headers: auth })).statusCode).not.toBe(200);
    expect((await app.inject({ method: 'GET', url: '/consolex' })).statusCode).toBe(401);
  });

  it('compares the token as equal-length digests, so a token of any length is refused without a throw', async () => {
    const { app } = await server({ bearerToken: TOKEN });
    for (const token of ['a', TOKEN.repeat(20), `${TOKEN}\u00e9`, TOKEN.toUpperCase()]) {
      const res = await app.inject({ method: 'GET', url: '/segments', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(401);
    }
  });

  it.each(['/metrics', '/customers/C-000123', '/segments', '/reports/x', '/model', '/no-such-route'])(
    'refuses %s without a token, with a wrong one, and serves it with the right one',
    async (url) => {
      const { app } = await server({ bearerToken: TOKEN, reports: () => Promise.resolve({ ok: true }) });
      const missing = await app.inject({ method: 'GET', url });
      expect(missing.statusCode).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="clvstream"');
      expect(missing.json()).toEqual({ error: 'unauthorized' });
      for (const authorization of [`Bearer ${TOKEN}x`, 'Bearer short', `Basic ${TOKEN}`, `Bearer`, TOKEN]) {
        const wrong = await app.inject({ method: 'GET', url, headers: { authorization } });
        expect(wrong.statusCode).toBe(401);
        expect(wrong.headers['www-authenticate']).toMatch(/^Bearer realm="clvstream"/);
        expect(wrong.json()).toEqual({ error: 'unauthorized' });
      }
      const right = await app.inject({ method: 'GET', url, headers: auth });
      expect(right.statusCode).toBe(url === '/no-such-route' ? 404 : 200);
      const lower = await app.inject({ method: 'GET', url, headers: { authorization: `bearer ${TOKEN}` } });
      expect(lower.statusCode).toBe(right.statusCode);
    },
  );

  it('names an invalid token in the challenge', async () => {
    const { app } = await server({ bearerToken: TOKEN });
    const res = await app.inject({ method: 'GET', url: '/segments', headers: { authorization: 'Bearer nope' } });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="clvstream", error="invalid_token"');
  });

  it('needs no token when none is configured', async () => {
    const { app } = await server();
    expect((await app.inject({ method: 'GET', url: '/segments' })).statusCode).toBe(200);
  });
});

describe('GET /metrics', () => {
  it('serves the registry in the Prometheus text format', async () => {
    const { app, metrics } = await server();
    metrics.lag('clv.purchases', 2, 17);
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('# TYPE clvstream_consumer_lag gauge');
    expect(res.body).toContain('clvstream_consumer_lag{topic="clv.purchases",partition="2"} 17');
  });
});

describe('GET /customers/:id', () => {
  it("answers the customer's view, evaluated at the partition watermark", async () => {
    const state = typicalState('C-000123');
    const watermark = state.asOfDay + 30;
    const { app } = await server({ store: fakeStore([state], { watermarkDay: watermark }) });
    const res = await app.inject({ method: 'GET', url: '/customers/C-000123' });
    expect(res.statusCode).toBe(200);
    const expected = customerView(state, evaluate(state, watermark, UNFITTED_MODEL, defaultDomainParameters), UNFITTED_MODEL, defaultDomainParameters);
    expect(res.json()).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(res.json()).toMatchObject({ customer_id: 'C-000123', frequency: 3, model_version: 'unfitted', recency_days: 30 });
  });

  it('answers 404 for an unknown customer', async () => {
    const { app } = await server();
    const res = await app.inject({ method: 'GET', url: '/customers/C-unknown' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'unknown customer' });
  });

  it('answers 400 for an id the contract refuses', async () => {
    const { app } = await server();
    for (const url of [`/customers/${'x'.repeat(65)}`, '/customers/has%20space', '/customers/%C3%A9']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json()).toHaveProperty('error');
      expect(Object.keys(res.json<object>())).toEqual(['error']);
    }
  });

  it('answers 503 while the partition count is unknown or Redis is down', async () => {
    const unknown = await server({ partitionCount: () => null });
    expect((await unknown.app.inject({ method: 'GET', url: '/customers/C-000123' })).statusCode).toBe(503);
    const down = await server({ store: fakeStore([], { failing: true }) });
    const res = await down.app.inject({ method: 'GET', url: '/customers/C-000123' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'state store unavailable' });
  });

  it('never logs the customer id or the URL at info level', async () => {
    const { app, log } = await server();
    await app.inject({ method: 'GET', url: '/customers/C-000123' });
    await app.inject({ method: 'GET', url: '/customers/C-unknown' });
    const infoAndAbove = log.lines.filter((l) => l['level'] !== 'debug' && l['level'] !== 'trace');
    expect(JSON.stringify(infoAndAbove)).not.toContain('C-000');
    expect(JSON.stringify(log.lines)).not.toContain('C-000123');
    expect(log.lines.some((l) => l['route'] === '/customers/:id' && l['level'] === 'debug')).toBe(true);
  });
});

describe('GET /customers/:id/details', () => {
  it('lists the purchase days and orders the state keeps, and no predictions while unfitted', async () => {
    const { app } = await server();
    const res = await app.inject({ method: 'GET', url: '/customers/C-000123/details' });
    expect(res.statusCode).toBe(200);
    const body = res.json<CustomerDetails>();
    const first = dayToDate(DAY0);
    expect(body.purchase_days).toEqual([first, dayToDate(DAY0 + 23), dayToDate(DAY0 + 61)]);
    expect(body.recent_orders.map((o) => [o.date, o.amount])).toEqual([
      [first, '45.99'],
      [dayToDate(DAY0 + 23), '29.50'],
      [dayToDate(DAY0 + 61), '124.00'],
    ]);
    expect(body.predictions).toEqual({ model_version: 'unfitted', p_alive: null, expected_purchases: [] });
    expect((await app.inject({ method: 'GET', url: '/customers/nobody/details' })).statusCode).toBe(404);
  });

  it('predicts more purchases over longer horizons with a fitted model', async () => {
    const model: ModelSnapshot = { version: 'fit-1', bgnbd: { r: 0.24, alpha: 30.9, a: 0.79, b: 2.43 }, gammaGamma: null, cutPoints: null };
    const { app } = await server({ model: () => model });
    const body = (await app.inject({ method: 'GET', url: '/customers/C-000123/details' })).json<CustomerDetails>();
    const expected = body.predictions.expected_purchases;
    expect(expected.map((e) => e.days)).toEqual([30, 90, 365]);
    expect(expected[0]!.expected).toBeGreaterThan(0);
    expect(expected[1]!.expected).toBeGreaterThan(expected[0]!.expected);
    expect(expected[2]!.expected).toBeGreaterThan(expected[1]!.expected);
    expect(body.predictions.p_alive).toBeGreaterThan(0);
  });
});

describe('GET /segments', () => {
  it('answers the provider counts', async () => {
    const { app } = await server();
    const res = await app.inject({ method: 'GET', url: '/segments' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(COUNTS);
  });
});

describe('GET /status', () => {
  it("answers the provider's re-score progress, 501 without one", async () => {
    expect((await (await server()).app.inject({ method: 'GET', url: '/status' })).statusCode).toBe(501);
    const status = { model_version: 'v2', rescore: [{ partition: 3, version: 'v2', total: 10, remaining: 4, state: 'running' as const }] };
    const { app } = await server({ status: () => status });
    const res = await app.inject({ method: 'GET', url: '/status' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(status);
  });
});

describe('GET /reports/:name', () => {
  it('answers 501 without a provider', async () => {
    const { app } = await server();
    const res = await app.inject({ method: 'GET', url: '/reports/cohorts' });
    expect(res.statusCode).toBe(501);
  });

  it('delegates to the provider with the query, 404 for unknown names, 400 for bad parameters', async () => {
    const calls: [string, Record<string, string>][] = [];
    const { app } = await server({
      reports: (name, query) => {
        calls.push([name, { ...query }]);
        if (name === 'bad') return Promise.reject(new ReportRequestError('as_of must be a date'));
        return Promise.resolve(name === 'cohorts' ? { name, rows: [{ month: '2025-01', customers: 3 }] } : null);
      },
    });
    const ok = await app.inject({ method: 'GET', url: '/reports/cohorts?as_of=2025-03-01' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ name: 'cohorts', rows: [{ month: '2025-01', customers: 3 }] });
    expect(calls[0]).toEqual(['cohorts', { as_of: '2025-03-01' }]);
    expect((await app.inject({ method: 'GET', url: '/reports/nope' })).statusCode).toBe(404);
    const bad = await app.inject({ method: 'GET', url: '/reports/bad' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'as_of must be a date' });
    expect((await app.inject({ method: 'GET', url: '/reports/Not_A_Name' })).statusCode).toBe(400);
  });

  it('hides internal errors', async () => {
    const { app, log } = await server({ reports: () => Promise.reject(new Error('secret internals')) });
    const res = await app.inject({ method: 'GET', url: '/reports/x' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'internal error' });
    const errors = log.lines.filter((l) => l['level'] === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ route: '/reports/:name', error: 'Error', msg: 'request failed' });
    expect(JSON.stringify(errors)).not.toContain('secret internals');
  });
});

describe('GET /lost-customers', () => {
  const row = {
    customer_id: 'C-gone,1',
    how: 'cancelled' as const,
    left_on: '2025-02-01',
    last_purchase: '2025-01-20',
    churn_level: 'churned' as const,
    churn_reasons: ['cancellation' as const],
    cancellation_reason: 'competitor' as const,
    competitor: 'Acme',
    clv_historic: '90.00',
    predicted_clv_at_leaving: '120.50',
    value_lost: '120.50',
  };

  it('answers 501 without a provider', async () => {
    const { app } = await server();
    expect((await app.inject({ method: 'GET', url: '/lost-customers' })).statusCode).toBe(501);
  });

  it('passes the query to the provider and answers JSON, or CSV with format=csv', async () => {
    const calls: unknown[] = [];
    const { app } = await server({
      lostCustomers: (query) => {
        calls.push({ ...query });
        return Promise.resolve({ as_of: '2025-03-01', currency: 'USD', sort: query.sort ?? 'value_lost', total: 7, customers: [row] });
      },
    });
    const json = await app.inject({ method: 'GET', url: '/lost-customers?sort=left_on&min_level=at_risk&limit=5&as_of=2025-03-01' });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual({ as_of: '2025-03-01', currency: 'USD', sort: 'left_on', total: 7, customers: [row] });
    expect(calls[0]).toEqual({ sort: 'left_on', min_level: 'at_risk', limit: '5', as_of: '2025-03-01' });
    const csv = await app.inject({ method: 'GET', url: '/lost-customers?format=csv' });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body).toBe(
      'customer_id,how,left_on,last_purchase,churn_level,churn_reasons,cancellation_reason,competitor,clv_historic,predicted_clv_at_leaving,value_lost\n' +
        '"C-gone,1",cancelled,2025-02-01,2025-01-20,churned,cancellation,competitor,Acme,90.00,120.50,120.50\n',
    );
  });

  it.each(['sort=name', 'min_level=cooling', 'limit=0', 'limit=100001', 'format=xml', 'as_of=March', 'as_of=2025-3-1'])('refuses %s with 400', async (q) => {
    const { app } = await server({ lostCustomers: () => Promise.reject(new Error('not called')) });
    const res = await app.inject({ method: 'GET', url: `/lost-customers?${q}` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toHaveProperty('error');
  });
});

describe('GET /model', () => {
  const fitted: ModelSnapshot = {
    version: 'fit-1',
    bgnbd: { r: 0.24, alpha: 30.9, a: 0.79, b: 2.43 },
    gammaGamma: { p: 6.25, q: 3.74, v: 1544 },
    cutPoints: null,
  };

  it('answers the unfitted model with no curve before the first fit', async () => {
    const { app } = await server();
    expect((await app.inject({ method: 'GET', url: '/model' })).json()).toMatchObject({
      version: 'unfitted',
      fitted_at: null,
      bgnbd: null,
      diagnostics: null,
      expected_repeat_purchases: [],
    });
  });

  it("answers the model in use with the stored version's diagnostics and the BG/NBD curve", async () => {
    const published: PublishedModel = {
      snapshot: fitted,
      fittedAt: '2026-01-02T03:04:05.000Z',
      asOf: '1997-09-30',
      diagnostics: { fittedAt: '2026-01-02T03:04:05.000Z', asOf: '1997-09-30', customers: 2357, repeatBuyers: 1, logLikelihood: -9582.4, iterations: 80, converged: true, currency: 'USD' },
    };
    const { app } = await server({ model: () => fitted, publishedModel: () => Promise.resolve(published) });
    const body = (await app.inject({ method: 'GET', url: '/model' })).json<ModelInfo>();
    expect(body).toMatchObject({ version: 'fit-1', fitted_at: '2026-01-02T03:04:05.000Z', as_of: '1997-09-30', money_unit: 'USD minor units' });
    expect(body.diagnostics).toMatchObject({ customers: 2357, converged: true });
    const curve = body.expected_repeat_purchases;
    expect(curve[0]).toEqual({ day: 0, expected: 0 });
    expect(curve.at(-1)!.day).toBe(364);
    for (let i = 1; i < curve.length; i++) expect(curve[i]!.expected).toBeGreaterThan(curve[i - 1]!.expected);
  });

  it('answers a published Pareto/NBD with its standard errors, its curve and the back-test comparison', async () => {
    const pareto: ModelSnapshot = {
      version: 'fit-p',
      purchaseModel: 'pnbd',
      bgnbd: null,
      pnbd: { r: 0.55, alpha: 74, s: 0.61, beta: 81.7 },
      gammaGamma: null,
      cutPoints: null,
      uncertainty: { purchase: [[0.01, 0, 0, 0], [0, 0.04, 0, 0], [0, 0, 0.09, 0], [0, 0, 0, 0.25]], gammaGamma: null },
    };
    const comparison = {
      calibration_end: '1997-09-30',
      holdout_end: '1998-06-30',
      holdout_days: 273,
      cohort: 2,
      chosen: 'pnbd' as const,
      best: 'pnbd' as const,
      models: [
        {
          model: 'pnbd' as const,
          holdout: { customers: 2, actual: 3, predicted: 2.5, relative_error: -1 / 6, mean_absolute_error: 0.5, root_mean_squared_error: 0.6 },
          groups: [{ label: 'total', customers: 2, actual: 3, predicted: 2.5 }],
          tracking: [{ t: 7, actual: 1, predicted: 0.9 }],
        },
      ],
    };
    const published: PublishedModel = {
      snapshot: pareto,
      fittedAt: '2026-01-02T03:04:05.000Z',
      asOf: '1998-06-30',
      diagnostics: { fittedAt: '2026-01-02T03:04:05.000Z', asOf: '1998-06-30', customers: 2, repeatBuyers: 1, logLikelihood: -9, iterations: 9, converged: true, currency: 'USD' },
      backtest: comparison,
    };
    const { app } = await server({ model: () => pareto, publishedModel: () => Promise.resolve(published) });
    const body = (await app.inject({ method: 'GET', url: '/model' })).json<ModelInfo>();
    expect(body).toMatchObject({ purchase_model: 'pnbd', bgnbd: null, pnbd: pareto.pnbd, backtest: comparison });
    // se(θ) = θ·√Var(ln θ)
    expect(body.standard_errors.purchase).toEqual({ r: 0.55 * 0.1, alpha: 74 * 0.2, s: 0.61 * 0.3, beta: 81.7 * 0.5 });
    expect(body.standard_errors.gamma_gamma).toBeNull();
    expect(body.expected_repeat_purchases.at(-1)!.expected).toBeCloseTo(pnbdExpectedPurchases(pareto.pnbd!, 364), 6);
  });

  it('shows no diagnostics of a stored version that is not the one in use', async () => {
    const other: PublishedModel = {
      snapshot: { ...fitted, version: 'fit-2' },
      fittedAt: '2026-02-01T00:00:00.000Z',
      asOf: '1997-12-31',
      diagnostics: { fittedAt: '2026-02-01T00:00:00.000Z', asOf: '1997-12-31', customers: 1, repeatBuyers: 1, logLikelihood: -1, iterations: 1, converged: true, currency: 'USD' },
    };
    const { app } = await server({ model: () => fitted, publishedModel: () => Promise.resolve(other) });
    expect((await app.inject({ method: 'GET', url: '/model' })).json()).toMatchObject({ version: 'fit-1', fitted_at: null, diagnostics: null });
  });
});

describe('customerViewSchema', () => {
  it('mirrors customerView exactly (type and fields)', () => {
    expectTypeOf<z.infer<typeof customerViewSchema>>().toEqualTypeOf<CustomerView>();
    for (const state of [typicalState(), heavyState()]) {
      const view = customerView(state, evaluate(state, state.asOfDay, UNFITTED_MODEL, defaultDomainParameters), UNFITTED_MODEL, defaultDomainParameters);
      expect(Object.keys(customerViewSchema.shape).sort()).toEqual(Object.keys(view).sort());
      expect(customerViewSchema.parse(view)).toEqual(view);
    }
  });
});
