import { Command, Option } from 'commander';
import { backtest } from '../app/backtest.js';
import { fitFromEvents } from '../app/fit-events.js';
import { fitFromState } from '../app/fit-state.js';
import { domainParametersFrom, ingestRulesFrom } from '../config/runtime-parameters.js';
import { fitSummaryFile } from '../app/fit-summary.js';
import type { BacktestResult } from '../app/backtest.js';
import { DEFAULT_MIN_REPEAT_BUYERS, PURCHASE_MODEL_KINDS, type PurchaseModelKind } from '../domain/models/index.js';
import { DAY_MS } from '../domain/time.js';
import { openState } from '../state/connect.js';
import { StateError } from '../state/errors.js';
import { ModelStore } from '../state/model-store.js';
import { dayOption, inputArgument, numberOption, summaryArgument } from './analytics-options.js';
import { ttyProgress } from './tty-progress.js';
import { settingsFromEnv } from './settings-from-env.js';
import { UsageError } from './usage-error.js';

interface FitFlags {
  summary?: string;
  state?: string | true;
  events?: string;
  holdoutDays?: string;
  backtestEvents?: string;
  calibrationEnd?: string;
  holdoutEnd?: string;
  chooseBy?: 'option' | 'holdout';
  purchaseModel?: PurchaseModelKind;
  asOf?: string;
  penalty?: string;
  minRepeatBuyers: string;
  modelVersion?: string;
  dryRun?: boolean;
}

export function fitCommand(): Command {
  return new Command('fit')
    .description(
      'Fit the purchase models (BG/NBD, modified BG/NBD and Pareto/NBD) and the Gamma-Gamma, with the standard error of every parameter. --summary: on a customer summary file (lifetimes layout), print the parameters as JSON. --events: on an event file, print a model file (parameters, cut points, version) that replay, report and backtest --model score with. --state: on every customer state in Redis, publish a new model version that running processors pick up.',
    )
    .option('--events <file>', 'fit on an event file (JSON lines, the format `import` writes) as of --as-of (default: its latest day); prints a model file')
    .option('--holdout-days <n>', 'with --events: also hold out the last n days once and report the purchase models\' holdout error')
    .option('--backtest-events <file>', 'with --state: back-test the purchase models on this event file (with --calibration-end) and publish the comparison with the version (GET /model, the console\'s chart)')
    .option('--calibration-end <date>', 'with --backtest-events: last day of the calibration period (inclusive)')
    .option('--holdout-end <date>', 'with --backtest-events: last day of the holdout (default: the latest event day)')
    .addOption(new Option('--choose-by <how>', 'how the published purchase model is chosen: option (--purchase-model / FIT_PURCHASE_MODEL) or holdout (smallest mean absolute holdout error per customer; needs --holdout-days or --backtest-events)').choices(['option', 'holdout']).default('option'))
    .addOption(new Option('--purchase-model <model>', 'the purchase model to publish or write (all are fitted and compared); default FIT_PURCHASE_MODEL (bgnbd)').choices([...PURCHASE_MODEL_KINDS]))
    .option('--summary <csv>', 'summary file: header frequency,recency,T[,monetary_value] or x,t_x,T[,zbar]; "-" reads stdin')
    .option('--state [redis-url]', 'fit on the customer states in Redis: this URL (standalone), or REDIS_URL / REDIS_CLUSTER_NODES')
    .option('--as-of <date>', 'with --state: the day the summaries are taken at (default: today, UTC); with --events: skip later events (default: the latest event day)')
    .option('--penalty <l2>', 'L2 penalty λ on the log-parameters (default 0: plain maximum likelihood)')
    .option('--min-repeat-buyers <n>', 'fit (and publish) only with at least this many repeat buyers', String(DEFAULT_MIN_REPEAT_BUYERS))
    .option('--model-version <name>', 'with --state or --events: version name (default fit-<UTC time>)')
    .option('--dry-run', 'with --state: fit and print, publish nothing')
    .action(async (flags: FitFlags) => {
      const sources = [flags.summary, flags.state, flags.events].filter((f) => f !== undefined).length;
      if (sources !== 1) throw new UsageError('fit needs exactly one of --summary <csv>, --events <file> or --state');
      const flagName = (f: string) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      const fitOptions = {
        minRepeatBuyers: numberOption('--min-repeat-buyers', flags.minRepeatBuyers, { min: 0, integer: true }),
        l2Penalty: flags.penalty === undefined ? 0 : numberOption('--penalty', flags.penalty, { min: 0 }),
        purchaseModel: flags.purchaseModel ?? settingsFromEnv().FIT_PURCHASE_MODEL,
      };
      if (flags.holdoutDays !== undefined && flags.events === undefined) throw new UsageError('--holdout-days applies to --events only');
      for (const f of ['backtestEvents', 'calibrationEnd', 'holdoutEnd'] as const) {
        if (flags[f] !== undefined && flags.state === undefined) throw new UsageError(`${flagName(f)} applies to --state only (with --events, use --holdout-days)`);
      }
      if ((flags.backtestEvents === undefined) !== (flags.calibrationEnd === undefined)) throw new UsageError('--backtest-events and --calibration-end go together');
      if (flags.holdoutEnd !== undefined && flags.backtestEvents === undefined) throw new UsageError('--holdout-end needs --backtest-events');
      if (flags.chooseBy === 'holdout' && flags.holdoutDays === undefined && flags.backtestEvents === undefined) {
        throw new UsageError('--choose-by holdout needs a holdout: --holdout-days (with --events) or --backtest-events and --calibration-end (with --state)');
      }
      if (flags.summary !== undefined) {
        for (const f of ['asOf', 'modelVersion', 'dryRun'] as const) {
          if (flags[f] !== undefined) throw new UsageError(`${flagName(f)} applies to --state and --events only`);
        }
        await fitSummary(flags.summary, fitOptions);
      } else if (flags.events !== undefined) {
        if (flags.dryRun !== undefined) throw new UsageError('--dry-run applies to --state only: --events publishes nothing');
        await fitEvents(flags.events, flags, fitOptions);
      } else {
        await fitState(flags, fitOptions);
      }
    });
}

