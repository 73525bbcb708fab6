// Issue 26, point 5: the file commands score with a fitted model. `fit --events`
// fits on an event file and writes a model file (parameters of both purchase
// models, the chosen one, the Gamma-Gamma, the RFM cut points, a version);
// `replay`, `report` and `backtest --model` then score exactly as the service
// would with that version. Before, they always used the fixed default cut points
// and no model: CDNOW's customer 0001 showed at_risk / cooling there, and
// loyal_customers / active in the service after a fit.
import { beforeAll, describe, expect, it } from 'vitest';
import { backtest } from '../../src/app/backtest.js';
import { fitFromEvents, type FitEventsOutcome } from '../../src/app/fit-events.js';
import { parseModelFile } from '../../src/app/fit-result.js';
import { reportFromEvents } from '../../src/app/report.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { UNFITTED_MODEL, type ModelSnapshot } from '../../src/domain/model-snapshot.js';
import { evaluate } from '../../src/domain/profile.js';
import { localDayOf } from '../../src/domain/time.js';
import { MemoryProcessor } from '../../src/pipeline/memory-processor.js';
import { pnbdProbabilityAlive } from '../../src/domain/models/index.js';
import { readEventFile } from '../../src/app/event-file.js';
import { TEST_NOW_MS, TEST_RULES, cdnowEventLines, streamOf } from '../support/cdnow-events.js';

let lines: string;
let fitted: FitEventsOutcome;
let model: ModelSnapshot;
const END = localDayOf('1998-06-30');

beforeAll(async () => {
  lines = await cdnowEventLines();
  fitted = await fitFromEvents({
    open: () => streamOf(lines),
    rules: TEST_RULES,
    parameters: defaultDomainParameters,
    nowMs: TEST_NOW_MS,
    asOfDay: null,
    holdoutDays: 273,
    version: 'cdnow-test',
    now: new Date(TEST_NOW_MS),
  });
  model = parseModelFile(JSON.stringify(fitted.output), 'fit.json', 'USD');
}, 60_000);

async function customer(id: string, m: ModelSnapshot) {
  const processor = new MemoryProcessor({ model: m, parameters: defaultDomainParameters });
  await readEventFile(streamOf(lines), TEST_RULES, TEST_NOW_MS, (input) => processor.apply(input));
  const state = processor.states.get(id)!;
  return evaluate(state, END, m, defaultDomainParameters);
}

