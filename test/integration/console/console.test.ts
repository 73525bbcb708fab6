// The web console end to end: a real Redis back-filled with the CDNOW sample
// (`replay --state`, with a few NPS answers, cancellations and service
// interactions added, and costs per order and interaction), a model fitted on
// it (`fit --state`), `clvstream serve`
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
import { readEventFile } from '../../../src/app/event-file.js';
import { reportJson } from '../../../src/app/report.js';
import { domainParametersFrom } from '../../../src/config/runtime-parameters.js';
import type { DomainParameters } from '../../../src/domain/parameters.js';
import { UNFITTED_MODEL } from '../../../src/domain/model-snapshot.js';
import { conditionalExpectedPurchases, conditionalExpectedSpend, mbgnbdConditionalExpectedPurchases, mbgnbdProbabilityAlive, probabilityAlive } from '../../../src/domain/models/index.js';
import { populationReport } from '../../../src/domain/reports/population-report.js';
import type { CustomerState } from '../../../src/domain/state.js';
import { dayToDate, localDayOf } from '../../../src/domain/time.js';
import { MemoryProcessor } from '../../../src/pipeline/memory-processor.js';
import { connectState } from '../../../src/state/connect.js';
import { ModelStore } from '../../../src/state/model-store.js';
import { cdnowEventLines, streamOf, TEST_NOW_MS, TEST_RULES } from '../../support/cdnow-events.js';
import { deleteKeysByPrefix, describeWithInfra, uniqueSuffix, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { settingsOf } from '../../support/runtime-harness.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');
const CDNOW_LOG = join(ROOT, 'data', 'cdnow', 'CDNOW_sample.txt');
const PARTITIONS = 4;
const AS_OF = '1998-06-30';
const TOKEN = 'console-test-token-0123456789';
const run = promisify(execFile);
/** Costs per activity, so the cost-to-serve figures are not all zero (CDNOW carries none). */
const COSTS = { COST_PER_ORDER: '0.50', COST_PER_INTERACTION: 'support_contact=2.25' };
/**
 * Events CDNOW does not have: customer 0001 complains (open, costing 4.00) and
 * later contacts support (no cost of its own: 2.25 from the table); four NPS
 * answers (two promoters, a passive, a detractor); four cancellations, two to
 * the same competitor, one after a complaint.
 */
const EXTRA_EVENTS = [
  { type: 'interaction', event_id: 'console-test-1', customer_id: '0001', occurred_at: '1998-02-10T00:00:00Z', kind: 'complaint', channel: 'phone', resolved: false, cost: '4.00', currency: 'USD' },
  { type: 'interaction', event_id: 'console-test-2', customer_id: '0001', occurred_at: '1998-03-05T00:00:00Z', kind: 'support_contact', channel: 'email', resolved: true },
  ...[['0002', 10], ['0003', 9], ['0004', 7], ['0005', 3]].map(([id, score], i) => ({ type: 'feedback', event_id: `console-test-nps-${i}`, customer_id: id, occurred_at: '1998-03-01T00:00:00Z', score })),
  { type: 'interaction', event_id: 'console-test-3', customer_id: '0009', occurred_at: '1998-03-20T00:00:00Z', kind: 'complaint', channel: 'chat', resolved: false },
  ...[['0006', 'competitor', 'RecordsRUs'], ['0007', 'price', null], ['0008', 'competitor', 'RecordsRUs'], ['0009', 'service', null]].map(([id, reason, competitor], i) => ({
    type: 'cancellation',
    event_id: `console-test-cancel-${i}`,
    customer_id: id,
    // After each one's last purchase (a purchase after a cancellation reactivates the account).
    occurred_at: id === '0006' ? '1998-06-25T00:00:00Z' : '1998-04-01T00:00:00Z',
    reason,
    ...(competitor === null ? {} : { competitor }),
  })),
]
  .map((e) => JSON.stringify(e))
  .join('\n');

