import { Command, Option } from 'commander';
import { reportFromEvents, reportJson, reportTable } from '../app/report.js';
import { domainConfigFrom, ingestRulesFrom } from '../config/runtime-parameters.js';
import { UNFITTED_MODEL } from '../domain/model-snapshot.js';
import { dayOption, inputArgument, modelArgument, numberOption } from './analytics-options.js';
import { ttyProgress } from './tty-progress.js';
import { settingsFromEnv } from './settings-from-env.js';

interface ReportFlags {
  asOf?: string;
  format: 'json' | 'table';
  periodDays: string;
  model?: string;
}

export function reportCommand(): Command {
  return new Command('report')
    .description(
      'Population reports from an event file: segment distribution, NPS, retention per period, lost customers (by cancellation reason, competitor, churn level) and average CLV per segment.',
    )
    .argument('<events>', 'events as JSON lines (the format `import` writes); "-" reads stdin')
    .option('--as-of <date>', 'skip events of later days and report as of this day (default: the latest event day)')
    .addOption(new Option('--format <format>', 'output').choices(['json', 'table']).default('table'))
    .option('--period-days <n>', 'retention period length in days', '30')
    .option('--model <file>', 'score with this fitted model (the JSON of `fit --events` or `fit --state`): its cut points, P(alive) and CLV; default: unfitted')
    .action(async (file: string, flags: ReportFlags) => {
      const settings = settingsFromEnv();
      const config = domainConfigFrom(settings);
      const progress = ttyProgress('report', 'lines');
      const run = await reportFromEvents({
        input: inputArgument('events file', file),
        rules: ingestRulesFrom(settings),
        config,
        model: flags.model === undefined ? UNFITTED_MODEL : modelArgument('--model', flags.model, settings.BASE_CURRENCY),
        nowMs: Date.now(),
        asOfDay: flags.asOf === undefined ? null : dayOption('--as-of', flags.asOf),
        onProgress: progress.onProgress,
        periodDays: numberOption('--period-days', flags.periodDays, { min: 1, integer: true }),
      });
      progress.done();
      const currency = config.baseCurrency;
      process.stdout.write(flags.format === 'json' ? JSON.stringify(reportJson(run.report, currency), null, 2) + '\n' : reportTable(run.report, currency));
      const rejected = Object.values(run.events.rejected).reduce((a, b) => a + (b ?? 0), 0);
      if (rejected > 0) {
        const first = run.events.examples[0];
        process.stderr.write(`clvstream: ${rejected} invalid event lines skipped${first ? ` (first: line ${first.line}: ${first.message})` : ''}\n`);
      }
    });
}