type FitOptions = { minRepeatBuyers: number; l2Penalty: number; purchaseModel: PurchaseModelKind };

function checkVersionName(name: string | undefined): void {
  if (name !== undefined && !/^[A-Za-z0-9._:-]{1,64}$/.test(name)) {
    throw new UsageError(`--model-version ${JSON.stringify(name)}: 1–64 of A–Z a–z 0–9 . _ : -`);
  }
}

async function fitEvents(path: string, flags: FitFlags, options: FitOptions): Promise<void> {
  const settings = settingsFromEnv();
  checkVersionName(flags.modelVersion);
  if (path === '-' && flags.holdoutDays !== undefined) throw new UsageError('--holdout-days reads the event file twice: give a file, not stdin');
  inputArgument('--events', path);
  const progress = ttyProgress('fit', 'lines');
  const outcome = await fitFromEvents({
    open: () => inputArgument('--events', path),
    rules: ingestRulesFrom(settings),
    parameters: domainParametersFrom(settings),
    nowMs: Date.now(),
    asOfDay: flags.asOf === undefined ? null : dayOption('--as-of', flags.asOf),
    holdoutDays: flags.holdoutDays === undefined ? null : numberOption('--holdout-days', flags.holdoutDays, { min: 1, integer: true }),
    ...options,
    chooseByHoldout: flags.chooseBy === 'holdout',
    version: flags.modelVersion,
    now: new Date(),
    onProgress: progress.onProgress,
  });
  progress.done();
  process.stdout.write(JSON.stringify(outcome.output, null, 2) + '\n');
  if (outcome.declined !== null) {
    process.stderr.write(`clvstream: no ${options.purchaseModel} fitted: ${outcome.declined}\n`);
    process.exitCode = 1;
  }
}

