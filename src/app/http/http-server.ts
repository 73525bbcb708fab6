/**
 * The operations HTTP server (fastify): health, readiness, Prometheus metrics,
 * one customer's state, segment counts and reports. Everything it needs comes
 * in as arguments, so it runs (and is tested) without Kafka.
 *
 * | route | auth | answer |
 * |---|---|---|
 * | `GET /healthz` | open | 200 `{status:"ok"}` while the process runs |
 * | `GET /readyz` | open | 200 `{ready:true,reasons:[]}`, or 503 `{ready:false,reasons:[…]}` |
 * | `GET /metrics` | bearer | Prometheus text format |
 * | `GET /customers/:id` | bearer | the customer's view, 404 `{error}` when unknown |
 * | `GET /customers/:id/details` | bearer | purchase days, orders and returns the state keeps; expected purchases in 30/90/365 days |
 * | `GET /segments` | bearer | customers per segment per dimension |
 * | `GET /status` | bearer | the re-score after a model change: version, customers total and remaining per partition held; 501 without provider (`serve`) |
 * | `GET /lost-customers` | bearer | who left: when, churn level or cancellation reason, competitor, historic CLV, value lost; JSON or `format=csv`; 501 without provider |
 * | `GET /reports/:name` | bearer | the report provider's answer (`population`), 404 unknown, 501 without provider |
 * | `GET /model` | bearer | the model in use: version, fit time, parameters, diagnostics, expected-purchases curve |
 * | `GET /openapi.json` | open | this API as an OpenAPI 3.1 document, generated from the route schemas |
 * | `GET /docs/` | open | a browsable UI of that document (Swagger UI, bundled) |
 * | `GET /console/` | open | the web console (static files built by Vite into dist/console); `/` redirects there |
 *
 * Auth: with `bearerToken` (HTTP_BEARER_TOKEN) every route but the probes
 * (`/healthz`, `/readyz`) — the console, the API document and unknown paths
 * included — needs the token, as `Authorization: Bearer <token>` or, so that a
 * browser can open the console, as the password of HTTP Basic (any user name);
 * otherwise 401 and no data. The pages answer with a `Basic` challenge (the
 * browser asks for the password), the data routes with a `Bearer` one (the
 * console asks for the token itself). The comparison is constant-time (SHA-256
 * of both sides, then `timingSafeEqual`).
 *
 * Every route has JSON schemas (generated from zod, http-schemas.ts): bad
 * parameters are a 400 `{error}` before any handler runs. Request logs are at
 * debug level and name the route pattern, never the URL (which carries a
 * customer id); errors are logged at warn/error with name and code only, their
 * messages (which may name a customer key) at debug.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { customerDetails } from '../customer-details.js';
import { lostListCsvFromJson } from '../lost-customers.js';
import { lookupCustomer } from '../customer-lookup.js';
import type { DomainParameters } from '../../domain/parameters.js';
import type { ModelSnapshot } from '../../domain/model-snapshot.js';
import { StateError } from '../../state/errors.js';
import type { PublishedModel } from '../../state/model-store.js';
import type { PartitionStore } from '../../state/store.js';
import {
  customerDetailsSchema,
  customerParamsSchema,
  customerViewSchema,
  errorSchema,
  healthSchema,
  jsonSchemaOf,
  lostCustomersQuerySchema,
  lostCustomersSchema,
  modelInfoSchema,
  readinessSchema,
  reportParamsSchema,
  reportQuerySchema,
  reportSchema,
  segmentCountsSchema,
  serviceStatusSchema,
  type ServiceStatus,
} from './http-schemas.js';
import { consoleDirectory } from './console-assets.js';
import type { Logger } from '../../ops/logger.js';
import { modelInfo } from './model-info.js';
import { readinessOf, type ReadinessProbe, type Readiness } from './readiness.js';
import type { LostCustomersProvider } from './lost-customer-provider.js';
import type { ReportProvider } from './report-provider.js';
import { ScanSegmentCounts, type SegmentCountsProvider } from './segment-counts.js';

export { ReportRequestError, type ReportProvider } from './report-provider.js';

export interface HttpServerOptions {
  readonly logger: Logger;
  /** The registry `/metrics` exposes (`RuntimeMetrics.registry`). */
  readonly registry: Registry;
  readonly readiness: ReadinessProbe;
  /** The state store `/customers/:id` reads. */
  readonly store: PartitionStore;
  /** Partitions of the input topics, or a getter (null while unknown → 503). */
  readonly partitionCount: number | (() => number | null);
  /** The model in use (scores, P(alive), predicted CLV, version). */
  readonly model: () => ModelSnapshot;
  readonly parameters: DomainParameters;
  /** Default: `ScanSegmentCounts` over `store`. */
  readonly segments?: SegmentCountsProvider;
  /** Reports by name (`stateReportProvider` in reports.ts); without one, `/reports/:name` answers 501. */
  readonly reports?: ReportProvider;
  /** The lost-customer list (`stateLostCustomersProvider` in lost-customers.ts); without one, `/lost-customers` answers 501. */
  readonly lostCustomers?: LostCustomersProvider;
  /** HTTP_BEARER_TOKEN; unset → no auth. */
  readonly bearerToken?: string;
  /** Bound on readiness probe time before answering 503; default 2 s. */
  readonly readinessTimeoutMs?: number;
  /** The stored version of the model (its fit diagnostics for `GET /model`); without it, /model shows the parameters only. */
  readonly publishedModel?: () => Promise<PublishedModel | null>;
  /** Directory of the built console; default dist/console of this package. Null: no console. */
  readonly consoleDir?: string | null;
  /** This build's version, shown in the OpenAPI document. */
  readonly version?: string;
  /** What `GET /status` answers (`clvstream run`: the re-score's progress); without it, 501. */
  readonly status?: () => ServiceStatus;
}

