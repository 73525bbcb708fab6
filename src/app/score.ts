/**
 * `clvstream score`: P(alive) and expected repeat purchases over a horizon (and
 * the expected value of a future purchase when the parameters include a
 * Gamma-Gamma model and the file a monetary column) for every row of a summary
 * file, followed by the customer view's forward-looking figures, as CSV with a
 * header:
 *
 *   id,x,t_x,T,p_alive,expected_purchases,expected_purchases_30d,
 *   expected_purchases_90d,expected_purchases_365d,next_purchase_median_days,
 *   mean_days_between_purchases[,expected_purchases_low,expected_purchases_high]
 *   [,expected_spend,clv_predicted_year,clv_predicted[,clv_predicted_low,clv_predicted_high]]
 *
 * The *_low/*_high columns (the 90 % interval, models/uncertainty.ts) come when
 * the parameters carry their covariance (`covariance_log`, which `fit` prints).
 *
 * T, t_x and the horizon in the units of the file and of the parameters; the
 * named day counts in days (`unitDays` per unit of the file).
 */
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { forecastSummaryRow, predictSummary, summaryPredictionIntervals, type SummaryForecastOptions } from '../domain/analytics/summary-forecast.js';
import type { ModelParams } from './fit-result.js';
import type { SummaryFile } from './summary-file.js';

/** RFC 4180 quoting where needed. */
export function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const FORECAST_COLUMNS = 'expected_purchases_30d,expected_purchases_90d,expected_purchases_365d,next_purchase_median_days,mean_days_between_purchases';

export async function writePredictions(
  file: SummaryFile,
  params: ModelParams,
  horizon: number,
  out: Writable,
  forecast: SummaryForecastOptions,
): Promise<number> {
  const withSpend = params.gammaGamma !== null && file.hasMonetary;
  const withIntervals = params.uncertainty.purchase !== null;
  const spendIntervals = withSpend && withIntervals && params.uncertainty.gammaGamma !== null;
  const uncertainty = spendIntervals ? params.uncertainty : { purchase: params.uncertainty.purchase, gammaGamma: null };
  let chunk =
    `id,x,t_x,T,p_alive,expected_purchases,${FORECAST_COLUMNS}` +
    (withIntervals ? ',expected_purchases_low,expected_purchases_high' : '') +
    (withSpend ? ',expected_spend,clv_predicted_year,clv_predicted' : '') +
    (spendIntervals ? ',clv_predicted_low,clv_predicted_high' : '') +
    '\n';
  for (const row of file.rows) {
    const gammaGamma = withSpend ? params.gammaGamma : null;
    const s = predictSummary(params.purchase, gammaGamma, row, horizon);
    const f = forecastSummaryRow(params.purchase, row, s.expectedSpend, forecast);
    const cells = [csvCell(row.id), row.x, row.tx, row.T, s.pAlive, s.expectedPurchases, ...f.expectedPurchases, f.nextPurchaseMedianDays, f.meanDaysBetweenPurchases ?? ''];
    const intervals = withIntervals ? summaryPredictionIntervals(params.purchase, spendIntervals ? gammaGamma : null, uncertainty, row, horizon, forecast) : null;
    if (withIntervals) cells.push(intervals?.expectedPurchases.low ?? '', intervals?.expectedPurchases.high ?? '');
    if (withSpend) cells.push(s.expectedSpend ?? '', f.clvYear ?? '', f.clvHorizon ?? '');
    if (spendIntervals) cells.push(intervals?.clvHorizon?.low ?? '', intervals?.clvHorizon?.high ?? '');
    chunk += cells.join(',') + '\n';
    if (chunk.length > 65_536) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  if (chunk !== '' && !out.write(chunk)) await once(out, 'drain');
  return file.rows.length;
}
