import { Command, Option } from 'commander';
import { loggerFromSettings } from '../ops/logger.js';
import { settingsFromEnv } from './settings-from-env.js';
import { NOT_FOR_SERVE, settingsHelp } from './settings-help.js';
import { UsageError } from './usage-error.js';

/**
 * `clvstream serve`: the web console and the HTTP API over the customer state in
 * Redis, read-only, without Kafka. Runs until SIGTERM/SIGINT (exit 0).
 */
export function serveCommand(version: string): Command {
  return new Command('serve')
    .description(
      'Serve the web console (/console/), the HTTP API (/customers/:id, /segments, /reports/population, /model; /openapi.json, /docs/) and /metrics over the customer state in Redis: read-only, needs only Redis (e.g. one back-filled with `replay --state`). Stops on SIGTERM/SIGINT.',
    )
    .addHelpText('after', settingsHelp((name) => !NOT_FOR_SERVE.test(name)))
    .addOption(new Option('-p, --partitions <n>', 'partitions of the inbound topics the state was built with (decides where a customer lives)').makeOptionMandatory())
    .action(async (opts: { partitions: string }) => {
      const partitionCount = Number(opts.partitions);
      if (!/^\d{1,6}$/.test(opts.partitions) || partitionCount < 1) throw new UsageError(`--partitions ${JSON.stringify(opts.partitions)} is not a positive integer`);
      const settings = settingsFromEnv();
      const logger = loggerFromSettings(settings);
      // Loaded on use: the other commands start faster without the HTTP server's modules.
      const { serveState } = await import('../app/serve-state.js');
      const serving = await serveState({ settings, logger, version, partitionCount });
      process.stderr.write(`clvstream: serving ${serving.address}/console/ (API document: ${serving.address}/docs/)\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      logger.info('stopping');
      await serving.close();
    });
}