/** The probes: a kubelet or load balancer asks them without credentials. */
const OPEN_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz']);
/** Pages a browser opens (the console and the API document): they challenge with Basic, which a browser can answer. */
const PAGE_ROUTES: ReadonlySet<string> = new Set(['/', '/openapi.json']);
const PAGE_PREFIXES = ['/console', '/docs'];

function isPage(route: string | undefined): boolean {
  if (route === undefined) return false;
  return PAGE_ROUTES.has(route) || PAGE_PREFIXES.some((prefix) => route === prefix || route.startsWith(`${prefix}/`));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The token an `Authorization` header presents: a Bearer token, or a Basic password; else undefined. */
export function presentedToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const bearer = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  if (bearer !== null) return bearer[1];
  const basic = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (basic === null) return undefined;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 || colon === decoded.length - 1 ? undefined : decoded.slice(colon + 1);
}

const error = jsonSchemaOf(errorSchema);
const errors = { 400: error, 401: error, 404: error, 500: error, 503: error };

export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const logger = options.logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    // Customer ids are at most 64 characters; a little room for the encoding.
    routerOptions: { maxParamLength: 256 },
    bodyLimit: 16 * 1024,
    return503OnClosing: true,
  }) as unknown as FastifyInstance;

  const segments = options.segments ?? new ScanSegmentCounts(options.store);
  const expected = options.bearerToken === undefined ? undefined : sha256(options.bearerToken);

  // Before any route: the document is generated from the routes registered after it.
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'clvstream HTTP API',
        version: options.version ?? '0.0.0',
        description: "Customer views, segment counts, population reports and the model of clvstream's customer state in Redis, plus health, readiness and Prometheus metrics.",
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'HTTP_BEARER_TOKEN, when set' } } },
      security: [{ bearer: [] }],
    },
    hideUntagged: false,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: false } });

  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (expected === undefined || (route !== undefined && OPEN_ROUTES.has(route))) return;
    const given = presentedToken(request.headers.authorization);
    // Equal-length digests: the comparison takes the same time whatever was sent.
    if (given !== undefined && timingSafeEqual(sha256(given), expected)) return;
    const challenge = isPage(route)
      ? 'Basic realm="clvstream", charset="UTF-8"'
      : given === undefined ? 'Bearer realm="clvstream"' : 'Bearer realm="clvstream", error="invalid_token"';
    return reply.code(401).header('WWW-Authenticate', challenge).send({ error: 'unauthorized' });
  });

  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      { method: request.method, route: request.routeOptions.url ?? '(unknown)', statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'http request',
    );
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.validation) {
      return reply.code(400).send({ error: `${err.validationContext ?? 'request'} ${err.message.replace(/^(params|querystring|headers|body)\/?\s*/, '')}` });
    }
    // Lower layers' messages may name a Redis key (and so a customer id): the
    // message goes to debug only; warn/error lines carry the error's name and code.
    const summary = { route: request.routeOptions.url, error: err.name, code: (err as { code?: unknown }).code };
    if (err instanceof StateError && err.retriable) {
      request.log.warn(summary, 'state store unavailable');
      request.log.debug({ err }, 'state store error');
      return reply.code(503).send({ error: 'state store unavailable' });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status < 500) return reply.code(status).send({ error: err.message });
    request.log.error(summary, 'request failed');
    request.log.debug({ err }, 'request failure');
    return reply.code(500).send({ error: 'internal error' });
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' }));

  const open = { security: [] as never[] };
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  app.get('/healthz', { schema: { summary: 'Liveness: 200 while the process runs', ...open, response: { 200: jsonSchemaOf(healthSchema) } } }, () => ({ status: 'ok' as const }));

  const readiness = jsonSchemaOf(readinessSchema);
  app.get('/readyz', { schema: { summary: 'Readiness: 200 when Redis answers, the model is loaded and (for run) the consumer group is joined; else 503 with the reasons', ...open, response: { 200: readiness, 503: readiness } } }, async (request, reply) => {
    const report = await probe(options.readiness, options.readinessTimeoutMs ?? 2_000).catch(
      (err: unknown): Readiness => {
        request.log.warn({ err }, 'readiness probe failed');
        return { ready: false, reasons: [`readiness check failed: ${(err as Error).message}`] };
      },
    );
    return reply.code(report.ready ? 200 : 503).send(report);
  });

  app.get('/metrics', { schema: { summary: 'Prometheus metrics (text format)', response: { 200: { type: 'string' }, ...errors } } }, async (_request, reply) => {
    const text = await options.registry.metrics();
    return reply.header('Content-Type', options.registry.contentType).send(text);
  });

  app.get(
    '/customers/:id',
    {
      schema: {
        summary: "One customer's current view: RFM, segments, churn, P(alive), CLV; 404 when unknown",
        params: jsonSchemaOf(customerParamsSchema, 'input'), response: { 200: jsonSchemaOf(customerViewSchema), ...errors } } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const partitionCount = typeof options.partitionCount === 'function' ? options.partitionCount() : options.partitionCount;
      if (partitionCount === null) return reply.code(503).send({ error: 'partition count not known yet' });
      const found = await lookupCustomer(
        { store: options.store, partitionCount, model: options.model(), parameters: options.parameters },
        id,
      );
      if (found === null) return reply.code(404).send({ error: 'unknown customer' });
      return found.view;
    },
  );

  app.get(
    '/customers/:id/details',
    {
      schema: {
        summary: 'What the view leaves out: the purchase days, orders and returns the state keeps, and expected purchases over 30, 90 and 365 days',
        params: jsonSchemaOf(customerParamsSchema, 'input'),
        response: { 200: jsonSchemaOf(customerDetailsSchema), ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const partitionCount = typeof options.partitionCount === 'function' ? options.partitionCount() : options.partitionCount;
      if (partitionCount === null) return reply.code(503).send({ error: 'partition count not known yet' });
      const model = options.model();
      const found = await lookupCustomer({ store: options.store, partitionCount, model, parameters: options.parameters }, id);
      if (found === null) return reply.code(404).send({ error: 'unknown customer' });
      return customerDetails(found, model, options.parameters);
    },
  );

  app.get('/segments', { schema: { summary: 'Customers per segment value of every dimension, and per churn level', response: { 200: jsonSchemaOf(segmentCountsSchema), ...errors } } }, () => segments.counts());

  app.get(
    '/status',
    { schema: { summary: "The processor's background work: the re-score after a model change, per partition held", response: { 200: jsonSchemaOf(serviceStatusSchema), ...errors, 501: error } } },
    (_request, reply) => {
      if (options.status === undefined) return reply.code(501).send({ error: 'status is only available from clvstream run' });
      return options.status();
    },
  );

  app.get(
    '/lost-customers',
    {
      schema: {
        summary: 'Who left (cancelled, or at the churn level min_level and above): when, churn level or cancellation reason, competitor, historic CLV and the value lost; sortable; JSON or CSV',
        querystring: jsonSchemaOf(lostCustomersQuerySchema, 'input'),
        response: {
          200: { content: { 'application/json': { schema: jsonSchemaOf(lostCustomersSchema) }, 'text/csv': { schema: { type: 'string' } } } },
          ...errors,
          501: error,
        },
      },
    },
    async (request, reply) => {
      if (options.lostCustomers === undefined) return reply.code(501).send({ error: 'the lost-customer list is not available in this process' });
      const { format, ...query } = request.query as { format?: 'json' | 'csv' } & Parameters<LostCustomersProvider>[0];
      const list = await options.lostCustomers(query);
      if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(lostListCsvFromJson(list.customers));
      return reply.type('application/json; charset=utf-8').send(list);
    },
  );

  app.get(
    '/reports/:name',
    {
      schema: {
        summary: 'A population report by name (population: segments with NPS and CLV, retention per period, lost customers)',
        params: jsonSchemaOf(reportParamsSchema, 'input'),
        querystring: jsonSchemaOf(reportQuerySchema, 'input'),
        response: { 200: jsonSchemaOf(reportSchema), ...errors, 501: error },
      },
    },
    async (request, reply) => {
      if (options.reports === undefined) return reply.code(501).send({ error: 'reports are not available in this process' });
      const { name } = request.params as { name: string };
      const report = await options.reports(name, request.query as Record<string, string>);
      if (report === null) return reply.code(404).send({ error: 'unknown report' });
      return report;
    },
  );

  app.get('/model', { schema: { summary: 'The model in use: version, fit time, parameters, fit diagnostics and the expected-purchases curve', response: { 200: jsonSchemaOf(modelInfoSchema), ...errors } } }, async () => {
    const model = options.model();
    const published = options.publishedModel === undefined ? null : await options.publishedModel();
    return modelInfo(model, published, options.parameters.baseCurrency);
  });

  const consoleDir = options.consoleDir === undefined ? consoleDirectory() : options.consoleDir;
  if (consoleDir !== null) {
    await app.register(fastifyStatic, { root: consoleDir, prefix: '/console/', index: 'index.html', wildcard: true });
    app.get('/console', { schema: { hide: true } }, (_request, reply) => reply.redirect('/console/'));
    app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect('/console/'));
  }

  await app.ready();
  return app;
}

/** The probe's report, or not-ready when it takes longer than `timeoutMs`. */
async function probe(readiness: ReadinessProbe, timeoutMs: number): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Readiness>((resolve) => {
    timer = setTimeout(() => resolve({ ready: false, reasons: [`readiness check timed out after ${timeoutMs} ms`] }), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([Promise.resolve(readiness()).then(readinessOf), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Listens on `host:port` (port 0 picks a free one) and returns the address,
 * e.g. `http://127.0.0.1:8080`. Close with `server.close()`.
 */
export async function listen(server: FastifyInstance, port: number, host = '0.0.0.0'): Promise<string> {
  return server.listen({ port, host });
}
