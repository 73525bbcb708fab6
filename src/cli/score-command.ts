import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parseParams } from '../app/fit-result.js';
import { domainParametersFrom } from '../config/runtime-parameters.js';
import { writePredictions } from '../app/score.js';
import { numberOption, summaryArgument } from './analytics-options.js';
import { settingsFromEnv } from './settings-from-env.js';
import { UsageError } from './usage-error.js';

export function scoreCommand(): Command {
  return new Command('score')
    .description(
      'Score a customer summary file with fitted parameters: CSV (id,x,t_x,T,p_alive,expected_purchases, the customer view\'s expected purchases in 30/90/365 days, median days to the next purchase, mean days between purchases[,expected_spend,clv_predicted_year,clv_predicted]) to stdout; T, t_x and --horizon in the units of the file, named day counts in days (--unit-days).',
    )
    .requiredOption('--params <json>', 'the JSON printed by `clvstream fit --summary` (same time and money units as the file)')
    .requiredOption('--summary <csv>', 'summary file: header frequency,recency,T[,monetary_value] or x,t_x,T[,zbar]; "-" reads stdin')
    .requiredOption('--horizon <t>', 'expected purchases over the next t time units (the units of the file)')
    .option('--unit-days <n>', 'days per time unit of the file and the parameters (7 for weekly summaries such as CDNOW)', '1')
    .option('--margin <rate>', 'share of the spend kept as margin for the CLV columns (default: the MARGIN_RATE setting)')
    .action(async (flags: { params: string; summary: string; horizon: string; unitDays: string; margin?: string }) => {
      const horizon = numberOption('--horizon', flags.horizon, { min: 0 });
      const unitDays = numberOption('--unit-days', flags.unitDays, { min: 0, exclusiveMin: true });
      const parameters = domainParametersFrom(settingsFromEnv());
      const marginRate = flags.margin === undefined ? parameters.marginRate : numberOption('--margin', flags.margin, { min: 0 });
      if (marginRate > 1) throw new UsageError(`--margin ${JSON.stringify(flags.margin)} must be a share ≤ 1`);
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
      await writePredictions(file, params, horizon, process.stdout, {
        unitDays,
        marginRate,
        horizonDays: parameters.clvHorizonDays,
        periodDays: parameters.clvPeriodDays,
        annualDiscountRate: parameters.annualDiscountRate,
      });
    });
}
