import { Command, Option } from 'commander';
import { exportViews, type ExportFormat } from '../app/export-views.js';
import { LineOutput } from '../app/line-output.js';
import { domainParametersFrom } from '../config/runtime-parameters.js';
import { UNFITTED_MODEL } from '../domain/model-snapshot.js';
import { openState } from '../state/connect.js';
import { StateError } from '../state/errors.js';
import { ModelStore } from '../state/model-store.js';
import { RuntimeFailure } from './runtime-failure.js';
import { settingsFromEnv } from './settings-from-env.js';
import { ttyProgress } from './tty-progress.js';
import { UsageError } from './usage-error.js';

/** `clvstream export`: every customer's view from Redis, as JSON lines or CSV. */
export function exportCommand(): Command {
  return new Command('export')
    .description(
      "Write every customer's view from the Redis state (what GET /customers/:id answers, evaluated at its partition's watermark with the current model) as JSON lines or CSV, for a warehouse hand-off. Reads partition by partition (those with a meta hash, ascending), each with SCAN on its own keys (COUNT 1000) and one MGET per page: no command blocks, so a running processor is not held up.",
    )
    .addOption(new Option('-f, --format <format>', 'jsonl: one view per line; csv: a header, then one row per customer (lists joined with ";")').choices(['jsonl', 'csv']).default('jsonl'))
    .option('-o, --out <file>', 'write here instead of stdout')
    .option('--redis <url>', 'read this Redis (redis:// or rediss://, standalone) instead of REDIS_URL / REDIS_CLUSTER_NODES')
    .action(async (opts: { format: ExportFormat; out?: string; redis?: string }) => {
      if (opts.redis !== undefined && !/^rediss?:\/\/\S+$/.test(opts.redis)) throw new UsageError(`--redis ${JSON.stringify(opts.redis)} is not a redis:// or rediss:// URL`);
      const settings = settingsFromEnv();
      const connection = await openState(opts.redis === undefined ? settings : { ...settings, REDIS_URL: opts.redis, REDIS_CLUSTER_NODES: undefined }, {
        redisOptions: { maxRetriesPerRequest: 2, connectTimeout: 5_000 },
      });
      // A connection lost midway fails the command that waits on it (one line
      // below); without a listener ioredis would also print every reconnect attempt.
      connection.redis.on('error', () => undefined);
      const output = opts.out === undefined ? LineOutput.toStream(process.stdout) : LineOutput.toFile(opts.out);
      const progress = ttyProgress('export', 'customers');
      try {
        const model = (await new ModelStore(connection.redis, connection.keys).current())?.snapshot ?? UNFITTED_MODEL;
        const result = await exportViews({
          store: connection.store,
          model,
          parameters: domainParametersFrom(settings),
          format: opts.format,
          write: (line) => output.writeRaw(line),
          flush: () => output.flush(),
          onProgress: progress.onProgress,
        });
        await output.close();
        progress.done();
        const partitions = result.partitions.length === 1 ? '1 partition' : `${result.partitions.length.toLocaleString('en-US')} partitions`;
        process.stderr.write(`clvstream: exported ${result.exported.toLocaleString('en-US')} customers from ${partitions} (model ${model.version})\n`);
      } catch (err) {
        progress.done();
        if (err instanceof StateError) throw new RuntimeFailure(err.message, { cause: err });
        throw err;
      } finally {
        await connection.close().catch(() => undefined);
      }
    });
}
