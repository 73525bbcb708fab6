#!/usr/bin/env node
/**
 * The `clvstream` command line. Exit codes: 0 success; 1 runtime failure;
 * 2 invalid configuration or command line (the message says which setting or flag).
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/index.js';
import { importCommand } from './import-command.js';
import { replayCommand } from './replay-command.js';
import { UsageError } from './usage-error.js';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('clvstream')
  .description('Live customer-value intelligence from customer events: RFM, CLV, segments and churn risk.')
  .version(version)
  .exitOverride()
  .addCommand(replayCommand())
  .addCommand(importCommand());

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
  if (error instanceof ConfigError || error instanceof UsageError) {
    process.stderr.write(`clvstream: ${error.message}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`clvstream: ${(error as Error).stack ?? String(error)}\n`);
  return EXIT.failure;
}
