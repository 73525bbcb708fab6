/**
 * The composition root of `clvstream run`: settings → Redis, Kafka, decoder,
 * the stream runner, metrics and the HTTP server; the current model version is
 * polled from Redis and swapped in without a restart. An abort of `stopSignal`
 * (the CLI's SIGTERM/SIGINT) stops gracefully; `done` resolves when the service
 * has stopped cleanly and rejects when it failed (the CLI turns that into exit 1).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { domainParametersFrom, ingestRulesFrom } from '../config/runtime-parameters.js';
import type { Settings } from '../config/settings.js';
import { UNFITTED_MODEL } from '../domain/model-snapshot.js';
import type { ReduceContext } from '../domain/reducer.js';
import { createKafka, createSchemaRegistry } from '../kafka/client.js';
import { MessageDecoder } from '../ingest/message-decoder.js';
import { createHttpServer, listen } from './http/http-server.js';
import { settingsForLog } from '../ops/logger.js';
import { RuntimeMetrics } from '../ops/metrics.js';
import { createReadinessProbe, readinessOf } from './http/readiness.js';
import { instrumentRedis } from '../state/redis-timing.js';
import { LagSampler, sampleLagEvery } from '../service/lag-sampler.js';
import { stateLostCustomersProvider } from './http/lost-customer-provider.js';
import { stateReportProvider } from './http/report-provider.js';
import { runnerMetrics } from '../service/runner-metrics.js';
import { RELAY_BATCH_RECORDS } from '../service/outbox-relay.js';
import { StreamRunner } from '../service/stream-runner.js';
import { ThreadedRelay } from '../service/threaded-relay.js';
import { checkStateAccess, StateAccessError } from '../state/access-check.js';
import { connectState } from '../state/connect.js';
import { ModelStore } from '../state/model-store.js';

export interface RunServiceOptions {
  readonly settings: Settings;
  readonly logger: Logger;
  readonly version: string;
  /** Aborting it stops the service gracefully (the CLI aborts on SIGTERM/SIGINT, even during start-up). */
  readonly stopSignal?: AbortSignal;
}

export interface RunningService {
  readonly runner: StreamRunner;
  readonly metrics: RuntimeMetrics;
  /** The HTTP server's address (`http://host:port`). */
  readonly httpAddress: string;
  /** Stops gracefully (idempotent). */
  stop(): Promise<void>;
  /** Settles when the service has stopped: resolves after a graceful stop, rejects on failure. */
  readonly done: Promise<void>;
}

/** How often outbox depths are sampled for the metrics. */
const OUTBOX_SAMPLE_MS = 5_000;
/** How often consumer lag is refreshed from the broker's log-end offsets (lag-sampler.ts). */
const LAG_SAMPLE_MS = 10_000;

