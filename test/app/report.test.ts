import { describe, expect, it } from 'vitest';
import { reportCsv, reportFromEvents, reportJson, reportTable } from '../../src/app/report.js';
import { lineChartSvg, niceTicks } from '../../src/app/svg-chart.js';
import { statesFromEvents } from '../../src/app/states-from-events.js';
import { evaluate, predictedClvMinor } from '../../src/domain/profile.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import { localDayOf } from '../../src/domain/time.js';
import { TEST_NOW_MS, TEST_RULES, streamOf } from '../support/cdnow-events.js';

const events = [
  { type: 'purchase', event_id: 'p1', customer_id: 'A', occurred_at: '2025-05-10T10:00:00Z', amount: '100.00', currency: 'USD' },
  { type: 'purchase', event_id: 'p2', customer_id: 'A', occurred_at: '2025-06-20T10:00:00Z', amount: '50.00', currency: 'USD' },
  { type: 'feedback', event_id: 'f1', customer_id: 'A', occurred_at: '2025-06-21T10:00:00Z', score: 10 },
  { type: 'purchase', event_id: 'p3', customer_id: 'B', occurred_at: '2025-05-15T10:00:00Z', amount: '20.00', currency: 'USD', cost_to_serve: '1.50' },
  { type: 'interaction', event_id: 'i1', customer_id: 'B', occurred_at: '2025-05-20T10:00:00Z', kind: 'complaint', channel: 'phone', resolved: false, cost: '2.50', currency: 'USD' },
  { type: 'cancellation', event_id: 'c1', customer_id: 'B', occurred_at: '2025-06-01T10:00:00Z', reason: 'competitor', competitor: 'Acme' },
  { type: 'feedback', event_id: 'f2', customer_id: 'C', occurred_at: '2025-06-02T10:00:00Z', score: 2 },
  { type: 'purchase', event_id: 'p4', customer_id: 'D', occurred_at: '2025-07-05T10:00:00Z', amount: '80.00', currency: 'USD' },
];
const text = events.map((e) => JSON.stringify(e)).join('\n') + '\nnot json\n';

describe('report from an event file', () => {
  it('skips later days and invalid lines, and presents money and dates', async () => {
    const run = await reportFromEvents({
      input: streamOf(text),
      rules: TEST_RULES,
      parameters: defaultDomainParameters,
      model: UNFITTED_MODEL,
      nowMs: TEST_NOW_MS,
      asOfDay: localDayOf('2025-06-30'),
    });
    expect(run.skippedAfterAsOf).toBe(1);
    expect(run.events.rejected).toEqual({ malformed_json: 1 });
    expect(run.events.examples[0]).toMatchObject({ line: 9, code: 'malformed_json' });
    const json = reportJson(run.report, 'USD');
    expect(json).toMatchObject({ as_of: '2025-06-30', model_version: 'unfitted', currency: 'USD', customers: 3 });
    // A 10 (promoter), C 2 (detractor): NPS 0.
    expect(json.overall.nps).toEqual({ respondents: 2, promoters: 1, passives: 0, detractors: 1, nps: 0 });
    // Historic CLV: A 30 % of 150.00 = 45.00, B 6.00 − 1.50 − 2.50 = 2.00, C 0 → 47.00 in all.
    expect(json.overall).toMatchObject({ total_historic_clv: '47.00', total_cost_to_serve: '4.00', complaints: 1, complainants: 1 });
    expect(json.overall.complaint_rate).toBeCloseTo(1 / 3, 4);
    // B left with its complaint open: a preventable loss, for the reason and the competitor alike.
    const lostB = { customers: 1, historic_clv: '2.00', net_revenue: '20.00', with_complaints: 1, preventable_share: 1 };
    expect(json.lost.cancelled).toEqual(lostB);
    expect(json.lost.by_reason['competitor']).toEqual(lostB);
    expect(json.lost.by_reason['price']).toMatchObject({ customers: 0, with_complaints: 0, preventable_share: null });
    expect(json.lost.by_competitor).toEqual({ Acme: lostB });
    // Per relationship rung: A is an advocate (promoter) who never complained; B a customer who did.
    expect(json.segments.relationship?.['advocate']).toMatchObject({ customers: 1, complaint_rate: 0, total_cost_to_serve: '0.00' });
    expect(json.segments.relationship?.['customer']).toMatchObject({ customers: 1, complaint_rate: 1, avg_cost_to_serve: '4.00' });
    const last = json.retention.periods.at(-1);
    expect(last).toEqual({ start: '2025-06-01', end: '2025-06-30', active_at_start: 2, retained: 1, rate: 0.5, unknown: 0 });
    const table = reportTable(run.report, 'USD');
    expect(table).toContain('as of 2025-06-30 · model unfitted · 3 customers · money in USD');
    expect(table).toContain('NPS 0.0 (2 respondents: 1 promoters, 0 passives, 1 detractors)');
    expect(table).toMatch(/^ {2}Acme +1 +2\.00 +20\.00 +1 \(100\.0 %\)$/m);
  });

  it('reports as of the latest event day by default', async () => {
    const run = await reportFromEvents({ input: streamOf(text), rules: TEST_RULES, parameters: defaultDomainParameters, model: UNFITTED_MODEL, nowMs: TEST_NOW_MS, asOfDay: null });
    expect(run.report.day).toBe(localDayOf('2025-07-05'));
    expect(run.report.overall.customers).toBe(4);
    // B cancelled on 2025-06-01, 12 days after its complaint: still "with complaints" however late the report.
    expect(run.report.lost.cancelled.withComplaints).toBe(1);
  });
});

