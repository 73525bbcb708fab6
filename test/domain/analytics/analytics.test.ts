import { describe, expect, it } from 'vitest';
import { quintileBounds, RfmCollector } from '../../../src/domain/analytics/cut-points.js';
import { calibrationHoldoutTable, cumulativeTracking, weeklyPoints } from '../../../src/domain/analytics/holdout.js';
import { fitPopulation, SummaryBuffer } from '../../../src/domain/analytics/population-fit.js';
import { exclusionOf, PopulationSample } from '../../../src/domain/analytics/population-sample.js';
import { predictSummary } from '../../../src/domain/analytics/summary-forecast.js';
import { conditionalExpectedPurchases, conditionalExpectedSpend, probabilityAlive, type BgNbdParams } from '../../../src/domain/models/index.js';
import { DAY0, feedback, fold, purchase } from '../fixtures.js';
import { PUBLISHED, loadCdnow } from '../models/cdnow.js';

const relative = (actual: number, expected: number) => Math.abs(actual - expected) / Math.abs(expected);
const WEEKLY: BgNbdParams = { r: 0.2426, alpha: 4.4135, a: 0.7929, b: 2.4258 };
const WEEKLY_MODEL = { kind: 'bgnbd' as const, params: WEEKLY };

describe('quintile cut points (nearest rank)', () => {
  it('takes the ⌈k·n/5⌉-th smallest value', () => {
    expect(quintileBounds(Float64Array.from([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]))).toEqual([2, 4, 6, 8]);
    expect(quintileBounds(Float64Array.from([5]))).toEqual([5, 5, 5, 5]);
    // n = 7: ranks 2, 3, 5, 6.
    expect(quintileBounds(Float64Array.from([70, 10, 60, 20, 50, 30, 40]))).toEqual([20, 30, 50, 60]);
    expect(quintileBounds(new Float64Array(0))).toBeNull();
  });

  it('repeats a cut under ties and never splits a value between scores', () => {
    expect(quintileBounds(Float64Array.from([1, 1, 1, 1, 1, 1, 2, 2, 3, 9]))).toEqual([1, 1, 1, 2]);
  });

  it('collects R, F, M of buyers', () => {
    const c = new RfmCollector();
    expect(c.cutPoints()).toBeNull();
    for (let i = 1; i <= 5; i++) c.push(i * 10, i, i * 1_000);
    expect(c.buyers).toBe(5);
    expect(c.cutPoints()).toEqual({ recency: [10, 20, 30, 40], frequency: [1, 2, 3, 4], monetary: [1_000, 2_000, 3_000, 4_000] });
  });
});

describe('population fit', () => {
  const cdnow = loadCdnow();
  const buffer = new SummaryBuffer();
  for (const c of cdnow) buffer.push(c.x, c.t_x, c.T, c.zbar);

  it('fits BG/NBD and Gamma-Gamma on the published CDNOW summary (weeks, dollars)', () => {
    const fit = fitPopulation(buffer);
    expect(fit).toMatchObject({ customers: 2357, repeatBuyers: 946, minRepeatBuyers: 50, l2Penalty: 0, warnings: [] });
    if (fit.bgnbd.status !== 'fitted' || fit.gammaGamma.status !== 'fitted') throw new Error('not fitted');
    expect(fit.bgnbd.params.r).toBeCloseTo(PUBLISHED.bgnbd.r, 3);
    expect(fit.bgnbd.params.alpha).toBeCloseTo(PUBLISHED.bgnbd.alpha, 3);
    expect(fit.bgnbd.logLikelihood).toBeCloseTo(PUBLISHED.bgnbd.logLikelihood, 1);
    expect(fit.gammaGamma.params.p).toBeCloseTo(PUBLISHED.gammaGamma.p, 2);
    expect(fit.gammaGamma.customers).toBe(946);
  });

  it('says why a model is missing', () => {
    const fit = fitPopulation(buffer, { minRepeatBuyers: 947 });
    expect(fit.bgnbd).toEqual({ status: 'insufficient-data', reason: 'BG/NBD: 946 repeat buyers, at least 947 needed (and at least one)' });
    expect(fit.gammaGamma.status).toBe('insufficient-data');
    expect(fit.repeatBuyers).toBe(946);
    const noMoney = new SummaryBuffer();
    for (const c of cdnow) noMoney.push(c.x, c.t_x, c.T, null);
    const bgOnly = fitPopulation(noMoney);
    expect(bgOnly.bgnbd.status).toBe('fitted');
    expect(bgOnly.gammaGamma).toEqual({ status: 'no-monetary-value', reason: 'Gamma-Gamma: the input has no monetary value' });
  });

  it('grows its columns and reads rows back', () => {
    const b = new SummaryBuffer();
    for (let i = 0; i < 5000; i++) b.push(i % 3, 0, 10, i % 2 === 0 ? 1.5 : null);
    expect(b.length).toBe(5000);
    expect(b.row(4999)).toEqual({ x: 1, tx: 0, T: 10, zbar: null });
    expect([...b.spend()].length).toBe(1666); // x > 0 with a value: i ≡ 2, 4 (mod 6)
  });
});

