/**
 * `clvstream score`: P(alive) and expected repeat purchases over a horizon (and
 * the expected value of a future purchase when the parameters include a
 * Gamma-Gamma model and the file a monetary column) for every row of a summary
 * file, as CSV with a header:
 *
 *   id,x,t_x,T,p_alive,expected_purchases[,expected_spend]
 *
 * Times (T, t_x, the horizon) in the units of the file and of the parameters.
 */
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { scoreCustomer } from '../domain/analytics/score.js';
import type { ModelParams } from './fit-result.js';
import type { SummaryFile } from './summary-file.js';

/** RFC 4180 quoting where needed. */
export function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function writeScores(file: SummaryFile, params: ModelParams, horizon: number, out: Writable): Promise<number> {
  const withSpend = params.gammaGamma !== null && file.hasMonetary;
  let chunk = `id,x,t_x,T,p_alive,expected_purchases${withSpend ? ',expected_spend' : ''}\n`;
  for (const row of file.rows) {
    const s = scoreCustomer(params.bgnbd, withSpend ? params.gammaGamma : null, row, horizon, params.purchaseModel);
    const cells = [csvCell(row.id), row.x, row.tx, row.T, s.pAlive, s.expectedPurchases];
    if (withSpend) cells.push(s.expectedSpend ?? '');
    chunk += cells.join(',') + '\n';
    if (chunk.length > 65_536) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  if (chunk !== '' && !out.write(chunk)) await once(out, 'drain');
  return file.rows.length;
}
