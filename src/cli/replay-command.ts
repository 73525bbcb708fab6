import { Command, Option } from 'commander';
import { createReadStream } from 'node:fs';
import { timestamp } from '../contracts/primitives.js';
import { LineOutput } from '../app/line-output.js';
import { backfill } from '../app/redis-backfill.js';
import { replay } from '../app/replay.js';
import { loadSettings } from '../config/index.js';
import { openState } from '../state/connect.js';
import { basename } from 'node:path';
import { domainParametersFrom, ingestRulesFrom } from '../config/runtime-parameters.js';
import { UNFITTED_MODEL } from '../domain/model-snapshot.js';
import { modelArgument } from './analytics-options.js';
import { settingsFromEnv } from './settings-from-env.js';
import { UsageError } from './usage-error.js';

export function replayCommand(): Command {
  return new Command('replay')
    .description(
      'Run JSON-lines events through the processing pipeline with an in-memory state (no servers): emitted events to stdout (or --out), invalid lines to the dead-letter output, a summary to stderr.',
    )
    .argument('[file]', 'events as JSON lines; "-" or absent reads stdin')
    .option('-o, --out <file>', 'write emitted segment-changed / churn-risk events here instead of stdout')
    .option('-c, --customers <file>', "write each customer's final state as JSON lines")
    .option('-d, --dead-letter <file>', 'write rejected lines (with reason) here instead of stderr')
    .addOption(new Option('--as-of <time>', 'ISO-8601 time: skip later events and evaluate time-dependent measures at it'))
    .addOption(
      new Option(
        '--state <redis-url>',
        "back-fill the service's Redis state instead (redis:// or rediss://; REDIS_CLUSTER_NODES selects a cluster, and the URL then names one of its nodes): same result as consuming the file from Kafka; emissions wait in the outbox for `clvstream run`",
      ),
    )
    .option('--model <file>', 'score with this fitted model (the JSON of `fit --events` or `fit --state`), as the service would with that version; default: unfitted')
    .addOption(new Option('--partitions <n>', 'with --state: partitions of the inbound topics (decides which partition owns a customer)').argParser(positiveInteger))
    .action(async (file: string | undefined, opts: { out?: string; customers?: string; deadLetter?: string; asOf?: string; state?: string; partitions?: number; model?: string }) => {
      if (opts.state !== undefined) {
        await backfillCommand(file, opts.state, opts);
        return;
      }
      const settings = settingsFromEnv();
      const model = opts.model === undefined ? UNFITTED_MODEL : modelArgument('--model', opts.model, settings.BASE_CURRENCY);
      const summary = await replay({
        input: file === undefined || file === '-' ? process.stdin : createReadStream(file),
        emissions: opts.out ? LineOutput.toFile(opts.out) : LineOutput.toStream(process.stdout),
        deadLetters: opts.deadLetter ? LineOutput.toFile(opts.deadLetter) : LineOutput.toStream(process.stderr),
        customers: opts.customers ? LineOutput.toFile(opts.customers) : null,
        asOf: opts.asOf === undefined ? null : normaliseAsOf(opts.asOf),
        ctx: { model, parameters: domainParametersFrom(settings) },
        rules: ingestRulesFrom(settings),
        nowMs: Date.now(),
        onProgress: process.stderr.isTTY ? (n) => process.stderr.write(`\rreplay: ${n} lines`) : undefined,
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      process.stderr.write(JSON.stringify({ replay: summary }, null, 2) + '\n');
    });
}

async function backfillCommand(file: string | undefined, url: string, opts: { deadLetter?: string; partitions?: number; out?: string; customers?: string; asOf?: string; model?: string }): Promise<void> {
  if (opts.model !== undefined) throw new UsageError('--model applies to the in-memory replay; with --state the processors use the model published in Redis');
  if (opts.partitions === undefined) throw new UsageError('--state needs --partitions <n>: the partition count of the inbound topics');
  if (opts.out !== undefined || opts.customers !== undefined || opts.asOf !== undefined) {
    throw new UsageError('--state writes to Redis; --out, --customers and --as-of apply to the in-memory replay only');
  }
  const settings = loadSettings({ env: { ...process.env, REDIS_URL: url } });
  const state = await openState(settings);
  try {
    const summary = await backfill({
      input: file === undefined || file === '-' ? process.stdin : createReadStream(file),
      sourceName: file === undefined || file === '-' ? 'stdin' : basename(file),
      store: state.store,
      partitionCount: opts.partitions,
      topics: settings,
      ctx: { model: UNFITTED_MODEL, parameters: domainParametersFrom(settings) },
      rules: ingestRulesFrom(settings),
      deadLetters: opts.deadLetter ? LineOutput.toFile(opts.deadLetter) : LineOutput.toStream(process.stderr),
      nowMs: Date.now(),
      version: 'backfill',
    });
    process.stderr.write(JSON.stringify({ backfill: summary }, null, 2) + '\n');
  } finally {
    await state.close();
  }
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d{1,6}$/.test(value) || n < 1) throw new UsageError(`--partitions ${JSON.stringify(value)} is not a positive integer`);
  return n;
}

/** A bare date means the end of that day (UTC); a time must carry its offset. */
function normaliseAsOf(asOf: string): string {
  const value = /^\d{4}-\d{2}-\d{2}$/.test(asOf) ? `${asOf}T23:59:59.999Z` : asOf;
  if (!timestamp.safeParse(value).success) {
    throw new UsageError(`--as-of ${JSON.stringify(asOf)} is not a date (1997-09-30) or an ISO-8601 time with offset`);
  }
  return value;
}
