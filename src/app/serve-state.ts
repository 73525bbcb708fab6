/**
 * The composition root of `clvstream serve`: the HTTP server (API, console,
 * OpenAPI document, metrics) over the customer state in Redis, read-only and
 * without Kafka — for analysts who do not run the processor, e.g. on a Redis
 * back-filled with `replay --state`. The model version is polled from Redis like
 * `run` does; the partition count is given (there is no broker to ask).
 */
import type { Logger } from 'pino';
import { domainParametersFrom } from '../config/runtime-parameters.js';
import type { Settings } from '../config/settings.js';
import { UNFITTED_MODEL, type ModelSnapshot } from '../domain/model-snapshot.js';
import { createHttpServer, listen } from './http/http-server.js';
import { settingsForLog } from '../ops/logger.js';
import { RuntimeMetrics } from '../ops/metrics.js';
import { createReadinessProbe, readinessOf } from './http/readiness.js';
import { instrumentRedis } from '../state/redis-timing.js';
import { stateLostCustomersProvider } from './http/lost-customer-provider.js';
import { stateReportProvider } from './http/report-provider.js';
import { openState } from '../state/connect.js';
import { ModelStore } from '../state/model-store.js';

export interface ServeStateOptions {
  readonly settings: Settings;
  readonly logger: Logger;
  readonly version: string;
  /** Partitions of the inbound topics the state was built with (decides where a customer lives). */
  readonly partitionCount: number;
}

export interface ServingState {
  /** `http://host:port`. */
  readonly address: string;
  /** Closes the server and the Redis connection (idempotent). */
  close(): Promise<void>;
}

export async function serveState(options: ServeStateOptions): Promise<ServingState> {
  const { settings, logger } = options;
  logger.info({ settings: settingsForLog(settings), version: options.version, partitions: options.partitionCount }, 'serving');
  const state = await openState(settings, { errorLog: { logger, connection: 'state' } });
  const metrics = new RuntimeMetrics();
  const uninstrument = instrumentRedis(state.redis, metrics);
  const parameters = domainParametersFrom(settings);
  const models = new ModelStore(state.redis, state.keys);
  let model: ModelSnapshot = UNFITTED_MODEL;
  let modelChecked = false;

  const refreshModel = async (): Promise<void> => {
    try {
      const current = await models.current();
      if (current !== null && current.snapshot.version !== model.version) {
        model = current.snapshot;
        metrics.modelLoaded(model.version, current.fittedAt);
        logger.info({ model: model.version, fittedAt: current.fittedAt }, 'model version loaded');
      } else if (current === null) {
        metrics.modelLoaded(UNFITTED_MODEL.version);
      }
      modelChecked = true;
    } catch (error) {
      logger.warn({ err: error }, 'model version lookup failed; keeping the current model');
    }
  };
  await refreshModel();
  const poll = setInterval(() => void refreshModel(), settings.MODEL_POLL_SECONDS * 1000);
  poll.unref();

  let closed: Promise<void> | null = null;
  const release = async (): Promise<void> => {
    clearInterval(poll);
    await http.close().catch(() => undefined);
    uninstrument();
    await state.close().catch(() => undefined);
  };
  const readiness = createReadinessProbe({ kafkaGroupJoined: () => true, modelLoaded: () => modelChecked, redis: state.redis });
  metrics.setReadinessCheck(async () => readinessOf(await readiness()).ready);
  const http = await createHttpServer({
    logger,
    registry: metrics.registry,
    readiness,
    store: state.store,
    partitionCount: options.partitionCount,
    model: () => model,
    parameters: parameters,
    reports: stateReportProvider({ store: state.store, partitionCount: options.partitionCount, model: () => model, parameters: parameters, clvRetention: settings.CLV_RETENTION_SOURCE }),
    lostCustomers: stateLostCustomersProvider({ store: state.store, partitionCount: options.partitionCount, model: () => model, parameters: parameters }),
    publishedModel: () => models.current(),
    bearerToken: settings.HTTP_BEARER_TOKEN,
    version: options.version,
  });
  let address: string;
  try {
    address = await listen(http, settings.HTTP_PORT, settings.HTTP_HOST);
  } catch (error) {
    await release();
    throw error;
  }
  logger.info({ address }, 'http listening');
  return { address, close: () => (closed ??= release()) };
}
