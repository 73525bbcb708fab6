// fit --summary, score, backtest and report end to end through the real command
// line (the TypeScript sources run by tsx in a child process): output, files and
// exit codes (0 success, 1 nothing fitted, 2 bad command line or input file).
// `fit --state` runs against Redis in test/integration/model-fit.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdnowEventLines } from '../support/cdnow-events.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const SUMMARY = join(ROOT, 'data', 'cdnow', 'cdnow_customers_summary_with_transactions.csv');
const scratch = mkdtempSync(join(tmpdir(), 'clvstream-analytics-'));
const file = (name: string) => join(scratch, name);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Run = { status: number | null; stdout: string; stderr: string };

function clvstream(args: string[]): Run {
  const env = { ...process.env };
  for (const name of ['CLVSTREAM_CONFIG', 'BASE_CURRENCY', 'CURRENCY_RATES', 'MARGIN_RATE']) delete env[name];
  const result = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  writeFileSync(file('events.jsonl'), await cdnowEventLines());
  writeFileSync(file('bad.csv'), 'x,t_x,T\n1,2,3\n0.5,0,3\n');
});

describe('clvstream analytics commands', { timeout: 60_000 }, () => {
  it('fit --summary prints the CDNOW parameters as JSON; score uses them', () => {
    const fit = clvstream(['fit', '--summary', SUMMARY]);
    expect(fit.stderr).toBe('');
    expect(fit.status).toBe(0);
    const json = JSON.parse(fit.stdout) as { bgnbd: Record<string, number>; gamma_gamma: Record<string, number>; diagnostics: Record<string, unknown> };
    expect(json.bgnbd['r']).toBeCloseTo(0.2426, 4);
    expect(json.bgnbd['alpha']).toBeCloseTo(4.4135, 4);
    expect(json.bgnbd['log_likelihood']).toBeCloseTo(-9582.43, 2);
    expect(json.gamma_gamma['v']).toBeCloseTo(15.45, 2);
    expect(json.diagnostics).toMatchObject({ customers: 2357, repeat_buyers: 946, converged: true, min_repeat_buyers: 50, l2_penalty: 0 });
    writeFileSync(file('params.json'), fit.stdout);

    const score = clvstream(['score', '--params', file('params.json'), '--summary', SUMMARY, '--horizon', '39', '--unit-days', '7']);
    expect(score.status).toBe(0);
    const lines = score.stdout.trim().split('\n');
    expect(lines).toHaveLength(2358);
    const header = lines[0]!.split(',');
    expect(header.slice(0, 6)).toEqual(['id', 'x', 't_x', 'T', 'p_alive', 'expected_purchases']);
    // Customer 1 (x 2, t_x 30.43, T 38.86): 1.226 expected purchases in 39 weeks, 24.65 per purchase (published).
    const row = Object.fromEntries(header.map((name, i) => [name, lines[1]!.split(',')[i]]));
    expect(row['id']).toBe('1');
    expect(Number(row['expected_purchases'])).toBeCloseTo(1.226, 3);
    expect(Number(row['expected_spend'])).toBeCloseTo(24.65, 1);
    // 39 weeks = 273 days: the 365-day figure is above it, and t_x / x = 15.2 weeks = 106.5 days.
    expect(Number(row['expected_purchases_365d'])).toBeGreaterThan(1.226);
    expect(Number(row['mean_days_between_purchases'])).toBeCloseTo((30.43 * 7) / 2, 6);
    // fit prints the standard errors (lifetimes' figures for CDNOW: test/domain/models/uncertainty.test.ts)
    // and score the 90 % interval of each customer's expected purchases and CLV.
    expect((json.bgnbd as unknown as { standard_errors: Record<string, number> }).standard_errors['r']).toBeCloseTo(0.012557, 5);
    expect(Number(row['expected_purchases_low'])).toBeLessThan(Number(row['expected_purchases']));
    expect(Number(row['expected_purchases_high'])).toBeGreaterThan(Number(row['expected_purchases']));
    expect(Number(row['clv_predicted_low'])).toBeLessThan(Number(row['clv_predicted']));
    expect(Number(row['clv_predicted_high'])).toBeGreaterThan(Number(row['clv_predicted']));
  });

  it('fit --summary with --penalty shrinks; with too few repeat buyers prints nulls and exits 1', () => {
    const penalised = clvstream(['fit', '--summary', SUMMARY, '--penalty', '0.01']);
    expect(penalised.status).toBe(0);
    expect((JSON.parse(penalised.stdout) as { diagnostics: { l2_penalty: number } }).diagnostics.l2_penalty).toBe(0.01);
    const declined = clvstream(['fit', '--summary', SUMMARY, '--min-repeat-buyers', '1000']);
    expect(declined.status).toBe(1);
    expect(JSON.parse(declined.stdout)).toMatchObject({ bgnbd: null, gamma_gamma: null });
    expect(declined.stderr).toContain('no BG/NBD fitted: BG/NBD: 946 repeat buyers, at least 1000 needed');
  });

  it.each([
    [['fit', '--summary', 'bad.csv'], /bad\.csv: line 3: column 1 \(x\): "0\.5" is not a whole number/],
    [['fit', '--summary', 'missing.csv'], /^clvstream: --summary .*missing\.csv: no such file or directory\n$/],
    [['fit'], /exactly one of --summary <csv>, --events <file> or --state/],
    [['fit', '--events', 'events.jsonl', '--choose-by', 'holdout'], /--choose-by holdout needs a holdout: --holdout-days/],
    [['fit', '--events', 'events.jsonl', '--backtest-events', 'events.jsonl', '--calibration-end', '1997-09-30'], /--backtest-events applies to --state only/],
    [['fit', '--state', '--backtest-events', 'events.jsonl'], /--backtest-events and --calibration-end go together/],
    [['fit', '--summary', 'bad.csv', '--as-of', '2020-01-01'], /--as-of applies to --state and --events only/],
    [['fit', '--summary', SUMMARY, '--penalty', '-1'], /--penalty "-1" must be a number ≥ 0/],
    [['score', '--params', 'bad.csv', '--summary', SUMMARY, '--horizon', '39'], /bad\.csv: not JSON/],
    [['score', '--params', 'params.json', '--summary', SUMMARY, '--horizon', 'soon'], /--horizon "soon" must be a number ≥ 0/],
    [['backtest', 'events.jsonl', '--calibration-end', '1997-02-30'], /--calibration-end "1997-02-30" is not a calendar date/],
    [['backtest', 'events.jsonl', '--calibration-end', '1997-09-30', '--holdout-end', '1997-09-01'], /--holdout-end must be after --calibration-end/],
    [['report', 'nowhere.jsonl'], /^clvstream: events file .*nowhere\.jsonl: no such file or directory\n$/],
  ])('%j exits 2 with the reason', (args, message) => {
    const run = clvstream(args.map((a) => (/\.(csv|json|jsonl)$/.test(a) && !a.includes('/') ? file(a) : a)));
    expect(run.stderr).toMatch(message);
    expect(run.status).toBe(2);
  });

  it('backtest --format csv prints the per-frequency comparison of the three models', () => {
    const run = clvstream(['backtest', file('events.jsonl'), '--calibration-end', '1997-09-30', '--holdout-end', '1998-06-30', '--format', 'csv']);
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('x_calibration,customers,actual,predicted_bgnbd,predicted_mbgnbd,predicted_pnbd');
    expect(lines.map((l) => l.split(',')[0])).toEqual(['x_calibration', '0', '1', '2', '3', '4', '5', '6', '7+', 'total']);
  });

  it('fit --events --holdout-days --choose-by holdout writes the model with the smallest holdout error', () => {
    const run = clvstream(['fit', '--events', file('events.jsonl'), '--holdout-days', '273', '--choose-by', 'holdout', '--model-version', 'chosen']);
    expect(run.status).toBe(0);
    const json = JSON.parse(run.stdout) as { purchase_model: string; chosen_by: string; pnbd: { standard_errors: Record<string, number> } };
    expect(json).toMatchObject({ purchase_model: 'pnbd', chosen_by: 'holdout' });
    for (const name of ['r', 'alpha', 's', 'beta']) expect(json.pnbd.standard_errors[name]).toBeGreaterThan(0);
  });

  it('backtest prints the calibration/holdout table and writes the SVG chart', () => {
    const run = clvstream(['backtest', file('events.jsonl'), '--calibration-end', '1997-09-30', '--holdout-end', '1998-06-30', '--chart', file('chart.svg')]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^total +2357 +1882 +1653\.4 /m);
    const svg = readFileSync(file('chart.svg'), 'utf8');
    expect(svg).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\n$/);
  });

  it('report prints JSON as of a day', () => {
    const run = clvstream(['report', file('events.jsonl'), '--as-of', '1997-09-30', '--format', 'json']);
    expect(run.status).toBe(0);
    const json = JSON.parse(run.stdout) as { as_of: string; customers: number; segments: Record<string, Record<string, { customers: number }>> };
    expect(json).toMatchObject({ as_of: '1997-09-30', customers: 2357 });
    expect(Object.values(json.segments['churn_level']!).reduce((n, g) => n + g.customers, 0)).toBe(2357);
  });
});

