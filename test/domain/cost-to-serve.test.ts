import { describe, expect, it } from 'vitest';
import { defaultDomainParameters, type DomainParameters } from '../../src/domain/parameters.js';
import { costToServe, historicClvMinor } from '../../src/domain/clv.js';
import { complaintsAt, hadComplaintsWhenLeaving, openComplaints } from '../../src/domain/complaints.js';
import { evaluate, predictedClvMinor } from '../../src/domain/profile.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import type { DomainInput } from '../../src/domain/input.js';
import type { CustomerState } from '../../src/domain/state.js';
import { DAY0, ctxWith, fold, interaction, purchase, returned, timerAt } from './fixtures.js';

const table = { complaint: 800, support_contact: 300, delivery_issue: 500, billing_issue: 400, technical_issue: 600, other: 100 };
const parameters: Partial<DomainParameters> = { costPerOrderMinor: 200, costPerReturnMinor: 500, interactionCostMinor: table };
const c = ctxWith(parameters);

describe('cost to serve by activity', () => {
  it("replaces the flat per-order and per-return estimate by the transaction's own cost when it has one", () => {
    const { state } = fold(
      [
        purchase('c', 0, 10_000, { orderId: 'A', costMinor: 1_234 }),
        purchase('c', 5, 10_000, { orderId: 'B' }),
        purchase('c', 9, 10_000, { orderId: 'C', costMinor: 0 }),
        returned('c', 10, 2_000, 'A', { costMinor: 700 }),
        returned('c', 11, 2_000, 'B'),
      ],
      c,
    );
    const cost = costToServe(state, c.parameters);
    // Order B at COST_PER_ORDER; A at its own 12.34 and C at its own 0 (a real cost of nothing, not "absent").
    expect(cost.orders).toEqual({ estimatedMinor: 200, actualMinor: 1_234 });
    expect(cost.returns).toEqual({ estimatedMinor: 500, actualMinor: 700 });
    expect(cost.interactions).toEqual({ estimatedMinor: 0, actualMinor: 0 });
    expect(cost).toMatchObject({ estimatedMinor: 700, actualMinor: 1_934, totalMinor: 2_634 });
  });

  it('prices interactions at their own cost, else by the activity-cost table of their kind', () => {
    const { state } = fold(
      [
        purchase('c', 0, 10_000),
        interaction('c', 1, 'support_contact'),
        interaction('c', 2, 'delivery_issue', { costMinor: 1_050 }),
        interaction('c', 3, 'other'),
      ],
      c,
    );
    expect(state.interactions).toBe(3);
    expect(costToServe(state, c.parameters).interactions).toEqual({ estimatedMinor: 300 + 100, actualMinor: 1_050 });
  });

  it('takes historic CLV net of the whole cost to serve, interactions included', () => {
    const base = fold([purchase('c', 0, 10_000, { marginMinor: 3_000 })], c).state;
    expect(historicClvMinor(base, c.parameters)).toBe(3_000 - 200);
    const served = fold([interaction('c', 1, 'technical_issue'), interaction('c', 2, 'billing_issue', { costMinor: 900 })], c, base).state;
    expect(historicClvMinor(served, c.parameters)).toBe(3_000 - 200 - 600 - 900);
  });

  it("lowers predicted CLV by the customer's own cost per purchase day so far", () => {
    const history = [purchase('c', 0, 4_000), purchase('c', 30, 4_000), purchase('c', 60, 4_000)];
    const quiet = fold(history, c).state;
    const demanding = fold([interaction('c', 61, 'support_contact', { costMinor: 1_500 }), interaction('c', 62, 'complaint', { costMinor: 1_500, resolved: true })], c, quiet).state;
    const predicted = (s: CustomerState): number => predictedClvMinor(s, evaluate(s, DAY0 + 90, UNFITTED_MODEL, c.parameters), UNFITTED_MODEL, c.parameters);
    expect(predicted(quiet)).toBeGreaterThan(0);
    expect(predicted(demanding)).toBeLessThan(predicted(quiet));
    // 3 000 more cost over 3 purchase days: v falls by 1 000 per expected purchase day.
    const perDay = 3 / Math.max(61, c.parameters.minObservationDays);
    expect(predicted(quiet) - predicted(demanding)).toBeGreaterThan(0.9 * perDay * 1_000 * 365);
  });

  it('makes a loyal customer who is costly to serve a Barnacle, and the same customer without those costs a True Friend', () => {
    const history: DomainInput[] = [];
    for (let i = 0; i < 6; i++) history.push(purchase('c', i * 10, 5_000));
    const loyal = fold(history, c).state;
    expect(evaluate(loyal, DAY0 + 55, UNFITTED_MODEL, c.parameters).segments.value_quadrant).toBe('true_friends');
    // 6 × 1 500 margin − 6 × 2 = 7 800 earned; eleven support contacts at 10 each cost more.
    const contacts: DomainInput[] = [];
    for (let i = 0; i < 11; i++) contacts.push(interaction('c', 51, 'support_contact', { costMinor: 1_000 }));
    const costly = fold(contacts, c, loyal).state;
    expect(historicClvMinor(costly, c.parameters)).toBeLessThan(0);
    expect(evaluate(costly, DAY0 + 55, UNFITTED_MODEL, c.parameters).segments.value_quadrant).toBe('barnacles');
  });
});