describe('fit --events on CDNOW', () => {
  it('writes a model file: version, days and minor units, both purchase models, the chosen one, cut points', () => {
    const out = fitted.output;
    expect(fitted.declined).toBeNull();
    expect(out).toMatchObject({ version: 'cdnow-test', as_of: '1998-06-30', time_unit: 'days', money_unit: 'USD minor units', purchase_model: 'bgnbd' });
    expect(out.bgnbd).not.toBeNull();
    expect(out.mbgnbd).not.toBeNull();
    expect(out.cut_points).toEqual({ recency: [152, 442, 486, 512], frequency: [1, 1, 2, 4], monetary: [1536, 3195, 5925, 13049] });
    expect(model).toMatchObject({ version: 'cdnow-test', purchaseModel: 'bgnbd', cutPoints: out.cut_points });
    expect(model.bgnbd).toEqual({ r: out.bgnbd!.r, alpha: out.bgnbd!.alpha, a: out.bgnbd!.a, b: out.bgnbd!.b });
  });

  it("reports both purchase models' log-likelihood and holdout error (the last 273 days held out once)", () => {
    const { comparison, holdout } = fitted.output;
    expect(holdout).toEqual({ calibration_end: '1997-09-30', holdout_end: '1998-06-30', days: 273 });
    for (const kind of ['bgnbd', 'mbgnbd'] as const) {
      expect(comparison[kind].log_likelihood).toBeLessThan(0);
      expect(comparison[kind].holdout).toMatchObject({ customers: 2357, actual: 1882 });
    }
    // The BG/NBD's figure of docs/analytics.md; measured for the modified BG/NBD.
    expect(comparison.bgnbd.holdout!.predicted).toBeCloseTo(1653.4, 1);
    expect(comparison.mbgnbd.holdout!.predicted).toBeCloseTo(1576.7, 1);
  });

  it('reports the Pareto/NBD beside them: its parameters (days) and log-likelihood', () => {
    const out = fitted.output;
    // The model file is fitted on all 78 weeks, so these are not FHL 2005's calibration-period figures
    // (test/domain/models/pnbd.test.ts reproduces those); r and s are unit-free, α and β in days.
    expect(out.pnbd).not.toBeNull();
    expect(out.pnbd!.r).toBeGreaterThan(0);
    expect(out.pnbd!.alpha).toBeGreaterThan(7);
    expect(out.diagnostics.pnbd).toMatchObject({ status: 'fitted', converged: true, customers: 2357 });
    expect(out.comparison.pnbd).toMatchObject({ log_likelihood: out.pnbd!.log_likelihood, holdout: { customers: 2357, actual: 1882 } });
    expect(out.comparison.pnbd.holdout!.predicted).toBeCloseTo(1665.5, 1);
    // Every model comes with the standard errors of its parameters.
    for (const params of [out.bgnbd!, out.mbgnbd!, out.pnbd!, out.gamma_gamma!]) {
      expect(params.standard_errors).not.toBeNull();
      for (const se of Object.values(params.standard_errors!)) expect(Number.isFinite(se) && se > 0).toBe(true);
    }
    expect(out.comparison.pnbd.log_likelihood).toBeLessThan(0);
    expect(out.comparison.pnbd.log_likelihood).not.toBe(out.comparison.bgnbd.log_likelihood);
  });

  it('--purchase-model mbgnbd: the model file holds the modified BG/NBD, and one-time buyers get a P(alive)', async () => {
    const mbg = await fitFromEvents({
      open: () => streamOf(lines),
      rules: TEST_RULES,
      parameters: defaultDomainParameters,
      nowMs: TEST_NOW_MS,
      asOfDay: null,
      holdoutDays: null,
      purchaseModel: 'mbgnbd',
      version: 'cdnow-mbg',
      now: new Date(TEST_NOW_MS),
    });
    const snapshot = parseModelFile(JSON.stringify(mbg.output), 'fit.json', 'USD');
    expect(snapshot.purchaseModel).toBe('mbgnbd');
    expect(snapshot.bgnbd).toEqual({ r: mbg.output.mbgnbd!.r, alpha: mbg.output.mbgnbd!.alpha, a: mbg.output.mbgnbd!.a, b: mbg.output.mbgnbd!.b });
    const oneTime = await customer('0003', snapshot);
    expect(oneTime.summary?.x).toBe(0);
    expect(oneTime.pAlive).toBeGreaterThan(0);
    expect(oneTime.pAlive).toBeLessThan(1);
  });
});

