/**
 * The composition root of `clvstream run`: settings → Redis, Kafka, decoder and
 * the stream runner; an abort of `stopSignal` (the CLI's SIGTERM/SIGINT) → graceful
 * stop. `done` resolves when the service has stopped cleanly and rejects when it
 * failed (the CLI turns that into exit 1).
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import { domainConfigFrom, ingestRulesFrom } from '../config/runtime-parameters.js';
import type { Settings } from '../config/settings.js';
import { UNFITTED_MODEL } from '../domain/model-snapshot.js';
import type { ReduceContext } from '../domain/reducer.js';
import { MessageDecoder } from '../kafka/message-decoder.js';
import { StreamRunner, type RunnerObserver } from '../service/stream-runner.js';
import { connectState } from '../state/connect.js';

export interface RunServiceOptions {
  readonly settings: Settings;
  readonly logger: Logger;
  readonly version: string;
  readonly observer?: RunnerObserver;
  /** Aborting it stops the service gracefully (the CLI aborts on SIGTERM/SIGINT, even during start-up). */
  readonly stopSignal?: AbortSignal;
}

export interface RunningService {
  readonly runner: StreamRunner;
  /** Stops gracefully (idempotent). */
  stop(): Promise<void>;
  /** Settles when the service has stopped: resolves after a graceful stop, rejects on failure. */
  readonly done: Promise<void>;
}

export async function startService(options: RunServiceOptions): Promise<RunningService> {
  const { settings, logger } = options;
  const state = connectState(settings);
  const kafka = new Kafka({
    clientId: settings.KAFKA_CLIENT_ID,
    brokers: settings.KAFKA_BROKERS,
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log }) => {
      const { message, ...rest } = log;
      if (level <= logLevel.ERROR) logger.error({ kafkajs: rest }, message);
      else logger.debug({ kafkajs: rest }, message);
    },
  });
  const registry = settings.SCHEMA_REGISTRY_URL ? new SchemaRegistry({ host: settings.SCHEMA_REGISTRY_URL }) : null;
  const context: ReduceContext = { model: UNFITTED_MODEL, config: domainConfigFrom(settings) };
  const runner = new StreamRunner({
    settings,
    kafka,
    store: state.store,
    decoder: new MessageDecoder(ingestRulesFrom(settings), registry),
    context: () => context,
    version: options.version,
    logger,
    observer: options.observer,
  });

  let stopping: Promise<void> = Promise.resolve();
  let stopAsked = false;
  let stopRequested!: () => void;
  const stopCalled = new Promise<void>((resolve) => (stopRequested = resolve));
  const stop = (): Promise<void> => {
    if (!stopAsked) {
      stopAsked = true;
      stopping = runner.stop();
      stopRequested();
    }
    return stopping;
  };
  try {
    await runner.start();
  } catch (error) {
    await state.close().catch(() => undefined);
    throw error;
  }

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
      await state.close().catch(() => undefined);
    }
  })();
  done.catch(() => undefined); // the caller observes it
  return { runner, stop, done };
}
