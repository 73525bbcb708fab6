// The web console end to end: a real Redis back-filled with the CDNOW sample
// (`replay --state`), a model fitted on it (`fit --state`), `clvstream serve`
// with a bearer token, and headless Chromium (Debian's package, driven by
// playwright-core) loading every page. The numbers on the pages are checked
// against the raw CDNOW file and against the pure pipeline's report; the
// screenshots are kept under test-artifacts/console/ (git-ignored).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { reportJson } from '../../../src/app/report.js';
import { defaultDomainConfig } from '../../../src/domain/config.js';
import { populationReport } from '../../../src/domain/reports/population-report.js';
import { localDayOf } from '../../../src/domain/time.js';
import { connectState } from '../../../src/state/connect.js';
import { ModelStore } from '../../../src/state/model-store.js';
import { cdnowEventLines, cdnowStates } from '../../support/cdnow-events.js';
import { deleteKeysByPrefix, describeWithInfra, uniqueSuffix, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { settingsOf } from '../../support/runtime-harness.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');
const CDNOW_LOG = join(ROOT, 'data', 'cdnow', 'CDNOW_sample.txt');
const PARTITIONS = 4;
const AS_OF = '1998-06-30';
const TOKEN = 'console-test-token-0123456789';
const run = promisify(execFile);

/** Each CDNOW customer's purchases, straight from the raw file (id, yyyymmdd, quantity, dollars). */
function rawCdnow(): Map<string, { days: string[]; cents: number }> {
  const customers = new Map<string, { days: string[]; cents: number }>();
  for (const line of readFileSync(CDNOW_LOG, 'utf8').split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5) continue;
    const [, id, ymd, , dollars] = cols as [string, string, string, string, string];
    const c = customers.get(id) ?? { days: [], cents: 0 };
    c.days.push(`${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`);
    c.cents += Math.round(Number(dollars) * 100);
    customers.set(id, c);
  }
  return customers;
}

const dollars = (cents: number): string => (cents / 100).toFixed(2);

