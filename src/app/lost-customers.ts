/**
 * The lost-customer list (`report --lost`, `GET /lost-customers`) as JSON and
 * CSV: money as decimal strings of the base currency, days as dates. The list
 * itself is domain/reports/lost-customers.ts.
 */
import { formatMinorUnits } from '../contracts/minor-units.js';
import type { LostCustomer, LostSortKey } from '../domain/reports/lost-customers.js';
import { dayToDate } from '../domain/time.js';
import { csvCell } from './score.js';

export function lostCustomerJson(row: LostCustomer, currency: string) {
  const money = (minor: number) => formatMinorUnits(minor, currency);
  return {
    customer_id: row.customerId,
    how: row.how,
    left_on: dayToDate(row.leftDay),
    last_purchase: row.lastPurchaseDay === null ? null : dayToDate(row.lastPurchaseDay),
    churn_level: row.churnLevel,
    churn_reasons: [...row.churnReasons],
    cancellation_reason: row.cancellationReason,
    competitor: row.competitor,
    clv_historic: money(row.historicClvMinor),
    predicted_clv_at_leaving: money(row.predictedClvAtLeavingMinor),
    value_lost: money(row.valueLostMinor),
  };
}

export type LostCustomerJson = ReturnType<typeof lostCustomerJson>;

export interface LostListJson {
  readonly as_of: string;
  readonly currency: string;
  readonly sort: LostSortKey;
  /** Every customer who has left; `customers` holds the first `limit` of them (all without a limit). */
  readonly total: number;
  readonly customers: LostCustomerJson[];
}

export function lostListJson(rows: readonly LostCustomer[], total: number, day: number, sort: LostSortKey, currency: string): LostListJson {
  return { as_of: dayToDate(day), currency, sort, total, customers: rows.map((r) => lostCustomerJson(r, currency)) };
}

export const LOST_CSV_COLUMNS = [
  'customer_id',
  'how',
  'left_on',
  'last_purchase',
  'churn_level',
  'churn_reasons',
  'cancellation_reason',
  'competitor',
  'clv_historic',
  'predicted_clv_at_leaving',
  'value_lost',
] as const satisfies readonly (keyof LostCustomerJson)[];

/** CSV with a header; churn reasons joined by ";", nulls empty. */
export function lostListCsv(rows: readonly LostCustomer[], currency: string): string {
  return lostListCsvFromJson(rows.map((r) => lostCustomerJson(r, currency)));
}

export function lostListCsvFromJson(rows: readonly LostCustomerJson[]): string {
  let text = LOST_CSV_COLUMNS.join(',') + '\n';
  for (const json of rows) {
    text +=
      LOST_CSV_COLUMNS.map((c) => {
        const v = json[c];
        return csvCell(v === null ? '' : Array.isArray(v) ? v.join(';') : String(v));
      }).join(',') + '\n';
  }
  return text;
}