describe('complaints', () => {
  it('counts complaints, keeps which are open and when the last was made; other kinds are not complaints', () => {
    const { state } = fold(
      [
        purchase('c', 0, 1_000),
        interaction('c', 1, 'complaint', { resolved: true }),
        interaction('c', 3, 'support_contact'),
        interaction('c', 4, 'complaint', { caseId: 'T-9' }),
      ],
      c,
    );
    expect(state.complaints).toBe(2);
    expect(openComplaints(state)).toBe(1);
    expect(state.lastComplaintDay).toBe(DAY0 + 4);
  });

  it("closes a case when a complaint with its case id says resolved, without counting it twice, in either arrival order", () => {
    const opened = interaction('c', 4, 'complaint', { caseId: 'T-1', eventId: 'open' });
    const closed = interaction('c', 9, 'complaint', { caseId: 'T-1', resolved: true, eventId: 'close' });
    const first = purchase('c', 0, 1_000, { eventId: 'p' });
    const inOrder = fold([first, opened, closed], c).state;
    const reversed = fold([first, closed, opened], c).state;
    for (const s of [inOrder, reversed]) {
      expect(s.complaints).toBe(1);
      expect(openComplaints(s)).toBe(0);
      expect(s.complaintCases).toEqual([expect.objectContaining({ day: DAY0 + 4, open: false })]);
      expect(s.lastComplaintDay).toBe(DAY0 + 9);
    }
    expect(reversed.interactions).toBe(2);
  });

  it('is not changed by a repeated event (the id memory drops it)', () => {
    const once = interaction('c', 4, 'complaint', { eventId: 'dup', costMinor: 500 });
    const { state, last } = fold([purchase('c', 0, 1_000), once, once], c);
    expect(last.applied).toBe(false);
    expect(state).toMatchObject({ complaints: 1, interactions: 1, interactionCostMinor: 500 });
  });

  it('keeps the latest cases by day up to the configured memory, whatever the arrival order', () => {
    const small = ctxWith({ ...parameters, memory: { ...defaultDomainParameters.memory, complaintCases: 2 } });
    const cases = [interaction('c', 5, 'complaint'), interaction('c', 1, 'complaint'), interaction('c', 3, 'complaint')];
    const { state } = fold([purchase('c', 0, 1_000), ...cases], small);
    expect(state.complaints).toBe(3);
    expect(state.complaintCases.map((k) => k.day - DAY0)).toEqual([3, 5]);
  });
});

describe('churn: open or repeated complaints', () => {
  const history = [purchase('c', 0, 1_000), purchase('c', 10, 1_000), purchase('c', 20, 1_000)];

  it('raises the level by one with reason "complaints" for an open complaint within the window, and recovers when it is resolved', () => {
    const before = fold(history, c).last.profile;
    expect(before?.churn).toEqual({ level: 'active', reasons: [] });
    const open = fold([interaction('c', 21, 'complaint', { caseId: 'K' })], c, fold(history, c).state);
    expect(open.last.profile?.churn).toEqual({ level: 'cooling', reasons: ['complaints'] });
    expect(open.emits).toContainEqual(expect.objectContaining({ type: 'churn-risk', level: 'cooling', reasons: ['complaints'] }));
    const resolved = fold([interaction('c', 22, 'complaint', { caseId: 'K', resolved: true })], c, open.state);
    expect(resolved.last.profile?.churn).toEqual({ level: 'active', reasons: [] });
  });

  it('raises for repeated complaints even when resolved, until the older one leaves the window (a due check, no event)', () => {
    const { state, last } = fold(
      [...history, interaction('c', 21, 'complaint', { resolved: true }), interaction('c', 25, 'complaint', { resolved: true })],
      c,
    );
    expect(last.profile?.churn.reasons).toEqual(['complaints']);
    // The window is 90 days: the complaint of day 21 counts up to day 110 and stops counting on 111.
    expect(state.nextCheckDay).toBeLessThanOrEqual(DAY0 + 111);
    expect(complaintsAt(state, DAY0 + 110, c.parameters.churn).recent).toBe(2);
    expect(complaintsAt(state, DAY0 + 111, c.parameters.churn).recent).toBe(1);
    const atDue = timerAt(state, 111, c);
    expect(atDue.profile?.churn.reasons).not.toContain('complaints');
  });

  it('follows the configured rule: counts of 0 turn each test off', () => {
    const off = ctxWith({ ...parameters, churn: { ...defaultDomainParameters.churn, openComplaintCount: 0, repeatedComplaintCount: 0 } });
    const { last } = fold([...history, interaction('c', 21, 'complaint'), interaction('c', 22, 'complaint')], off);
    expect(last.profile?.churn.reasons).not.toContain('complaints');
    const strict = ctxWith({ ...parameters, churn: { ...defaultDomainParameters.churn, openComplaintCount: 2, repeatedComplaintCount: 3 } });
    expect(fold([...history, interaction('c', 21, 'complaint')], strict).last.profile?.churn.reasons).toEqual([]);
    expect(fold([...history, interaction('c', 21, 'complaint'), interaction('c', 22, 'complaint')], strict).last.profile?.churn.reasons).toEqual([
      'complaints',
    ]);
  });

  it('marks a leaver as "had complaints" when one was open or recent at the cancellation', () => {
    const rules = c.parameters.churn;
    const { state } = fold([...history, interaction('c', 21, 'complaint', { resolved: true })], c);
    expect(hadComplaintsWhenLeaving(state, DAY0 + 30, rules)).toBe(true);
    expect(hadComplaintsWhenLeaving(state, DAY0 + 200, rules)).toBe(false);
    expect(hadComplaintsWhenLeaving(state, DAY0 + 20, rules)).toBe(false);
    const open = fold([interaction('c', 22, 'complaint')], c, state).state;
    expect(hadComplaintsWhenLeaving(open, DAY0 + 400, rules)).toBe(true);
  });
});