describe('population sample from states', () => {
  it('takes summaries as of the day and says who is left out', () => {
    const sample = new PopulationSample(DAY0 + 100);
    const repeat = fold([purchase('A', 0, 1_000), purchase('A', 40, 3_000), purchase('A', 40, 1_000)]).state;
    expect(sample.add(repeat)).toBeNull();
    expect(sample.add(fold([feedback('P', 5, 9)]).state)).toBe('no_purchase');
    expect(sample.add(fold([purchase('L', 120, 1_000)]).state)).toBe('first_purchase_after_as_of');
    expect(sample.add(fold([purchase('M', 10, 1_000), purchase('M', 110, 1_000)]).state)).toBe('purchases_after_as_of');
    expect(sample.excluded).toEqual({ no_purchase: 1, first_purchase_after_as_of: 1, purchases_after_as_of: 1 });
    // x = 1 repeat day, t_x = 40, T = 100, zbar = 4,000 cents; R = 60 days, F = 3 orders, M = 5,000.
    expect(sample.summaries.row(0)).toEqual({ x: 1, tx: 40, T: 100, zbar: 4_000 });
    expect(sample.rfm.cutPoints()).toEqual({ recency: [60, 60, 60, 60], frequency: [3, 3, 3, 3], monetary: [5_000, 5_000, 5_000, 5_000] });
    expect(exclusionOf(repeat, DAY0 + 40)).toBeNull();
  });
});

describe('calibration/holdout table', () => {
  const customers = [
    { x: 0, tx: 0, T: 30, holdoutDays: [] },
    { x: 0, tx: 0, T: 35, holdoutDays: [3] },
    { x: 2, tx: 20, T: 30, holdoutDays: [1, 8, 39] },
    { x: 9, tx: 29, T: 30, holdoutDays: [40, 2] }, // day 40 is past the horizon of 39
  ];

  it('groups by calibration repeat purchases (0 … 7+) with actual and expected holdout purchases', () => {
    const table = calibrationHoldoutTable(customers, WEEKLY_MODEL, 39);
    expect(table.groups.map((g) => g.label)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7+']);
    expect(table.groups.map((g) => [g.customers, g.actual])).toEqual([[2, 1], [0, 0], [1, 3], [0, 0], [0, 0], [0, 0], [0, 0], [1, 1]]);
    const expected = (c: (typeof customers)[number]) => conditionalExpectedPurchases(WEEKLY, c.x, c.tx, c.T, 39);
    expect(table.groups[0]!.predicted).toBeCloseTo(expected(customers[0]!) + expected(customers[1]!), 12);
    expect(table.groups[7]!.predicted).toBeCloseTo(expected(customers[3]!), 12);
    expect(table.total).toMatchObject({ label: 'total', customers: 4, actual: 5 });
    expect(table.total.predicted).toBeCloseTo(customers.reduce((s, c) => s + expected(c), 0), 12);
  });

  it('tracks cumulative actual and expected purchases; the last point is the table total', () => {
    const points = weeklyPoints(39);
    expect(points).toEqual([7, 14, 21, 28, 35, 39]);
    expect(weeklyPoints(14)).toEqual([7, 14]);
    const tracking = cumulativeTracking(customers, WEEKLY_MODEL, points);
    expect(tracking.map((p) => p.actual)).toEqual([3, 4, 4, 4, 4, 5]);
    const last = tracking.at(-1)!;
    expect(last.predicted).toBeCloseTo(calibrationHoldoutTable(customers, WEEKLY_MODEL, 39).total.predicted, 9);
    for (let i = 1; i < tracking.length; i++) expect(tracking[i]!.predicted).toBeGreaterThan(tracking[i - 1]!.predicted);
  });
});

describe('scoring', () => {
  it('gives P(alive), expected purchases and, with a spend model, expected spend', () => {
    const gg = { p: 6.25, q: 3.74, v: 15.44 };
    const s = predictSummary(WEEKLY_MODEL, gg, { x: 2, tx: 30.43, T: 38.86, zbar: 22.35 }, 39);
    expect(s.pAlive).toBe(probabilityAlive(WEEKLY, 2, 30.43, 38.86));
    expect(s.expectedPurchases).toBeCloseTo(PUBLISHED.expectedPurchases.value, 3);
    expect(relative(s.expectedSpend!, conditionalExpectedSpend(gg, 2, 22.35))).toBe(0);
    expect(predictSummary(WEEKLY_MODEL, null, { x: 0, tx: 0, T: 10, zbar: 5 }, 39)).toMatchObject({ pAlive: 1, expectedSpend: null });
  });
});