async function fitSummary(path: string, options: FitOptions): Promise<void> {
  const json = fitSummaryFile(await summaryArgument('--summary', path), options);
  process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  if (json.bgnbd === null) {
    process.stderr.write(`clvstream: no BG/NBD fitted: ${String((json.diagnostics['bgnbd'] as { reason?: string }).reason)}\n`);
    process.exitCode = 1;
  } else if (json[options.purchaseModel] === null) {
    process.stderr.write(`clvstream: no ${options.purchaseModel} fitted: ${String((json.diagnostics[options.purchaseModel] as { reason?: string }).reason)}\n`);
    process.exitCode = 1;
  }
}

async function fitState(flags: FitFlags, options: FitOptions): Promise<void> {
  const settings = settingsFromEnv();
  const url = flags.state === true ? undefined : flags.state;
  if (url !== undefined && !/^rediss?:\/\/\S+$/.test(url)) throw new UsageError(`--state ${JSON.stringify(url)} is not a redis:// or rediss:// URL`);
  const now = new Date();
  const asOfDay = flags.asOf === undefined ? Math.floor(now.getTime() / DAY_MS) : dayOption('--as-of', flags.asOf);
  checkVersionName(flags.modelVersion);
  const backtestFile = flags.backtestEvents;
  let runBacktest: (() => Promise<BacktestResult>) | undefined;
  if (backtestFile !== undefined) {
    const calibrationEndDay = dayOption('--calibration-end', flags.calibrationEnd!);
    const holdoutEndDay = flags.holdoutEnd === undefined ? null : dayOption('--holdout-end', flags.holdoutEnd);
    if (holdoutEndDay !== null && holdoutEndDay <= calibrationEndDay) throw new UsageError('--holdout-end must be after --calibration-end');
    if (backtestFile === '-') throw new UsageError('--backtest-events needs a file, not stdin (stdin is not read twice)');
    inputArgument('--backtest-events', backtestFile).destroy();
    runBacktest = () =>
      backtest({
        input: inputArgument('--backtest-events', backtestFile),
        rules: ingestRulesFrom(settings),
        parameters: domainParametersFrom(settings),
        nowMs: now.getTime(),
        calibrationEndDay,
        holdoutEndDay,
        minRepeatBuyers: options.minRepeatBuyers,
        l2Penalty: options.l2Penalty,
        purchaseModel: options.purchaseModel,
      });
  }
  const connection = await openState(url === undefined ? settings : { ...settings, REDIS_URL: url, REDIS_CLUSTER_NODES: undefined });
  try {
    const progress = ttyProgress('fit', 'customer states');
    const outcome = await fitFromState({
      states: connection.store,
      models: new ModelStore(connection.redis, connection.keys),
      asOfDay,
      currency: settings.BASE_CURRENCY,
      ...options,
      version: flags.modelVersion,
      now,
      onProgress: progress.onProgress,
      dryRun: flags.dryRun === true,
      backtest: runBacktest,
      chooseByHoldout: flags.chooseBy === 'holdout',
    });
    progress.done();
    process.stdout.write(JSON.stringify(outcome.output, null, 2) + '\n');
    if (outcome.declined !== null) {
      process.stderr.write(`clvstream: ${outcome.declined}; the processors keep their current model (before the first fit: the simple CLV and inactivity rules)\n`);
      process.exitCode = 1;
    } else if (outcome.published) {
      process.stderr.write(`clvstream: published model version ${outcome.version} (current)\n`);
    } else {
      process.stderr.write('clvstream: dry run, nothing published\n');
    }
  } catch (err) {
    if (!(err instanceof StateError)) throw err;
    process.stderr.write(`clvstream: ${err.message}\n`);
    process.exitCode = 1;
  } finally {
    await connection.close().catch(() => undefined);
  }
}
