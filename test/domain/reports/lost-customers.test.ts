import { describe, expect, it } from 'vitest';
import { simplePredictedClvMinor } from '../../../src/domain/clv.js';
import { defaultDomainParameters } from '../../../src/domain/parameters.js';
import { UNFITTED_MODEL, type ModelSnapshot } from '../../../src/domain/model-snapshot.js';
import { conditionalExpectedPurchases } from '../../../src/domain/models/index.js';
import { evaluate } from '../../../src/domain/profile.js';
import { emptyState } from '../../../src/domain/state.js';
import { LostCustomerList, lostCustomer, lostCustomers } from '../../../src/domain/reports/lost-customers.js';
import { btydSummary } from '../../../src/domain/btyd.js';
import { DAY0, cancellation, fold, purchase } from '../fixtures.js';

/**
 * The simple rule's discounted, surviving exposure over the default three years
 * in 91-day periods (the last cut at 1,095), computed here from its definition.
 */
function simpleExposureDays(): number {
  let total = 0;
  let start = 0;
  for (let end = 91; start < 1095; end = Math.min(end + 91, 1095)) {
    total += (end - start) * Math.pow(0.6, end / 365) * Math.pow(1.1, -end / 365);
    start = end;
  }
  return total;
}

const competitorLeft = fold([
  purchase('gone', 0, 10_000),
  purchase('gone', 40, 20_000),
  { ...cancellation('gone', 50), reason: 'competitor' as const, competitor: 'Acme' },
]).state;
const faded = fold([purchase('faded', 0, 5_000)]).state;
const loyal = fold([purchase('loyal', 600, 5_000), purchase('loyal', 650, 5_000)]).state;
const DAY = DAY0 + 700;

describe('the lost-customer list', () => {
  it('lists a cancelled customer on the day of the cancellation, with reason, competitor and the value they took', () => {
    const row = lostCustomer(competitorLeft, DAY, UNFITTED_MODEL, defaultDomainParameters)!;
    expect(row).toMatchObject({
      customerId: 'gone',
      how: 'cancelled',
      leftDay: DAY0 + 50,
      lastPurchaseDay: DAY0 + 40,
      churnLevel: 'churned',
      cancellationReason: 'competitor',
      competitor: 'Acme',
      historicClvMinor: 9_000, // 30 % of 30,000
    });
    // On day 50: 2 purchase days over max(51, 90) days, 15,000 a purchase day at 30 % margin.
    const atLeaving = Math.round((2 / 90) * simpleExposureDays() * 15_000 * 0.3);
    expect(row.predictedClvAtLeavingMinor).toBe(atLeaving);
    // A cancelled account's predicted CLV now is 0: all of it is lost.
    expect(row.valueLostMinor).toBe(atLeaving);
  });

  it('lists a customer whose churn level is lost on their last purchase day, with what the silence cost', () => {
    const row = lostCustomer(faded, DAY, UNFITTED_MODEL, defaultDomainParameters)!;
    expect(row).toMatchObject({ how: 'churned', leftDay: DAY0, churnLevel: 'lost', cancellationReason: null, competitor: null });
    expect(row.churnReasons).toContain('inactivity');
    const atLeaving = simplePredictedClvMinor(faded, btydSummary(faded, DAY0), defaultDomainParameters);
    const now = simplePredictedClvMinor(faded, btydSummary(faded, DAY), defaultDomainParameters);
    expect(atLeaving).toBe(Math.round((1 / 90) * simpleExposureDays() * 5_000 * 0.3));
    expect(row.valueLostMinor).toBe(atLeaving - now);
    expect(now).toBeGreaterThan(0);
    expect(now).toBeLessThan(atLeaving);
  });

  it('with a fitted model, values the customer as the model did on the day they left', () => {
    const fitted: ModelSnapshot = { version: 'f', bgnbd: { r: 0.243, alpha: 30.9, a: 0.793, b: 2.426 }, gammaGamma: null, cutPoints: null };
    const row = lostCustomer(competitorLeft, DAY, fitted, defaultDomainParameters)!;
    // Day 50: x 1, t_x 40, T 50; spend 15,000 a purchase day; one period's increments over three years.
    let previous = 0;
    let purchases = 0;
    for (let end = 91; ; end = Math.min(end + 91, 1095)) {
      const cumulative = conditionalExpectedPurchases(fitted.bgnbd!, 1, 40, 50, end);
      purchases += (cumulative - previous) * Math.pow(1.1, -end / 365);
      previous = cumulative;
      if (end === 1095) break;
    }
    expect(row.predictedClvAtLeavingMinor).toBe(Math.round(purchases * 15_000 * 0.3));
  });

  it('leaves out the active and the prospects; a lower minimum level lists the at-risk too', () => {
    expect(lostCustomer(loyal, DAY, UNFITTED_MODEL, defaultDomainParameters)).toBeNull();
    expect(lostCustomer(emptyState('prospect'), DAY, UNFITTED_MODEL, defaultDomainParameters)).toBeNull();
    const quiet = fold([purchase('quiet', 400, 5_000)]).state; // 300 days quiet: 3.3 typical intervals
    const level = evaluate(quiet, DAY, UNFITTED_MODEL, defaultDomainParameters).churn.level;
    expect(['at_risk', 'highly_at_risk']).toContain(level);
    expect(lostCustomer(quiet, DAY, UNFITTED_MODEL, defaultDomainParameters)).toBeNull();
    expect(lostCustomer(quiet, DAY, UNFITTED_MODEL, defaultDomainParameters, { minLevel: 'at_risk' })).toMatchObject({ churnLevel: level });
  });

  it('sorts by value lost, date left or historic CLV, descending, ties by id', () => {
    const twin = fold([purchase('a-faded', 0, 5_000)]).state;
    const states = [faded, loyal, competitorLeft, twin];
    expect(lostCustomers(states, DAY, UNFITTED_MODEL, defaultDomainParameters).map((r) => r.customerId)).toEqual(['gone', 'a-faded', 'faded']);
    expect(lostCustomers(states, DAY, UNFITTED_MODEL, defaultDomainParameters, { sort: 'left_on' }).map((r) => r.customerId)).toEqual(['gone', 'a-faded', 'faded']);
    const big = fold([purchase('big', 0, 90_000)]).state;
    expect(lostCustomers([...states, big], DAY, UNFITTED_MODEL, defaultDomainParameters, { sort: 'clv_historic' })[0]!.customerId).toBe('big');
  });

  it('keeps the top of the sort under a limit, and counts every lost customer', () => {
    const states = Array.from({ length: 25 }, (_, i) => fold([purchase(`c${String(i).padStart(2, '0')}`, 0, 1_000 * (i + 1))]).state);
    const list = new LostCustomerList(DAY, UNFITTED_MODEL, defaultDomainParameters, { limit: 3 });
    for (const s of states) list.add(s);
    expect(list.total).toBe(25);
    expect(list.list().map((r) => r.customerId)).toEqual(['c24', 'c23', 'c22']);
    expect(() => new LostCustomerList(DAY, UNFITTED_MODEL, defaultDomainParameters, { limit: 0 })).toThrow(RangeError);
  });
});