/** The customer states the in-memory pipeline builds from `events` (days up to `lastDay`), the reference for the pages. */
async function statesOf(events: string, lastDay: number, parameters: DomainParameters): Promise<CustomerState[]> {
  const processor = new MemoryProcessor({ model: UNFITTED_MODEL, parameters: parameters });
  await readEventFile(streamOf(events), TEST_RULES, TEST_NOW_MS, (input) => {
    if (input.day <= lastDay) processor.apply(input);
  });
  return [...processor.states.values()];
}

interface RawCustomer {
  days: string[];
  cents: number;
  /** Cents of each purchase, in file order (with `days`). */
  amounts: number[];
}

/** Each CDNOW customer's purchases, straight from the raw file (id, yyyymmdd, quantity, dollars). */
function rawCdnow(): Map<string, RawCustomer> {
  const customers = new Map<string, RawCustomer>();
  for (const line of readFileSync(CDNOW_LOG, 'utf8').split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5) continue;
    const [, id, ymd, , dollars] = cols as [string, string, string, string, string];
    const c = customers.get(id) ?? { days: [], cents: 0, amounts: [] };
    const cents = Math.round(Number(dollars) * 100);
    c.days.push(`${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`);
    c.amounts.push(cents);
    c.cents += cents;
    customers.set(id, c);
  }
  return customers;
}

/** Days between two ISO dates. */
const daysBetween = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / 86_400_000;

const dollars = (cents: number): string => (cents / 100).toFixed(2);

