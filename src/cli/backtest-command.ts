import { Command, Option } from 'commander';
import { writeFile } from 'node:fs/promises';
import { backtest, backtestCsv, backtestJson, backtestSvg, backtestTable } from '../app/backtest.js';
import { domainParametersFrom, ingestRulesFrom } from '../config/runtime-parameters.js';
import { DEFAULT_MIN_REPEAT_BUYERS, PURCHASE_MODEL_KINDS, type PurchaseModelKind } from '../domain/models/index.js';
import { dayOption, inputArgument, modelArgument, numberOption } from './analytics-options.js';
import { ttyProgress } from './tty-progress.js';
import { settingsFromEnv } from './settings-from-env.js';
import { UsageError } from './usage-error.js';

interface BacktestFlags {
  calibrationEnd: string;
  holdoutEnd?: string;
  chart?: string;
  format: 'table' | 'json' | 'csv';
  penalty?: string;
  minRepeatBuyers: string;
  model?: string;
  purchaseModel?: PurchaseModelKind;
}

export function backtestCommand(): Command {
  return new Command('backtest')
    .description(
      'Calibration/holdout check on an event file: fit the BG/NBD, the modified BG/NBD and the Pareto/NBD on the events up to --calibration-end, print the chosen model\'s predicted vs actual repeat purchases per calibration frequency (0 … 7+) and in total, then every model side by side with its error measures (MAE and RMSE per customer, error of the total).',
    )
    .argument('<events>', 'events as JSON lines (the format `import` writes); "-" reads stdin')
    .requiredOption('--calibration-end <date>', 'last day of the calibration period (inclusive), e.g. 1997-09-30')
    .option('--holdout-end <date>', 'last day of the holdout period (inclusive; default: the latest event day)')
    .option('--chart <file.svg>', 'also write an SVG chart of cumulative repeat purchases per week of the holdout, actual vs each model')
    .addOption(new Option('--format <format>', 'output: table (text), json, or csv (the per-frequency comparison, one predicted column per model)').choices(['table', 'json', 'csv']).default('table'))
    .option('--penalty <l2>', 'L2 penalty λ on the log-parameters (default 0)')
    .option('--min-repeat-buyers <n>', 'fit only with at least this many repeat buyers', String(DEFAULT_MIN_REPEAT_BUYERS))
    .addOption(new Option('--purchase-model <model>', 'the purchase model whose predictions make the first table (all are fitted and compared); default FIT_PURCHASE_MODEL').choices([...PURCHASE_MODEL_KINDS]))
    .option('--model <file>', 'process the calibration with this fitted model (the JSON of `fit --events` or `fit --state`) and tabulate its predictions')
    .action(async (file: string, flags: BacktestFlags) => {
      const settings = settingsFromEnv();
      const calibrationEndDay = dayOption('--calibration-end', flags.calibrationEnd);
      const holdoutEndDay = flags.holdoutEnd === undefined ? null : dayOption('--holdout-end', flags.holdoutEnd);
      if (holdoutEndDay !== null && holdoutEndDay <= calibrationEndDay) throw new UsageError('--holdout-end must be after --calibration-end');
      const progress = ttyProgress('backtest', 'lines');
      const result = await backtest({
        input: inputArgument('events file', file),
        rules: ingestRulesFrom(settings),
        parameters: domainParametersFrom(settings),
        nowMs: Date.now(),
        calibrationEndDay,
        holdoutEndDay,
        minRepeatBuyers: numberOption('--min-repeat-buyers', flags.minRepeatBuyers, { min: 0, integer: true }),
        onProgress: progress.onProgress,
        l2Penalty: flags.penalty === undefined ? 0 : numberOption('--penalty', flags.penalty, { min: 0 }),
        purchaseModel: flags.purchaseModel ?? settings.FIT_PURCHASE_MODEL,
        model: flags.model === undefined ? undefined : modelArgument('--model', flags.model, settings.BASE_CURRENCY),
      });
      progress.done();
      process.stdout.write(
        flags.format === 'json' ? JSON.stringify(backtestJson(result), null, 2) + '\n' : flags.format === 'csv' ? backtestCsv(result) : backtestTable(result),
      );
      const rejected = Object.values(result.events.rejected).reduce((a, b) => a + (b ?? 0), 0);
      if (rejected > 0) {
        const first = result.events.examples[0];
        process.stderr.write(`clvstream: ${rejected} invalid event lines skipped${first ? ` (first: line ${first.line}: ${first.message})` : ''}\n`);
      }
      if (result.table === null) {
        process.exitCode = 1;
        return;
      }
      if (flags.chart !== undefined) {
        const svg = backtestSvg(result);
        if (svg !== null) await writeFile(flags.chart, svg);
      }
    });
}
