import { Command, Option } from 'commander';
import { createReadStream } from 'node:fs';
import { timestamp } from '../contracts/primitives.js';
import { LineOutput } from '../app/line-output.js';
import { replay } from '../app/replay.js';
import { domainConfigFrom, ingestRulesFrom } from '../config/runtime-parameters.js';
import { UNFITTED_MODEL } from '../domain/model-snapshot.js';
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
    .action(async (file: string | undefined, opts: { out?: string; customers?: string; deadLetter?: string; asOf?: string }) => {
      const settings = settingsFromEnv();
      const summary = await replay({
        input: file === undefined || file === '-' ? process.stdin : createReadStream(file),
        emissions: opts.out ? LineOutput.toFile(opts.out) : LineOutput.toStream(process.stdout),
        deadLetters: opts.deadLetter ? LineOutput.toFile(opts.deadLetter) : LineOutput.toStream(process.stderr),
        customers: opts.customers ? LineOutput.toFile(opts.customers) : null,
        asOf: opts.asOf === undefined ? null : normaliseAsOf(opts.asOf),
        ctx: { model: UNFITTED_MODEL, config: domainConfigFrom(settings) },
        rules: ingestRulesFrom(settings),
        nowMs: Date.now(),
        onProgress: process.stderr.isTTY ? (n) => process.stderr.write(`\rreplay: ${n} lines`) : undefined,
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      process.stderr.write(JSON.stringify({ replay: summary }, null, 2) + '\n');
    });
}

/** A bare date means the end of that day (UTC); a time must carry its offset. */
function normaliseAsOf(asOf: string): string {
  const value = /^\d{4}-\d{2}-\d{2}$/.test(asOf) ? `${asOf}T23:59:59.999Z` : asOf;
  if (!timestamp.safeParse(value).success) {
    throw new UsageError(`--as-of ${JSON.stringify(asOf)} is not a date (1997-09-30) or an ISO-8601 time with offset`);
  }
  return value;
}