describe('report --lost', () => {
  it('lists who left as CSV, sorted by value lost, and refuses CSV without --lost', () => {
    const lines = [
      { type: 'purchase', event_id: 'p1', customer_id: 'A', occurred_at: '2025-05-10T10:00:00Z', amount: '100.00', currency: 'USD' },
      { type: 'purchase', event_id: 'p2', customer_id: 'A', occurred_at: '2025-06-20T10:00:00Z', amount: '50.00', currency: 'USD' },
      { type: 'purchase', event_id: 'p3', customer_id: 'B', occurred_at: '2025-05-15T10:00:00Z', amount: '20.00', currency: 'USD' },
      { type: 'cancellation', event_id: 'c1', customer_id: 'B', occurred_at: '2025-06-01T10:00:00Z', reason: 'price' },
      { type: 'purchase', event_id: 'p4', customer_id: 'D', occurred_at: '2026-06-01T10:00:00Z', amount: '80.00', currency: 'USD' },
    ];
    writeFileSync(file('lost.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const run = clvstream(['report', file('lost.jsonl'), '--lost', '--format', 'csv', '--as-of', '2026-06-30']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const rows = run.stdout.trim().split('\n');
    expect(rows[0]).toBe('customer_id,how,left_on,last_purchase,churn_level,churn_reasons,cancellation_reason,competitor,clv_historic,predicted_clv_at_leaving,value_lost');
    expect(rows.slice(1).map((r) => r.split(',').slice(0, 3).join(','))).toEqual(['A,churned,2025-06-20', 'B,cancelled,2025-06-01']);
    const values = rows.slice(1).map((r) => Number(r.split(',').at(-1)));
    expect(values[0]).toBeGreaterThan(values[1]!);
    const refused = clvstream(['report', file('lost.jsonl'), '--format', 'csv']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe('clvstream: --format csv needs --table (retention, yearly_retention, cohorts) or --lost\n');
  });
});

describe('exit codes of every subcommand', () => {
  // Four CLI processes: on a loaded machine that is more than vitest's default 5 s.
  it('an unknown option or a missing option value exits 2, whichever subcommand it is given to', { timeout: 120_000 }, () => {
    for (const args of [['replay', '--bogus'], ['import', '--delimiter'], ['fit', '--no-such-flag'], ['run', '--extra']]) {
      const run = clvstream(args);
      expect(run.status, args.join(' ')).toBe(2);
      // One line, with the one prefix every error has.
      expect(run.stderr, args.join(' ')).toMatch(/^clvstream: (unknown option|option .* argument missing|too many arguments)[^\n]*\n$/);
    }
  });
});
