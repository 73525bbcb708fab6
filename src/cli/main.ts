#!/usr/bin/env node
/**
 * The `clvstream` command line. Exit codes: 0 success (for `run`: stopped by
 * SIGTERM/SIGINT); 1 runtime failure; 2 invalid configuration, command line or
 * topic layout (the message says which setting, flag or topic).
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/index.js';
import { FatalRunnerError } from '../service/stream-runner.js';
import { TopologyError } from '../service/topology.js';
import { backtestCommand } from './backtest-command.js';
import { fitCommand } from './fit-command.js';
import { generateCommand } from './generate-command.js';
import { importCommand } from './import-command.js';
import { inspectCommand } from './inspect-command.js';
import { replayCommand } from './replay-command.js';
import { reportCommand } from './report-command.js';
import { runCommand } from './run-command.js';
import { scoreCommand } from './score-command.js';
import { stateCommand } from './state-command.js';
import { UsageError } from './usage-error.js';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('clvstream')
  .description('Live customer-value intelligence from customer events: RFM, CLV, segments and churn risk.')
  .version(version)
  .exitOverride()
  .addCommand(runCommand(version))
  .addCommand(replayCommand())
  .addCommand(importCommand())
  .addCommand(inspectCommand())
  .addCommand(generateCommand())
  .addCommand(fitCommand())
  .addCommand(scoreCommand())
  .addCommand(backtestCommand())
  .addCommand(reportCommand())
  .addCommand(stateCommand());

// Subcommands do not inherit exitOverride: without it a bad option value of a
// subcommand would exit 1 through commander instead of 2 through exitCodeFor.
for (const command of program.commands) command.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeFor(error);
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or help/version, which exit 0).
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof ConfigError || error instanceof UsageError || error instanceof TopologyError) {
    process.stderr.write(`clvstream: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof FatalRunnerError) {
    process.stderr.write(`clvstream: ${error.message}\n`);
    return EXIT.failure;
  }
  process.stderr.write(`clvstream: ${(error as Error).stack ?? String(error)}\n`);
  return EXIT.failure;
}
