import { Command } from 'commander';
import { loggerFromSettings } from '../ops/logger.js';
import { kafkaUnreachableMessage } from './kafka-unreachable.js';
import { RuntimeFailure } from './runtime-failure.js';
import { settingsFromEnv } from './settings-from-env.js';
import { settingsHelp } from './settings-help.js';

/** The stop bound when a signal arrives before the settings are read (RUN_SHUTDOWN_TIMEOUT_SECONDS's default). */
const SHUTDOWN_SECONDS_BEFORE_SETTINGS = 30;
/** Time after the bound, or after the service settled, for the last logs and the error to be written. */
const EXIT_GRACE_SECONDS = 2;

/** `clvstream run`: the streaming service, until SIGTERM/SIGINT (exit 0) or a fatal error (exit 1). */
export function runCommand(version: string): Command {
  return new Command('run')
    .description(
      'Run the stream processor: consume the inbound topics, keep customer state in Redis exactly once, emit segment-changed and churn-risk events. Stops gracefully on SIGTERM/SIGINT.',
    )
    .addHelpText('after', settingsHelp())
    .action(async () => {
      // Handlers first: a SIGTERM during start-up still ends in a graceful stop.
      const stop = new AbortController();
      let boundSeconds = SHUTDOWN_SECONDS_BEFORE_SETTINGS;
      const onSignal = (): void => {
        stop.abort();
        // The runner bounds its own stop, but sockets with requests in flight (kafkajs
        // waits out its request timeout on a broker that stopped answering) keep the
        // process alive after it: the bound must hold for the process as well.
        setTimeout(() => {
          process.stderr.write(`clvstream: graceful stop took longer than ${boundSeconds} s (RUN_SHUTDOWN_TIMEOUT_SECONDS); exiting\n`);
          process.exit(1);
        }, (boundSeconds + EXIT_GRACE_SECONDS) * 1000).unref();
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      try {
        const settings = settingsFromEnv();
        boundSeconds = settings.RUN_SHUTDOWN_TIMEOUT_SECONDS;
        const logger = loggerFromSettings(settings);
        try {
          // Loaded on use: the other commands start faster without the service's modules.
          const { startService } = await import('../app/run-service.js');
          const service = await startService({ settings, logger, version, stopSignal: stop.signal });
          await service.done;
        } catch (error) {
          const unreachable = kafkaUnreachableMessage(error, settings.KAFKA_BROKERS);
          if (unreachable === null) throw error;
          logger.debug({ err: error }, 'kafka unreachable');
          throw new RuntimeFailure(unreachable, { cause: error });
        }
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        // The service has settled (stopped or failed): what still holds the event loop
        // is not ours to wait for. Unref'd, so it never delays a clean exit; the exit
        // code is the one main sets from the outcome.
        setTimeout(() => process.exit(), EXIT_GRACE_SECONDS * 1000).unref();
      }
    });
}
