import { describe, expect, it } from 'vitest';
import { parseParams } from '../../src/app/fit-result.js';
import { writePredictions, csvCell } from '../../src/app/score.js';
import { conditionalExpectedPurchases } from '../../src/domain/models/index.js';
import { readSummaryFile, SummaryFileError } from '../../src/app/summary-file.js';
import { Writable } from 'node:stream';
import { streamOf } from '../support/cdnow-events.js';
import { readFileSync } from 'node:fs';
import { fitSummaryFile } from '../../src/app/fit-summary.js';

const read = (text: string) => readSummaryFile(streamOf(text), 'in.csv');

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

describe('summary files (lifetimes layout)', () => {
  it('reads frequency,recency,T,monetary_value with a pandas index column', async () => {
    const file = await read(',frequency,recency,T,monetary_value\nc1,2,30.43,38.86,22.35\nc2,0,0,38.86,0\n');
    expect(file).toEqual({
      hasMonetary: true,
      hasId: true,
      rows: [
        { id: 'c1', line: 2, x: 2, tx: 30.43, T: 38.86, zbar: 22.35 },
        { id: 'c2', line: 3, x: 0, tx: 0, T: 38.86, zbar: 0 },
      ],
    });
  });

  it('reads x,t_x,T[,zbar] in any order and case, ignores other columns, numbers rows without an id', async () => {
    const file = await read('T,note,X,T_X\r\n10,"a, b",1,4\r\n\r\n12,,3,12\r\n');
    expect(file.hasMonetary).toBe(false);
    expect(file.rows).toEqual([
      { id: '1', line: 2, x: 1, tx: 4, T: 10, zbar: null },
      { id: '2', line: 4, x: 3, tx: 12, T: 12, zbar: null },
    ]);
  });

  it.each([
    ['', /empty file/],
    ['x,t_x,T\n', /no customer rows/],
    ['frequency,T\n1,2\n', /line 1: the header \(frequency,T\) lacks recency \(or t_x\)/],
    ['x,frequency,t_x,T\n1,1,2,3\n', /line 1: columns 1 \(x\) and 2 \(frequency\) both give x/],
    ['x,t_x,T\n1,2,3\n1.5,2,3\n', /line 3: column 1 \(x\): "1.5" is not a whole number/],
    ['x,t_x,T\n1,2,3\n\n2,-1,3\n', /line 4: column 2 \(t_x\): "-1" is not a non-negative number/],
    ['x,t_x,T\n1,5,3\n', /line 2: columns 2 and 3: recency 5 is after T 3/],
    ['x,t_x,T,zbar\n1,2,3\n', /line 2: column 4 \(zbar\): missing value/],
    ['x,t_x,T\n1,2,abc\n', /line 2: column 3 \(T\): "abc"/],
    ['x,t_x,T\n1,2,"3\n', /in\.csv: .*(quote|Quote)/],
  ])('rejects %j naming the line and column', async (text, message) => {
    const attempt = read(text);
    await expect(attempt).rejects.toThrow(SummaryFileError);
    await expect(attempt).rejects.toThrow(message);
  });
});

