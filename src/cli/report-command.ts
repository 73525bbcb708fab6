import { Command, Option } from 'commander';
import { lostListCsv, lostListJson } from '../app/lost-customers.js';
import { REPORT_CSV_TABLES, reportCsv, reportFromEvents, reportJson, reportTable, type ReportCsvTable } from '../app/report.js';
import { statesFromEvents } from '../app/states-from-events.js';
import { domainParametersFrom, ingestRulesFrom } from '../config/runtime-parameters.js';
import { UNFITTED_MODEL } from '../domain/model-snapshot.js';
import { LOST_MIN_LEVELS, LOST_SORT_KEYS, LostCustomerList, type LostMinLevel, type LostSortKey } from '../domain/reports/lost-customers.js';
import type { EventFileSummary } from '../app/event-file.js';
import type { Settings } from '../config/settings.js';
import { dayOption, inputArgument, modelArgument, numberOption } from './analytics-options.js';
import { ttyProgress } from './tty-progress.js';
import { settingsFromEnv } from './settings-from-env.js';
import { UsageError } from './usage-error.js';

interface ReportFlags {
  asOf?: string;
  format: 'json' | 'table' | 'csv';
  periodDays: string;
  model?: string;
  lost?: boolean;
  sort: LostSortKey;
  minLevel: LostMinLevel;
  limit?: string;
  table?: ReportCsvTable;
  cohortDays: string;
}

export function reportCommand(): Command {
  return new Command('report')
    .description(
      'Population reports from an event file: segment distribution, NPS, retention per period, lost customers (by cancellation reason, competitor, churn level) and average CLV per segment.',
    )
    .argument('<events>', 'events as JSON lines (the format `import` writes); "-" reads stdin')
    .option('--as-of <date>', 'skip events of later days and report as of this day (default: the latest event day)')
    .addOption(new Option('--format <format>', 'output (csv: one table, --table or --lost)').choices(['json', 'table', 'csv']).default('table'))
    .addOption(new Option('--table <name>', 'with --format csv: the table to print').choices(REPORT_CSV_TABLES))
    .option('--period-days <n>', 'retention period length in days', '30')
    .option('--cohort-days <n>', 'cohort period length in days (customers by the period of their first purchase)', '365')
    .option('--model <file>', 'score with this fitted model (the JSON of `fit --events` or `fit --state`): its cut points, P(alive) and CLV; default: unfitted')
    .option('--lost', 'list the customers who left instead (cancelled, or at churn level --min-level and above): when, why, competitor, historic CLV and the value lost')
    .addOption(new Option('--sort <key>', 'with --lost: order, descending').choices(LOST_SORT_KEYS).default('value_lost'))
    .addOption(new Option('--min-level <level>', 'with --lost: lowest churn level listed besides the cancelled').choices(LOST_MIN_LEVELS).default('lost'))
    .option('--limit <n>', 'with --lost: list only the first n of the sort')
    .action(async (file: string, flags: ReportFlags) => {
      const settings = settingsFromEnv();
      const parameters = domainParametersFrom(settings);
      if (flags.lost === true) {
        await lostReport(file, flags, settings);
        return;
      }
      if (flags.format === 'csv' && flags.table === undefined) throw new UsageError(`--format csv needs --table (${REPORT_CSV_TABLES.join(', ')}) or --lost`);
      const progress = ttyProgress('report', 'lines');
      const run = await reportFromEvents({
        input: inputArgument('events file', file),
        rules: ingestRulesFrom(settings),
        parameters: parameters,
        model: flags.model === undefined ? UNFITTED_MODEL : modelArgument('--model', flags.model, settings.BASE_CURRENCY),
        nowMs: Date.now(),
        asOfDay: flags.asOf === undefined ? null : dayOption('--as-of', flags.asOf),
        onProgress: progress.onProgress,
        periodDays: numberOption('--period-days', flags.periodDays, { min: 1, integer: true }),
        cohortDays: numberOption('--cohort-days', flags.cohortDays, { min: 1, integer: true }),
        clvRetention: settings.CLV_RETENTION_SOURCE,
      });
      progress.done();
      const currency = parameters.baseCurrency;
      if (flags.format === 'csv') process.stdout.write(reportCsv(run.report, flags.table!));
      else process.stdout.write(flags.format === 'json' ? JSON.stringify(reportJson(run.report, currency), null, 2) + '\n' : reportTable(run.report, currency));
      warnRejected(run.events);
    });
}

function warnRejected(events: EventFileSummary): void {
  const rejected = Object.values(events.rejected).reduce((a, b) => a + (b ?? 0), 0);
  if (rejected > 0) {
    const first = events.examples[0];
    process.stderr.write(`clvstream: ${rejected} invalid event lines skipped${first ? ` (first: line ${first.line}: ${first.message})` : ''}\n`);
  }
}

/** `report --lost`: the lost-customer list as a table (CSV columns aligned), CSV or JSON. */
async function lostReport(file: string, flags: ReportFlags, settings: Settings): Promise<void> {
  const parameters = domainParametersFrom(settings);
  const limit = flags.limit === undefined ? undefined : numberOption('--limit', flags.limit, { min: 1, integer: true });
  const model = flags.model === undefined ? UNFITTED_MODEL : modelArgument('--model', flags.model, settings.BASE_CURRENCY);
  const progress = ttyProgress('report', 'lines');
  const run = await statesFromEvents({
    input: inputArgument('events file', file),
    rules: ingestRulesFrom(settings),
    parameters: parameters,
    model,
    nowMs: Date.now(),
    asOfDay: flags.asOf === undefined ? null : dayOption('--as-of', flags.asOf),
    onProgress: progress.onProgress,
  });
  progress.done();
  const list = new LostCustomerList(run.day, model, parameters, { sort: flags.sort, minLevel: flags.minLevel, limit });
  for (const s of run.states) list.add(s);
  const rows = list.list();
  const currency = parameters.baseCurrency;
  if (flags.format === 'json') process.stdout.write(JSON.stringify(lostListJson(rows, list.total, run.day, flags.sort, currency), null, 2) + '\n');
  else if (flags.format === 'csv') process.stdout.write(lostListCsv(rows, currency));
  else process.stdout.write(alignedTable(lostListCsv(rows, currency)));
  warnRejected(run.events);
}

/** A CSV without quoted commas (the lost list's: ids and competitors are quoted when they hold one) as aligned columns. */
function alignedTable(csv: string): string {
  const rows = csv.trimEnd().split('\n').map((line) => line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/));
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n') + '\n';
}
