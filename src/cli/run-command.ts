import { Command } from 'commander';
import { startService } from '../app/run-service.js';
import { loggerFromSettings } from '../ops/logger.js';
import { settingsFromEnv } from './settings-from-env.js';

/** `clvstream run`: the streaming service, until SIGTERM/SIGINT (exit 0) or a fatal error (exit 1). */
export function runCommand(version: string): Command {
  return new Command('run')
    .description(
      'Run the stream processor: consume the inbound topics, keep customer state in Redis exactly once, emit segment-changed and churn-risk events. Stops gracefully on SIGTERM/SIGINT.',
    )
    .action(async () => {
      // Handlers first: a SIGTERM during start-up still ends in a graceful stop.
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      try {
        const settings = settingsFromEnv();
        const logger = loggerFromSettings(settings);
        const service = await startService({ settings, logger, version, stopSignal: stop.signal });
        await service.done;
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
    });
}
