import { describe, expect, it } from 'vitest';
import { lostListCsv, lostListJson } from '../../src/app/lost-customers.js';
import { statesFromEvents } from '../../src/app/states-from-events.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import { LostCustomerList } from '../../src/domain/reports/lost-customers.js';
import { localDayOf } from '../../src/domain/time.js';
import { TEST_NOW_MS, TEST_RULES, streamOf } from '../support/cdnow-events.js';

const events = [
  { type: 'purchase', event_id: 'p1', customer_id: 'A', occurred_at: '2025-05-10T10:00:00Z', amount: '100.00', currency: 'USD' },
  { type: 'purchase', event_id: 'p2', customer_id: 'A', occurred_at: '2025-06-20T10:00:00Z', amount: '50.00', currency: 'USD' },
  { type: 'purchase', event_id: 'p3', customer_id: 'B,2', occurred_at: '2025-05-15T10:00:00Z', amount: '20.00', currency: 'USD' },
  { type: 'cancellation', event_id: 'c1', customer_id: 'B,2', occurred_at: '2025-06-01T10:00:00Z', reason: 'competitor', competitor: 'Acme' },
  { type: 'purchase', event_id: 'p4', customer_id: 'D', occurred_at: '2026-06-01T10:00:00Z', amount: '80.00', currency: 'USD' },
  { type: 'feedback', event_id: 'f1', customer_id: 'E', occurred_at: '2025-06-02T10:00:00Z', score: 2 },
];
const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n';

/** The simple rule's discounted, surviving exposure over three years of 91-day periods. */
function exposure(): number {
  let total = 0;
  let start = 0;
  for (let end = 91; start < 1095; end = Math.min(end + 91, 1095)) {
    total += (end - start) * Math.pow(0.6, end / 365) * Math.pow(1.1, -end / 365);
    start = end;
  }
  return total;
}

describe('the lost-customer list of an event file', () => {
  it('lists the cancelled and the lost, most value lost first, as CSV and JSON', async () => {
    const run = await statesFromEvents({
      input: streamOf(text),
      rules: TEST_RULES,
      parameters: defaultDomainParameters,
      model: UNFITTED_MODEL,
      nowMs: TEST_NOW_MS,
      asOfDay: localDayOf('2026-06-30'),
    });
    const list = new LostCustomerList(run.day, UNFITTED_MODEL, defaultDomainParameters);
    for (const s of run.states) list.add(s);
    const rows = list.list();
    // A: 2 purchase days, silent since 2025-06-20 (375 days, > 6 typical intervals): lost.
    // B,2: cancelled on 2025-06-01 for Acme. D bought a month ago, E never bought: not listed.
    expect(rows.map((r) => r.customerId)).toEqual(['A', 'B,2']);
    // B on the day they left: 1 purchase day over 90 days, 20.00 a purchase day at 30 %.
    const bLost = Math.round((1 / 90) * exposure() * 2000 * 0.3);
    const csv = lostListCsv(rows, 'USD').split('\n');
    expect(csv[0]).toBe('customer_id,how,left_on,last_purchase,churn_level,churn_reasons,cancellation_reason,competitor,clv_historic,predicted_clv_at_leaving,value_lost');
    expect(csv[2]).toBe(`"B,2",cancelled,2025-06-01,2025-05-15,churned,cancellation,competitor,Acme,6.00,${(bLost / 100).toFixed(2)},${(bLost / 100).toFixed(2)}`);
    expect(csv[1]).toMatch(/^A,churned,2025-06-20,2025-06-20,lost,inactivity,,,45\.00,\d+\.\d\d,\d+\.\d\d$/);
    const json = lostListJson(rows, list.total, run.day, 'value_lost', 'USD');
    expect(json).toMatchObject({ as_of: '2026-06-30', currency: 'USD', sort: 'value_lost', total: 2 });
    expect(json.customers[1]).toEqual({
      customer_id: 'B,2',
      how: 'cancelled',
      left_on: '2025-06-01',
      last_purchase: '2025-05-15',
      churn_level: 'churned',
      churn_reasons: ['cancellation'],
      cancellation_reason: 'competitor',
      competitor: 'Acme',
      clv_historic: '6.00',
      predicted_clv_at_leaving: (bLost / 100).toFixed(2),
      value_lost: (bLost / 100).toFixed(2),
    });
  });
});