describe('choosing the purchase model', () => {
  it('--choose-by holdout: the smallest mean absolute holdout error per customer (the Pareto/NBD on CDNOW) becomes the model file\'s', async () => {
    const chosen = await fitFromEvents({
      open: () => streamOf(lines),
      rules: TEST_RULES,
      parameters: defaultDomainParameters,
      nowMs: TEST_NOW_MS,
      asOfDay: null,
      holdoutDays: 273,
      chooseByHoldout: true,
      now: new Date(TEST_NOW_MS),
    });
    const out = chosen.output;
    const errors = (['bgnbd', 'mbgnbd', 'pnbd'] as const).map((k) => out.comparison[k].holdout!.mean_absolute_error);
    expect(out.purchase_model).toBe('pnbd');
    expect(out.comparison.pnbd.holdout!.mean_absolute_error).toBe(Math.min(...errors));
    expect(out.chosen_by).toBe('holdout');
    // The default version name says which model scores with it.
    expect(out.version).toMatch(/^fit-\d{8}T\d{6}\.\d{3}Z-pnbd$/);
    expect(out.backtest).toMatchObject({ best: 'pnbd', chosen: 'pnbd', cohort: 2357 });
    expect(fitted.output.chosen_by).toBe('option');
  });

  it('a Pareto/NBD model file scores with the Pareto/NBD\'s formulas: P(alive), expectations, CLV', async () => {
    const pareto = await fitFromEvents({
      open: () => streamOf(lines),
      rules: TEST_RULES,
      parameters: defaultDomainParameters,
      nowMs: TEST_NOW_MS,
      asOfDay: null,
      holdoutDays: null,
      purchaseModel: 'pnbd',
      version: 'cdnow-pnbd',
      now: new Date(TEST_NOW_MS),
    });
    const snapshot = parseModelFile(JSON.stringify(pareto.output), 'fit.json', 'USD');
    const p = pareto.output.pnbd!;
    expect(snapshot).toMatchObject({ purchaseModel: 'pnbd', bgnbd: null, pnbd: { r: p.r, alpha: p.alpha, s: p.s, beta: p.beta } });
    expect(snapshot.uncertainty?.purchase).toEqual(p.covariance_log);
    for (const id of ['0001', '0003']) {
      const profile = await customer(id, snapshot);
      const s = profile.summary!;
      expect(profile.pAlive).toBe(pnbdProbabilityAlive(snapshot.pnbd!, s.x, s.tx, s.T));
      expect(profile.modelVersion).toBe('cdnow-pnbd');
    }
    // The one-time buyer 0003 has a P(alive) below 1 (the BG/NBD would say 1 and leave it out).
    expect((await customer('0003', snapshot)).pAlive).toBeLessThan(1);
  });
});

describe('scoring with a model file', () => {
  it('customer 0001 scores with the population cut points and P(alive), as the service would with that version', async () => {
    const without = await customer('0001', UNFITTED_MODEL);
    const withModel = await customer('0001', model);
    expect([without.segments.rfm_segment, without.churn.level, without.pAlive]).toEqual(['at_risk', 'cooling', null]);
    expect([withModel.segments.rfm_segment, withModel.churn.level, withModel.modelVersion]).toEqual(['loyal_customers', 'active', 'cdnow-test']);
    expect(withModel.pAlive).toBeGreaterThan(0.6);
  });

  it('report --model counts segments with it', async () => {
    const run = await reportFromEvents({ input: streamOf(lines), rules: TEST_RULES, parameters: defaultDomainParameters, model, nowMs: TEST_NOW_MS, asOfDay: null });
    expect(run.report.modelVersion).toBe('cdnow-test');
  });

  it('backtest --model tabulates the model file\'s predictions beside the calibration fits', async () => {
    const result = await backtest({
      input: streamOf(lines),
      rules: TEST_RULES,
      parameters: defaultDomainParameters,
      nowMs: TEST_NOW_MS,
      calibrationEndDay: localDayOf('1997-09-30'),
      holdoutEndDay: END,
      model,
    });
    expect(result.modelFile).toMatchObject({ version: 'cdnow-test', purchaseModel: 'bgnbd', error: { actual: 1882 } });
    expect(result.table!.total.predicted).toBeCloseTo(result.modelFile!.error.predicted, 6);
  });

  it('refuses a file that is not a model for the streaming model, naming why', () => {
    const summaryFit = { ...fitted.output, time_unit: 'as in the input' };
    expect(() => parseModelFile(JSON.stringify(summaryFit), 'weeks.json', 'USD')).toThrow(/weeks\.json: .*time_unit.*days/);
    expect(() => parseModelFile(JSON.stringify(fitted.output), 'fit.json', 'EUR')).toThrow(/money unit "USD minor units", but BASE_CURRENCY is EUR/);
    expect(() => parseModelFile(JSON.stringify({ ...fitted.output, mbgnbd: null, purchase_model: 'mbgnbd' }), 'fit.json', 'USD')).toThrow(/mbgnbd but its parameters are missing/);
  });
});
