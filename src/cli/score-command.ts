import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parseParams } from '../app/fit-result.js';
import { writeScores } from '../app/score.js';
import { numberOption, summaryArgument } from './analytics-options.js';
import { UsageError } from './usage-error.js';

export function scoreCommand(): Command {
  return new Command('score')
    .description(
      'Score a customer summary file with fitted parameters: CSV (id,x,t_x,T,p_alive,expected_purchases[,expected_spend]) to stdout, times in the units of the file.',
    )
    .requiredOption('--params <json>', 'the JSON printed by `clvstream fit --summary` (same time and money units as the file)')
    .requiredOption('--summary <csv>', 'summary file: header frequency,recency,T[,monetary_value] or x,t_x,T[,zbar]; "-" reads stdin')
    .requiredOption('--horizon <t>', 'expected purchases over the next t time units (the units of the file)')
    .action(async (flags: { params: string; summary: string; horizon: string }) => {
      const horizon = numberOption('--horizon', flags.horizon, { min: 0 });
      let paramsText: string;
      try {
        paramsText = readFileSync(flags.params, 'utf8');
      } catch (err) {
        throw new UsageError(`--params ${flags.params}: ${(err as Error).message}`);
      }
      let params;
      try {
        params = parseParams(paramsText, flags.params);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const file = await summaryArgument('--summary', flags.summary);
      // `score … | head`: a reader that stops early is not a failure.
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') throw err;
        process.exit(0);
      });
      await writeScores(file, params, horizon, process.stdout);
    });
}
