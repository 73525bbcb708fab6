/**
 * The CDNOW calibration summary (data/cdnow, times in weeks) for the model
 * tests, and the figures published for it (Fader, Hardie & Lee 2005; the same
 * numbers the `lifetimes` documentation prints).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CdnowCustomer {
  readonly id: number;
  readonly x: number;
  readonly t_x: number;
  readonly T: number;
  readonly zbar: number;
}

const path = fileURLToPath(new URL('../../../data/cdnow/cdnow_customers_summary_with_transactions.csv', import.meta.url));

export function loadCdnow(): CdnowCustomer[] {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  if (header !== 'ID,x,t_x,T,zbar') throw new Error(`unexpected header ${header}`);
  return lines.map((line) => {
    const [id, x, t_x, T, zbar] = line.split(',').map(Number);
    return { id: id!, x: x!, t_x: t_x!, T: T!, zbar: zbar! };
  });
}

export const PUBLISHED = {
  bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426, logLikelihood: -9582.4 },
  /** x = 2, t_x = 30.43, T = 38.86, next 39 weeks. */
  expectedPurchases: { x: 2, t_x: 30.43, T: 38.86, t: 39, value: 1.226 },
  gammaGamma: { p: 6.25, q: 3.74, v: 15.44, repeatBuyers: 946 },
  conditionalSpendFirstTen: [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17],
} as const;