describeWithInfra('web console (clvstream serve + headless Chromium, CDNOW in Redis)', (infra: InfraEndpoints) => {
  const prefix = `clvtest-con-${uniqueSuffix()}`.slice(0, 32);
  const env = { PATH: process.env.PATH ?? '', REDIS_URL: infra.redisUrl, REDIS_KEY_PREFIX: prefix, BASE_CURRENCY: 'USD' };
  const dir = mkdtempSync(join(tmpdir(), 'clvtest-console-'));
  let server: ChildProcess | undefined;
  let address = '';
  let browser: Browser | undefined;
  let page: Page;
  let modelVersion = '';
  let backtestFile = '';

  const cli = (args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 });

  beforeAll(async () => {
    // Chromium and the console bundle: both from the project's own files.
    await run('bash', ['scripts/ensure-tools.sh'], { cwd: ROOT });
    await run(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '-c', 'console/vite.config.ts'], { cwd: ROOT });
    mkdirSync(ARTIFACTS, { recursive: true });

    const events = join(dir, 'cdnow.jsonl');
    writeFileSync(events, await cdnowEventLines());
    await cli(['replay', events, '--state', infra.redisUrl, '--partitions', String(PARTITIONS)]);
    // The fit publishes the back-test of the purchase models with the version: the model page charts it.
    const fit = JSON.parse((await cli(['fit', '--state', '--as-of', AS_OF, '--backtest-events', events, '--calibration-end', '1997-09-30', '--holdout-end', AS_OF])).stdout) as {
      version: string;
    };
    modelVersion = fit.version;
    backtestFile = join(dir, 'backtest.json');
    writeFileSync(backtestFile, (await cli(['backtest', events, '--calibration-end', '1997-09-30', '--holdout-end', AS_OF, '--format', 'json'])).stdout);

    server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--partitions', String(PARTITIONS)], {
      cwd: ROOT,
      env: { ...env, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', HTTP_BEARER_TOKEN: TOKEN, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    address = await waitFor(() => /serving (http:\/\/127\.0\.0\.1:\d+)\/console\//.exec(stderr)?.[1], { timeoutMs: 60_000, what: `clvstream serve to listen (stderr: ${stderr})` });

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // The console's pages need the token too: a browser asks for it (HTTP Basic, the token as password).
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, httpCredentials: { username: 'operator', password: TOKEN } });
    // Nothing from another origin: the console works offline.
    await page.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (server?.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    const state = connectState(settingsOf({ REDIS_URL: infra.redisUrl, REDIS_KEY_PREFIX: prefix }));
    await deleteKeysByPrefix(state.redis, `${prefix}:`).finally(() => state.close());
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** Opens a console page and waits until it has rendered its data. */
  async function open(hash: string): Promise<void> {
    await page.goto(`${address}/console/${hash}`);
    await page.locator('[data-loaded="true"]').waitFor({ timeout: 30_000 });
  }

  const text = (selector: string) => page.locator(selector).first().innerText();

  it('asks for the bearer token, then shows the population with the numbers the pure pipeline gives', async () => {
    await page.goto(`${address}/console/#/population?as_of=${AS_OF}&period_days=30`);
    const dialog = page.locator('#token-dialog');
    await dialog.waitFor({ state: 'visible', timeout: 30_000 });
    await page.fill('#token-input', TOKEN);
    await page.click('#token-form button');
    await page.locator('[data-loaded="true"]').waitFor({ timeout: 60_000 });

    expect(await text('[data-kpi="customers"]')).toBe('2,357');
    // The reference: the same report from the CDNOW events run through the in-memory pipeline.
    const state = connectState(settingsOf({ REDIS_URL: infra.redisUrl, REDIS_KEY_PREFIX: prefix }));
    const published = await new ModelStore(state.redis, state.keys).current().finally(() => state.close());
    expect(published?.snapshot.version).toBe(modelVersion);
    const day = localDayOf(AS_OF);
    const expected = reportJson(populationReport(await cdnowStates(day), day, published!.snapshot, defaultDomainConfig), 'USD');
    expect(await text('[data-kpi="avg_historic_clv"]')).toBe(expected.overall.avg_historic_clv);
    expect(await text('[data-kpi="avg_predicted_clv"]')).toBe(expected.overall.avg_predicted_clv);

    for (const [panel, dimension] of [
      ['rfm-segments', 'rfm_segment'],
      ['value-quadrants', 'value_quadrant'],
      ['relationship', 'relationship'],
      ['churn-levels', 'churn_level'],
    ] as const) {
      const column = (n: number) => page.locator(`[data-table="${panel}"] tbody tr td:nth-child(${n})`).allTextContents();
      const [values, counts] = await Promise.all([column(1), column(2)]);
      const rows = values.map((value, i) => [value, counts[i]]);
      const want = Object.entries(expected.segments[dimension]!).map(([value, g]) => [value, g.customers.toLocaleString('en-US')]);
      expect(rows, panel).toEqual(want);
    }
    const retention = await page.locator('[data-table="retention"] tbody tr').count();
    expect(retention).toBe(expected.retention.periods.length);
    expect(retention).toBeGreaterThan(0);
    // Every chart drew on its canvas.
    expect(await page.locator('[data-panel] canvas').count()).toBeGreaterThanOrEqual(9);
    await page.screenshot({ path: join(ARTIFACTS, 'population.png'), fullPage: true });
  });

  it("shows known customers' figures as the raw CDNOW file has them", async () => {
    const raw = rawCdnow();
    const biggest = [...raw.entries()].sort((a, b) => b[1].cents - a[1].cents)[0]!;
    for (const [id, c] of [['0001', raw.get('0001')!] as const, biggest]) {
      await open(`#/customers/${id}`);
      const distinct = [...new Set(c.days)].sort();
      expect(await text('[data-field="customer_id"]')).toBe(id);
      expect(await text('[data-field="gross_revenue"]')).toBe(dollars(c.cents));
      expect(await text('[data-field="frequency"]')).toBe(String(c.days.length));
      expect(await text('[data-field="x"]')).toBe(String(distinct.length - 1));
      expect(await text('[data-field="first_purchase"]')).toBe(distinct[0]);
      expect(await text('[data-field="last_purchase"]')).toBe(distinct.at(-1));
      expect(await text('[data-field="model_version"]')).toBe(modelVersion);
      if (id === '0001') {
        expect(await text('[data-field="purchase_days"]')).toBe(distinct.join(', '));
        await page.screenshot({ path: join(ARTIFACTS, 'customer-0001.png'), fullPage: true });
      }
    }
    // 30, 90 and 365 days, each expecting more purchases than the last.
    const predicted = await page.locator('[data-table="predictions"] tbody tr td:nth-child(2)').allTextContents();
    expect(predicted).toHaveLength(3);
    expect(predicted.map(Number)).toEqual([...predicted.map(Number)].sort((a, b) => a - b));

    await open('#/customers/no-such-customer');
    expect(await text('[role="alert"]')).toContain('No customer "no-such-customer"');
  });

  it('shows the model in use with its parameters, standard errors and curve, and charts the published back-test of every model', async () => {
    await open('#/model');
    expect(await text('[data-kpi="version"]')).toBe(modelVersion);
    expect(await text('[data-kpi="purchase_model"]')).toBe('BG/NBD');
    expect(await text('[data-kpi="as_of"]')).toBe(AS_OF);
    expect(await text('[data-kpi="customers"]')).toBe('2,357');
    const parameters = await page.locator('[data-table="parameters"] tbody tr td:first-child').allTextContents();
    expect(parameters).toEqual(expect.arrayContaining(['BG/NBD r', 'BG/NBD α (days)', 'Gamma-Gamma p']));
    // Every parameter row of the purchase model and the Gamma-Gamma has a standard error.
    const errors = await page.locator('[data-table="parameters"] tbody tr td:nth-child(3)').allTextContents();
    expect(errors.slice(0, 7).every((e) => Number(e.replace(/,/g, '')) > 0)).toBe(true);
    expect(await page.locator('[data-table="expected-purchases"] tbody tr').count()).toBe(53);

    // The back-test published with the version: actual and the three models in one chart, 39 weeks.
    const published = page.locator('[data-panel="backtest"]');
    await published.waitFor();
    expect(await published.locator('canvas').count()).toBe(1);
    expect(await text('[data-panel="backtest"] h3')).toContain('actual vs BG/NBD, modified BG/NBD, Pareto/NBD (2,357 customers)');
    expect(await page.locator('[data-table="backtest"] thead th').allTextContents()).toEqual(['day', 'actual', 'predicted_bgnbd', 'predicted_mbgnbd', 'predicted_pnbd']);
    expect(await page.locator('[data-table="backtest"] tbody tr').count()).toBe(39);
    expect(await page.locator('[data-table="backtest"] tbody tr:last-child td:nth-child(2)').textContent()).toBe('1,882');
    const models = await page.locator('[data-table="backtest-errors"] tbody tr td:first-child').allTextContents();
    expect(models).toEqual(['BG/NBD (published)', 'modified BG/NBD', 'Pareto/NBD']);
    // The same comparison through the API, as stored with the version.
    const response = await fetch(`${address}/model`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const info = (await response.json()) as { backtest: { chosen: string; best: string; models: { model: string }[] } };
    expect(info.backtest).toMatchObject({ chosen: 'bgnbd', best: 'pnbd' });
    expect(info.backtest.models.map((m) => m.model)).toEqual(['bgnbd', 'mbgnbd', 'pnbd']);

    // The back-test chart of a `clvstream backtest --format json` file.
    const backtest = JSON.parse(readFileSync(backtestFile, 'utf8')) as { cohort: number; tracking: { t: number; actual: number }[] };
    await page.setInputFiles('input[name="backtest"]', backtestFile);
    await page.locator('[data-panel="backtest"] .note', { hasText: 'From backtest.json.' }).waitFor();
    const rows = page.locator('[data-table="backtest"] tbody tr');
    await rows.first().waitFor({ state: 'attached' }); // in the closed "Numbers" section
    expect(await rows.count()).toBe(backtest.tracking.length);
    expect(await page.locator('[data-table="backtest"] tbody tr:last-child td:nth-child(2)').textContent()).toBe(backtest.tracking.at(-1)!.actual.toLocaleString('en-US'));
    expect(await text('[data-panel="backtest"] h3')).toContain(`(${backtest.cohort.toLocaleString('en-US')} customers)`);
    await page.screenshot({ path: join(ARTIFACTS, 'model.png'), fullPage: true });
  });

  it('offers the numbers of a chart as CSV', async () => {
    await open(`#/population?as_of=${AS_OF}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-panel="churn-levels"] a.csv').click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv.split('\n')[0]).toBe('value,customers,share,nps,avg_historic_clv,avg_predicted_clv,avg_cost_to_serve,complaint_rate');
    const total = csv
      .trim()
      .split('\n')
      .slice(1)
      .reduce((sum, line) => sum + Number(line.split(',')[1]), 0);
    expect(total).toBe(2357);
  });
});