describe('SVG line chart', () => {
  it('chooses 1-2-5 ticks that cover the data', () => {
    expect(niceTicks(1882)).toEqual([0, 500, 1000, 1500, 2000]);
    expect(niceTicks(39)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(2000)).toEqual([0, 500, 1000, 1500, 2000]);
    expect(niceTicks(0.7)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });

  it('escapes text and draws one polyline per series', () => {
    const svg = lineChartSvg({
      title: 'a < b & "c"',
      xLabel: 'x',
      yLabel: 'y',
      series: [{ name: 'one', color: '#000', points: [{ x: 0, y: 0 }, { x: 10, y: 5 }] }],
    });
    expect(svg).toContain('a &lt; b &amp; &quot;c&quot;');
    expect(svg).toContain('points="70,370 700,40"'); // y ticks 0…5: the last point is at the top
  });
});

describe('yearly retention and cohorts', () => {
  const yearly = [
    { type: 'purchase', event_id: 'y1', customer_id: 'A', occurred_at: '2024-03-01T10:00:00Z', amount: '10.00', currency: 'USD' },
    { type: 'purchase', event_id: 'y2', customer_id: 'A', occurred_at: '2025-02-01T10:00:00Z', amount: '10.00', currency: 'USD' },
    { type: 'purchase', event_id: 'y3', customer_id: 'B', occurred_at: '2024-05-01T10:00:00Z', amount: '10.00', currency: 'USD' },
    { type: 'purchase', event_id: 'y4', customer_id: 'C', occurred_at: '2025-04-01T10:00:00Z', amount: '10.00', currency: 'USD' },
  ];
  const run = (periodDays?: number, clvRetention?: 'fixed' | 'measured') =>
    reportFromEvents({
      clvRetention,
      input: streamOf(yearly.map((e) => JSON.stringify(e)).join('\n') + '\n'),
      rules: TEST_RULES,
      parameters: defaultDomainParameters,
      model: UNFITTED_MODEL,
      nowMs: TEST_NOW_MS,
      asOfDay: localDayOf('2025-06-30'),
      periodDays,
    });

  it('answers --period-days 365 (the memory holds 384 days, not two years)', async () => {
    const { report } = await run(365);
    expect(reportJson(report, 'USD').retention.periods).toEqual([
      { start: '2024-07-01', end: '2025-06-30', active_at_start: 2, retained: 1, rate: 0.5, unknown: 0 },
    ]);
  });

  it('gives retention per year and the cohort table as JSON, text and CSV', async () => {
    const { report } = await run();
    const json = reportJson(report, 'USD');
    expect(json.yearly_retention.periods.at(-1)).toEqual({ start: '2024-07-01', end: '2025-06-30', active_at_start: 2, retained: 1, rate: 0.5, unknown: 0 });
    expect(json.yearly_retention.periods).toHaveLength(3);
    expect(json.cohorts.cohorts.slice(-2)).toEqual([
      { start: '2023-07-02', end: '2024-06-30', customers: 2, later: [{ start: '2024-07-01', end: '2025-06-30', active: 1, unknown: 0, share: 0.5 }] },
      { start: '2024-07-01', end: '2025-06-30', customers: 1, later: [] },
    ]);
    expect(reportCsv(report, 'yearly_retention').split('\n').at(-2)).toBe('2024-07-01,2025-06-30,365,2,1,0.5,0');
    const cohortCsv = reportCsv(report, 'cohorts').split('\n');
    expect(cohortCsv[0]).toBe('cohort_start,cohort_end,customers,period_start,period_end,active,unknown,share');
    expect(cohortCsv).toContain('2023-07-02,2024-06-30,2,2024-07-01,2025-06-30,1,0,0.5');
    expect(cohortCsv).toContain('2024-07-01,2025-06-30,1,,,,,');
    const text = reportTable(report, 'USD');
    expect(text).toContain('yearly retention (active = bought in the 365 days');
    expect(text).toMatch(/2023-07-02 … 2024-06-30 +2 +50\.0 %/);
  });
});

describe('the simple CLV with the measured yearly retention', () => {
  it('takes the latest year\'s retention instead of RETENTION_RATE when asked, and says which', async () => {
    const lines = [
      { type: 'purchase', event_id: 'm1', customer_id: 'A', occurred_at: '2024-03-01T10:00:00Z', amount: '10.00', currency: 'USD' },
      { type: 'purchase', event_id: 'm2', customer_id: 'A', occurred_at: '2025-02-01T10:00:00Z', amount: '10.00', currency: 'USD' },
      { type: 'purchase', event_id: 'm3', customer_id: 'B', occurred_at: '2024-05-01T10:00:00Z', amount: '10.00', currency: 'USD' },
    ];
    const text = lines.map((e) => JSON.stringify(e)).join('\n') + '\n';
    const options = { rules: TEST_RULES, parameters: defaultDomainParameters, model: UNFITTED_MODEL, nowMs: TEST_NOW_MS, asOfDay: localDayOf('2025-06-30') };
    const fixed = await reportFromEvents({ ...options, input: streamOf(text) });
    const measured = await reportFromEvents({ ...options, input: streamOf(text), clvRetention: 'measured' });
    expect(reportJson(fixed.report, 'USD').clv_retention).toEqual({ source: 'fixed', rate: 0.6 });
    // A bought in both years, B only in the first: 1 of 2.
    expect(reportJson(measured.report, 'USD').clv_retention).toEqual({ source: 'measured', rate: 0.5 });
    const halfConfig = { ...defaultDomainParameters, retentionRate: 0.5 };
    const states = (await statesFromEvents({ ...options, input: streamOf(text) })).states;
    const expected = [...states].reduce(
      (sum, s) => sum + predictedClvMinor(s, evaluate(s, localDayOf('2025-06-30'), UNFITTED_MODEL, halfConfig), UNFITTED_MODEL, halfConfig),
      0,
    );
    expect(measured.report.overall.predictedClvMinor).toBe(expected);
    expect(measured.report.overall.predictedClvMinor).toBeLessThan(fixed.report.overall.predictedClvMinor);
  });
});