describe('fit output and scores', () => {
  it('reads the parameters printed by fit, with or without Gamma-Gamma', () => {
    const json = JSON.stringify({ bgnbd: { r: 0.24, alpha: 4.4, a: 0.79, b: 2.4, log_likelihood: -1 }, gamma_gamma: null, diagnostics: {} });
    expect(parseParams(json, 'p.json')).toEqual({
      purchase: { kind: 'bgnbd', params: { r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 } },
      gammaGamma: null,
      uncertainty: { purchase: null, gammaGamma: null },
    });
    expect(() => parseParams('{"bgnbd": null}', 'p.json')).toThrow(/p\.json: not the output of `clvstream fit` with a fitted BG\/NBD: bgnbd/);
    // purchase_model names the parameters to score with.
    const modified = JSON.stringify({ purchase_model: 'mbgnbd', bgnbd: { r: 1, alpha: 1, a: 1, b: 1 }, mbgnbd: { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 } });
    expect(parseParams(modified, 'p.json')).toMatchObject({ purchase: { kind: 'mbgnbd', params: { r: 0.525, alpha: 6.183 } } });
    // … the Pareto/NBD too, with its own parameter names and its covariance.
    const covariance = [[0.01, 0, 0, 0], [0, 0.02, 0, 0], [0, 0, 0.03, 0], [0, 0, 0, 0.04]];
    const pareto = JSON.stringify({ purchase_model: 'pnbd', pnbd: { r: 0.553, alpha: 10.58, s: 0.606, beta: 11.67, covariance_log: covariance } });
    expect(parseParams(pareto, 'p.json')).toMatchObject({ purchase: { kind: 'pnbd', params: { s: 0.606, beta: 11.67 } }, uncertainty: { purchase: covariance } });
    expect(() => parseParams(JSON.stringify({ purchase_model: 'pnbd', bgnbd: { r: 1, alpha: 1, a: 1, b: 1 } }), 'p.json')).toThrow(/fitted Pareto\/NBD: pnbd: no parameters/);
    expect(() => parseParams('{"bgnbd": {"r": -1, "alpha": 1, "a": 1, "b": 1}}', 'p.json')).toThrow(/bgnbd\.r/);
    expect(() => parseParams('nope', 'p.json')).toThrow(/p\.json: not JSON/);
  });

  it('writes one CSV row per customer, quoting ids where needed', async () => {
    const file = await read('customer_id,x,t_x,T,zbar\n"a,1",2,30.43,38.86,22.35\nb,0,0,38.86,0\n');
    const out = new Sink();
    const params = {
      purchase: { kind: 'bgnbd' as const, params: { r: 0.2426, alpha: 4.4135, a: 0.7929, b: 2.4258 } },
      gammaGamma: { p: 6.25, q: 3.74, v: 15.44 },
      uncertainty: { purchase: null, gammaGamma: null },
    };
    const options = { unitDays: 7, marginRate: 0.3, horizonDays: 1095, periodDays: 91, annualDiscountRate: 0.1 };
    expect(await writePredictions(file, params, 39, out, options)).toBe(2);
    const [header, first, second] = out.text.trim().split('\n');
    expect(header).toBe(
      'id,x,t_x,T,p_alive,expected_purchases,expected_purchases_30d,expected_purchases_90d,expected_purchases_365d,next_purchase_median_days,mean_days_between_purchases,expected_spend,clv_predicted_year,clv_predicted',
    );
    const cells = first!.split(/,(?=[^"]*(?:"[^"]*"[^"]*)*$)/);
    expect(cells.slice(0, 4)).toEqual(['"a,1"', '2', '30.43', '38.86']);
    expect(Number(cells[4])).toBeCloseTo(0.7266, 4);
    expect(Number(cells[5])).toBeCloseTo(1.226, 3);
    // 273 days are the 39 weeks: the day columns are the weekly model scaled (α × 7, times × 7).
    const weeks = (d: number) => conditionalExpectedPurchases(params.purchase.params, 2, 30.43, 38.86, d / 7);
    expect(Number(cells[6])).toBeCloseTo(weeks(30), 12);
    expect(Number(cells[8])).toBeCloseTo(weeks(365), 12);
    expect(Number(cells[9])).toBeCloseTo(7 * (4.4135 + 38.86) * (Math.pow(2, 1 / 2.2426) - 1), 8);
    expect(Number(cells[10])).toBeCloseTo((30.43 * 7) / 2, 10);
    expect(Number(cells[11])).toBeCloseTo(24.66, 2);
    expect(Number(cells[12])).toBeGreaterThan(0);
    expect(Number(cells[13])).toBeGreaterThan(Number(cells[12]));
    const other = second!.split(',');
    expect(other.slice(0, 5)).toEqual(['b', '0', '0', '38.86', '1']);
    expect(Number(other[5])).toBeCloseTo(0.19, 2);
    expect(other[10]).toBe(''); // no repeat: no interval
    expect(Number(other[11])).toBeCloseTo((6.25 * 15.44) / 2.74, 10);
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  });
  it('adds 90 % intervals of the expected purchases and the CLV when the parameters carry their covariance (CDNOW fit)', async () => {
    const summary = readFileSync(new URL('../../data/cdnow/cdnow_customers_summary_with_transactions.csv', import.meta.url), 'utf8');
    const fitted = fitSummaryFile(await readSummaryFile(streamOf(summary), 'cdnow.csv'), {});
    for (const kind of ['bgnbd', 'pnbd'] as const) {
      const params = parseParams(JSON.stringify({ ...fitted, purchase_model: kind }), 'fit.json');
      expect(params.uncertainty.purchase).not.toBeNull();
      const out = new Sink();
      const options = { unitDays: 7, marginRate: 0.3, horizonDays: 1095, periodDays: 91, annualDiscountRate: 0.1 };
      await writePredictions(await readSummaryFile(streamOf(summary), 'cdnow.csv'), params, 39, out, options);
      const [header, ...rows] = out.text.trim().split('\n');
      const columns = header!.split(',');
      const at = (name: string) => columns.indexOf(name);
      for (const name of ['expected_purchases_low', 'expected_purchases_high', 'clv_predicted_low', 'clv_predicted_high']) expect(at(name)).toBeGreaterThan(0);
      expect(rows).toHaveLength(2357);
      for (const row of rows) {
        const cells = row.split(',').map(Number);
        const [low, point, high] = [cells[at('expected_purchases_low')]!, cells[at('expected_purchases')]!, cells[at('expected_purchases_high')]!];
        expect(low).toBeGreaterThan(0);
        expect(low).toBeLessThanOrEqual(point);
        expect(high).toBeGreaterThanOrEqual(point);
        if (cells[at('x')]! > 0) {
          expect(cells[at('clv_predicted_low')]).toBeLessThanOrEqual(cells[at('clv_predicted')]!);
          expect(cells[at('clv_predicted_high')]).toBeGreaterThanOrEqual(cells[at('clv_predicted')]!);
        }
      }
    }
  });
});