describeWithInfra('web console (clvstream serve + headless Chromium, CDNOW in Redis)', (infra: InfraEndpoints) => {
  const prefix = `clvtest-con-${uniqueSuffix()}`.slice(0, 32);
  const env = { PATH: process.env.PATH ?? '', REDIS_URL: infra.redisUrl, REDIS_KEY_PREFIX: prefix, BASE_CURRENCY: 'USD', ...COSTS };
  const parameters = domainParametersFrom(settingsOf({ REDIS_URL: infra.redisUrl, BASE_CURRENCY: 'USD', ...COSTS }));
  const dir = mkdtempSync(join(tmpdir(), 'clvtest-console-'));
  let server: ChildProcess | undefined;
  let address = '';
  let browser: Browser | undefined;
  let page: Page;
  let modelVersion = '';
  let backtestFile = '';
  let eventText = '';

  const cli = (args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 });

  beforeAll(async () => {
    // Chromium and the console bundle: both from the project's own files.
    await run('bash', ['scripts/ensure-tools.sh'], { cwd: ROOT });
    await run(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '-c', 'console/vite.config.ts'], { cwd: ROOT });
    mkdirSync(ARTIFACTS, { recursive: true });

    const events = join(dir, 'cdnow.jsonl');
    eventText = `${(await cdnowEventLines()).trimEnd()}\n${EXTRA_EVENTS}\n`;
    writeFileSync(events, eventText);
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
    const expected = reportJson(populationReport(await statesOf(eventText, day, parameters), day, published!.snapshot, parameters), 'USD');
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
    // NPS with its classes, and the lost customers by reason and competitor with the value lost.
    expect(expected.overall.nps.respondents).toBe(4);
    expect(await text('[data-kpi="nps"]')).toBe(expected.overall.nps.nps!.toFixed(1));
    const nps = expected.overall.nps;
    expect(await page.locator('[data-table="nps"] tbody tr:first-child td').allTextContents()).toEqual(['(all)', '4', '2', '1', '1', nps.nps!.toLocaleString('en-US')]);
    expect(await text('[data-kpi="cancelled"]')).toBe('4');
    expect(await text('[data-kpi="cancelled_clv"]')).toBe(expected.lost.cancelled.historic_clv);
    const lossRows = async (panel: string) =>
      Promise.all((await page.locator(`[data-table="${panel}"] tbody tr`).all()).map(async (row) => (await row.locator('td').allTextContents()).slice(0, 3)));
    const wantLoss = (losses: Record<string, { customers: number; historic_clv: string | null }>) =>
      Object.entries(losses)
        .filter(([, t]) => t.customers > 0)
        .map(([k, t]) => [k, String(t.customers), t.historic_clv ?? '–']);
    expect(await lossRows('lost-by-reason')).toEqual(wantLoss(expected.lost.by_reason));
    expect((await lossRows('lost-by-reason')).map((r) => r[0])).toEqual(['price', 'competitor', 'service']);
    expect(await lossRows('lost-by-competitor')).toEqual(wantLoss({ ...expected.lost.by_competitor, '(none named)': expected.lost.without_competitor }));
    expect((await lossRows('lost-by-competitor')).map((r) => r.slice(0, 2))).toEqual([
      ['RecordsRUs', '2'],
      ['(none named)', '2'],
    ]);

    const retention = await page.locator('[data-table="retention"] tbody tr').count();
    expect(retention).toBe(expected.retention.periods.length);
    expect(retention).toBeGreaterThan(0);
    // Yearly retention and the cohort table (long form: a row per cohort and later period).
    const rowsOf = async (table: string) => Promise.all((await page.locator(`[data-table="${table}"] tbody tr`).all()).map((row) => row.locator('td').allTextContents()));
    const fraction = (v: number | null) => (v === null ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: 4 }));
    expect(await rowsOf('yearly-retention')).toEqual(
      expected.yearly_retention.periods.map((p) => [p.start, p.end, p.active_at_start.toLocaleString('en-US'), p.retained.toLocaleString('en-US'), fraction(p.rate), p.unknown.toLocaleString('en-US')]),
    );
    const cohortCells = expected.cohorts.cohorts.flatMap((k) =>
      k.later.length === 0
        ? [[k.start, k.customers.toLocaleString('en-US'), '–', '–', '–']]
        : k.later.map((cell) => [k.start, k.customers.toLocaleString('en-US'), cell.start, cell.active.toLocaleString('en-US'), fraction(cell.share)]),
    );
    expect(cohortCells.length).toBeGreaterThan(1);
    expect((await rowsOf('cohorts')).map((r) => [r[0], r[2], r[3], r[5], r[7]])).toEqual(cohortCells);
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
      // Every order at COST_PER_ORDER (0.50).
      expect(await page.locator('[data-table="cost-by-activity"] tbody tr:first-child td:nth-child(2)').textContent()).toBe(dollars(50 * c.days.length));
      if (id === '0001') expect(await text('[data-field="purchase_days"]')).toBe(distinct.join(', '));
    }
    // 30, 90 and 365 days, each expecting more purchases than the last.
    const predicted = await page.locator('[data-table="predictions"] tbody tr td:nth-child(2)').allTextContents();
    expect(predicted).toHaveLength(3);
    expect(predicted.map(Number)).toEqual([...predicted.map(Number)].sort((a, b) => a - b));

    await open('#/customers/no-such-customer');
    expect(await text('[role="alert"]')).toContain('No customer "no-such-customer"');
  });

  it("shows every figure of customer 0001's view: the forecast from the published model, cost to serve and complaints", async () => {
    await open('#/customers/0001');
    // Every field the API answers is on the page.
    const response = await fetch(`${address}/customers/0001`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const view = (await response.json()) as Record<string, unknown>;
    const onPage = new Set(await Promise.all((await page.locator('[data-field]').all()).map((e) => e.getAttribute('data-field'))));
    const shownElsewhere = new Set(['as_of', 'currency', 'clv_horizon_days', ...['orders', 'returns', 'interactions'].flatMap((a) => [`cost_${a}_estimated`, `cost_${a}_actual`])]);
    expect(Object.keys(view).filter((f) => !onPage.has(f) && !shownElsewhere.has(f))).toEqual([]);
    expect(await text('[data-field="as_of"]')).toBe(view['as_of']);
    expect(await text('[data-card="value"]')).toContain(`next ${String(view['clv_horizon_days'])} days`);

    // The forecast, from the raw purchases and the published model's parameters.
    const state = connectState(settingsOf({ REDIS_URL: infra.redisUrl, REDIS_KEY_PREFIX: prefix }));
    const model = (await new ModelStore(state.redis, state.keys).current().finally(() => state.close()))!.snapshot;
    const raw = rawCdnow().get('0001')!;
    const days = [...new Set(raw.days)].sort();
    const asOf = await text('[data-field="as_of"]');
    const [x, tx, T] = [days.length - 1, daysBetween(days[0]!, days.at(-1)!), daysBetween(days[0]!, asOf)];
    const mbg = model.purchaseModel === 'mbgnbd';
    expect(await text('[data-field="prediction_model"]')).toBe(mbg ? 'mbgnbd' : 'bgnbd');
    const bgnbd = model.bgnbd!;
    const alive = (mbg ? mbgnbdProbabilityAlive : probabilityAlive)(bgnbd, x, tx, T);
    expect(await text('[data-field="p_alive"]')).toBe(`${(100 * alive).toFixed(1)} %`);
    expect(await text('[data-field="p_alive_reason"]')).toBe('–');
    for (const horizon of [30, 90, 365]) {
      const want = (mbg ? mbgnbdConditionalExpectedPurchases : conditionalExpectedPurchases)(bgnbd, x, tx, T, horizon);
      expect(Number(await text(`[data-field="expected_purchases_${horizon}d"]`))).toBeCloseTo(want, 4);
    }
    expect(Number(await text('[data-field="mean_days_between_purchases"]'))).toBeCloseTo(tx / x, 1);
    const firstDayCents = raw.amounts.filter((_, i) => raw.days[i] === days[0]).reduce((a, b) => a + b, 0);
    const spend = conditionalExpectedSpend(model.gammaGamma!, x, (raw.cents - firstDayCents) / x);
    expect(await text('[data-field="expected_spend_per_purchase"]')).toBe(dollars(Math.round(spend)));
    const median = Number(await text('[data-field="next_purchase_median_days"]'));
    expect(median).toBeGreaterThan(0);
    expect(await text('[data-field="next_purchase_expected"]')).toBe(dayToDate(localDayOf(asOf) + Math.round(median)));
    // Total CLV is the historic plus the predicted over the horizon; the year's prediction is within the horizon's.
    const cents = async (field: string) => Math.round(100 * Number(await text(`[data-field="${field}"]`)));
    expect(await cents('clv_total')).toBe((await cents('clv_historic')) + (await cents('clv_predicted')));
    expect(await cents('clv_predicted_year')).toBeLessThanOrEqual(await cents('clv_predicted'));
    expect(await cents('clv_predicted_year')).toBeGreaterThan(0);

    // Cost to serve and complaints: 4 orders at 0.50, the complaint's own 4.00, the support contact at the table's 2.25.
    const figures = {
      interactions: '2',
      complaints: '1',
      open_complaints: '1',
      last_complaint_at: '1998-02-10T00:00:00.000Z',
      cost_to_serve_estimated: '4.25',
      cost_to_serve_actual: '4.00',
      cost_to_serve: '8.25',
    };
    for (const [field, want] of Object.entries(figures)) expect(await text(`[data-field="${field}"]`), field).toBe(want);
    const costRows = await Promise.all((await page.locator('[data-table="cost-by-activity"] tbody tr').all()).map((row) => row.locator('td').allTextContents()));
    expect(costRows).toEqual([
      ['orders', '2.00', '0.00'],
      ['returns', '0.00', '0.00'],
      ['interactions', '2.25', '4.00'],
      ['total', '4.25', '4.00'],
    ]);
    // Historic CLV: the margin (MARGIN_RATE 30 % of each order) less the cost to serve.
    const margin = raw.amounts.reduce((sum, a) => sum + Math.round(0.3 * a), 0);
    expect(await cents('clv_historic')).toBe(margin - 825);
    await page.screenshot({ path: join(ARTIFACTS, 'customer-0001.png'), fullPage: true });
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