export async function startService(options: RunServiceOptions): Promise<RunningService> {
  const { settings, logger } = options;
  logger.info({ settings: settingsForLog(settings), version: options.version }, 'starting');
  const state = connectState(settings, { errorLog: { logger, connection: 'state' } });
  try {
    await checkStateAccess(state.redis, state.keys, { caFile: settings.REDIS_TLS_CA_FILE, certFile: settings.REDIS_TLS_CERT_FILE });
  } catch (err) {
    // Wrong credentials or a missing permission end the start; an unreachable
    // Redis does not (the service waits for it, as it does at any other time).
    if (err instanceof StateAccessError) {
      state.redis.disconnect();
      throw err;
    }
    logger.warn({ err }, 'redis access not checked: redis did not answer');
  }
  const metrics = new RuntimeMetrics();
  const uninstrument = instrumentRedis(state.redis, metrics);
  const parameters = domainParametersFrom(settings);
  const models = new ModelStore(state.redis, state.keys);
  let context: ReduceContext = { model: UNFITTED_MODEL, parameters: parameters };
  let modelChecked = false;

  /** Loads the current model version if it changed; keeps the old one when Redis cannot tell. */
  const refreshModel = async (): Promise<void> => {
    try {
      const version = await models.currentVersion();
      if (version !== null && version !== context.model.version) {
        const published = await models.current();
        if (published !== null) {
          context = { model: published.snapshot, parameters: parameters };
          metrics.modelLoaded(published.snapshot.version, published.fittedAt);
          logger.info({ model: published.snapshot.version, fittedAt: published.fittedAt }, 'model version loaded');
        }
      } else if (version === null) {
        metrics.modelLoaded(UNFITTED_MODEL.version);
      }
      modelChecked = true;
    } catch (error) {
      logger.warn({ err: error }, 'model version lookup failed; keeping the current model');
    }
  };
  await refreshModel();

  const observer = runnerMetrics(metrics);
  const runner = new StreamRunner({
    settings,
    kafka: createKafka(settings, { logger }),
    store: state.store,
    decoder: new MessageDecoder(ingestRulesFrom(settings), createSchemaRegistry(settings)),
    context: () => context,
    version: options.version,
    logger,
    observer,
    relay: settings.RUN_RELAY_THREAD ? new ThreadedRelay({ settings, batchSize: RELAY_BATCH_RECORDS }, observer, logger, metrics) : undefined,
  });

  let stopping: Promise<void> = Promise.resolve();
  let stopAsked = false;
  let http: FastifyInstance | null = null;
  const intervals: NodeJS.Timeout[] = [];
  let stopRequested!: () => void;
  const stopCalled = new Promise<void>((resolve) => (stopRequested = resolve));
  const stop = (): Promise<void> => {
    if (!stopAsked) {
      stopAsked = true;
      for (const timer of intervals) clearInterval(timer);
      stopping = runner.stop();
      stopRequested();
    }
    return stopping;
  };

  // Lag from the broker on a timer, so that a stalled partition's lag still grows.
  const lagAdmin = createKafka(settings, { logger }).admin();
  let stopLagSampling: (() => Promise<void>) | null = null;

  const release = async (): Promise<void> => {
    for (const timer of intervals) clearInterval(timer);
    await stopLagSampling?.();
    await lagAdmin.disconnect().catch(() => undefined);
    await http?.close().catch(() => undefined);
    uninstrument();
    await state.close().catch(() => undefined);
  };

  let httpAddress: string;
  try {
    const partitionCount = (): number | null => runner.status().partitionCount || null;
    const readiness = createReadinessProbe({
      kafkaGroupJoined: () => runner.status().joined,
      modelLoaded: () => modelChecked,
      redis: state.redis,
      reasons: () => {
        const s = runner.status();
        const reasons: string[] = [];
        if (s.state !== 'running') reasons.push(`runner ${s.state}`);
        if (s.unclaimed.length > 0) reasons.push(`partitions not yet claimed in Redis: ${s.unclaimed.join(', ')}`);
        return reasons;
      },
    });
    metrics.setReadinessCheck(async () => readinessOf(await readiness()).ready);
    http = await createHttpServer({
      logger,
      registry: metrics.registry,
      readiness,
      store: state.store,
      partitionCount,
      model: () => context.model,
      parameters: parameters,
      reports: stateReportProvider({ store: state.store, partitionCount, model: () => context.model, parameters: parameters, clvRetention: settings.CLV_RETENTION_SOURCE }),
      lostCustomers: stateLostCustomersProvider({ store: state.store, partitionCount, model: () => context.model, parameters: parameters }),
      publishedModel: () => models.current(),
      bearerToken: settings.HTTP_BEARER_TOKEN,
      version: options.version,
      status: () => ({ model_version: context.model.version, rescore: [...runner.status().rescore] }),
    });
    // Health answers while the consumer joins (liveness must not wait on Kafka).
    httpAddress = await listen(http, settings.HTTP_PORT, settings.HTTP_HOST);
    logger.info({ address: httpAddress }, 'http listening');
    await runner.start();
  } catch (error) {
    await release();
    throw error;
  }

  intervals.push(setInterval(() => void refreshModel(), settings.MODEL_POLL_SECONDS * 1000));
  const lagAdminConnected = lagAdmin.connect();
  lagAdminConnected.catch(() => undefined); // reported by the first sample that needs it
  const lagSampler = new LagSampler({
    offsets: {
      fetchTopicOffsets: async (topic) => {
        await lagAdminConnected;
        return lagAdmin.fetchTopicOffsets(topic);
      },
    },
    store: state.store,
    topics: () => runner.readTopics(),
    assigned: () => runner.status().assigned,
    report: (topic, partition, lag) => metrics.lag(topic, partition, lag),
  });
  stopLagSampling = sampleLagEvery(lagSampler, LAG_SAMPLE_MS, (error) => logger.warn({ err: error }, 'consumer lag sampling failed'));
  intervals.push(
    setInterval(() => {
      for (const p of runner.status().assigned) {
        state.store.outboxLength(p).then(
          (depth) => metrics.outboxDepth(p, depth),
          () => undefined,
        );
      }
    }, OUTBOX_SAMPLE_MS),
  );

  const onAbort = (): void => {
    logger.info('stopping');
    void stop().catch(() => undefined);
  };
  if (options.stopSignal?.aborted) onAbort();
  else options.stopSignal?.addEventListener('abort', onAbort, { once: true });

  const done = (async () => {
    try {
      await Promise.race([runner.failure, stopCalled]);
      await stopping;
    } finally {
      options.stopSignal?.removeEventListener('abort', onAbort);
      await release();
    }
  })();
  done.catch(() => undefined); // the caller observes it
  return { runner, metrics, httpAddress, stop, done };
}
