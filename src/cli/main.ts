#!/usr/bin/env node
/**
 * The `clvstream` command line. Exit codes: 0 success (for `run` and `serve`:
 * stopped by SIGTERM/SIGINT; also when the reader of our output closed it);
 * 1 runtime failure; 2 invalid configuration, command line, file argument or
 * topic layout (the message says which). Errors are one line with the
 * `clvstream:` prefix (cli-errors.ts).
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { backtestCommand } from './backtest-command.js';
import { configCommand } from './config-command.js';
import { exportCommand } from './export-command.js';
import { fitCommand } from './fit-command.js';
import { generateCommand } from './generate-command.js';
import { importCommand } from './import-command.js';
import { inspectCommand } from './inspect-command.js';
import { replayCommand } from './replay-command.js';
import { reportCommand } from './report-command.js';
import { runCommand } from './run-command.js';
import { scoreCommand } from './score-command.js';
import { serveCommand } from './serve-command.js';
import { topicsCommand } from './topics-command.js';
import { failureOf, isClosedPipe, PREFIX } from './cli-errors.js';
import { stateCommand } from './state-command.js';

export { EXIT } from './cli-errors.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('clvstream')
  .description('Live customer-value intelligence from customer events: RFM, CLV, segments and churn risk.')
  .version(version)
  .exitOverride()
  .addCommand(runCommand(version))
  .addCommand(serveCommand(version))
  .addCommand(replayCommand())
  .addCommand(importCommand())
  .addCommand(inspectCommand())
  .addCommand(generateCommand())
  .addCommand(fitCommand())
  .addCommand(scoreCommand())
  .addCommand(backtestCommand())
  .addCommand(reportCommand())
  .addCommand(topicsCommand())
  .addCommand(stateCommand())
  .addCommand(exportCommand())
  .addCommand(configCommand())
  .addHelpText(
    'after',
    `
Examples:
  # a first look, no servers: the CDNOW sample as events, then every customer's state
  clvstream import --preset cdnow data/cdnow/CDNOW_sample.txt --out cdnow.jsonl
  clvstream replay cdnow.jsonl --customers customers.jsonl --out emissions.jsonl

  # the service (settings from the environment; \`clvstream run --help\` lists them)
  KAFKA_BROKERS=kafka:9092 REDIS_URL=redis://redis:6379 clvstream run

  # the console and the API over a Redis back-filled from a file, without Kafka
  clvstream replay cdnow.jsonl --state redis://127.0.0.1:6379 --partitions 12
  clvstream fit --state redis://127.0.0.1:6379 --as-of 1998-06-30
  REDIS_URL=redis://127.0.0.1:6379 clvstream serve --partitions 12   # then open http://localhost:8080/console/

  # every customer's view as CSV for the warehouse
  REDIS_URL=redis://127.0.0.1:6379 clvstream export --format csv --out customers.csv

  # check the configuration, secrets masked
  clvstream config check`,
  );

// Subcommands do not inherit exitOverride or the output settings: without them a
// bad option value of a subcommand would exit 1 through commander instead of 2,
// and its message would carry commander's own `error:` prefix.
const output = { outputError: (text: string, write: (s: string) => void) => write(text.replace(/^error: /, PREFIX)) };
program.configureOutput(output);
const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
for (const command of all(program)) command.exitOverride().configureOutput(output);

// `clvstream … | head`: the reader closing the pipe ends the command quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (isClosedPipe(error)) process.exit(0);
    throw error;
  });
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const debug = /^(debug|trace)$/i.test(process.env['LOG_LEVEL'] ?? '');
  const failure = failureOf(error, { debug });
  if (failure.line !== null) process.stderr.write(`${PREFIX}${failure.line}\n`);
  if (failure.stack !== undefined) process.stderr.write(`${failure.stack}\n`);
  process.exitCode = failure.exitCode;
}
