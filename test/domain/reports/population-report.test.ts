// Seven hand-built customers, report day 2026-06-30 (DAY0 + 180), default
// configuration (30 % margin, no costs), no fitted model. Every figure below is
// worked out by hand in the comments.
import { describe, expect, it } from 'vitest';
import { defaultDomainParameters } from '../../../src/domain/parameters.js';
import { UNFITTED_MODEL } from '../../../src/domain/model-snapshot.js';
import { evaluate, predictedClvMinor } from '../../../src/domain/profile.js';
import { PopulationReporter, populationReport } from '../../../src/domain/reports/population-report.js';
import type { CustomerState } from '../../../src/domain/state.js';
import { DAY0, cancellation, feedback, fold, interaction, purchase } from '../fixtures.js';

const DAY = DAY0 + 180;

const states: CustomerState[] = [
  // A: repeat buyer and promoter (advocate); bought 50 and 10 days before the report day.
  fold([purchase('A', 130, 10_000), purchase('A', 170, 5_000), feedback('A', 171, 10)]).state,
  // B: one purchase 45 days ago, detractor 44 days ago: inactivity active, raised to cooling.
  fold([purchase('B', 135, 2_000), feedback('B', 136, 3)]).state,
  // C: two purchases (80 and 40 days ago), then cancelled for price, naming Acme.
  fold([purchase('C', 100, 3_000), purchase('C', 140, 3_000), { ...cancellation('C', 151), competitor: 'Acme' }]).state,
  // D: new customer 25 days ago, passive.
  fold([purchase('D', 155, 8_000), feedback('D', 156, 8)]).state,
  // E: prospect (no purchase), promoter.
  fold([feedback('E', 160, 9)]).state,
  // F: bought 211 days ago, cancelled for service without naming a competitor.
  fold([purchase('F', -31, 20_000), { ...cancellation('F', 5), reason: 'service' as const }]).state,
  // G: one purchase 166 days ago: 166 / 90 = 1.84 typical intervals → cooling.
  fold([purchase('G', 14, 4_000)]).state,
];

const report = populationReport(states, DAY, UNFITTED_MODEL, defaultDomainParameters);

describe('population report', () => {
  it('counts every customer once per dimension', () => {
    expect(report.overall.customers).toBe(7);
    const counts = (d: keyof typeof report.segments) =>
      Object.fromEntries(Object.entries(report.segments[d]).filter(([, g]) => g.customers > 0).map(([k, g]) => [k, g.customers]));
    expect(counts('account_status')).toEqual({ active: 5, cancelled: 2 });
    expect(counts('churn_level')).toEqual({ active: 3, cooling: 2, churned: 2 });
    expect(counts('relationship')).toEqual({ prospect: 1, customer: 4, client: 1, advocate: 1 });
    expect(report.segments.rfm_segment['none']?.customers).toBe(1);
    expect(report.segments.value_quadrant['none']?.customers).toBe(1);
    for (const d of ['rfm_segment', 'value_quadrant'] as const) {
      expect(Object.values(report.segments[d]).reduce((n, g) => n + g.customers, 0)).toBe(7);
    }
    expect(report.segments.account_status['active']?.share).toBe(5 / 7);
    // Every value of the vocabulary is present, empty ones with null averages.
    expect(report.segments.churn_level['lost']).toMatchObject({ customers: 0, share: 0, avgHistoricClvMinor: null, nps: { nps: null } });
  });

  it('computes NPS over the latest answers: overall and per segment', () => {
    // A 10, E 9 promoters; D 8 passive; B 3 detractor: 100 × (2 − 1) / 4.
    expect(report.overall.nps).toEqual({ respondents: 4, promoters: 2, passives: 1, detractors: 1, nps: 25 });
    expect(report.segments.account_status['active']?.nps.nps).toBe(25);
    expect(report.segments.account_status['cancelled']?.nps).toEqual({ respondents: 0, promoters: 0, passives: 0, detractors: 0, nps: null });
    expect(report.segments.churn_level['cooling']?.nps).toMatchObject({ respondents: 1, detractors: 1, nps: -100 });
    // A, D, E: 100 × 2 / 3.
    expect(report.segments.churn_level['active']?.nps.nps).toBeCloseTo(200 / 3, 12);
    expect(report.segments.relationship['prospect']?.nps.nps).toBe(100);
  });

  it('averages historic CLV (30 % margin) and predicted CLV per segment', () => {
    // A 4,500 · B 600 · C 1,800 · D 2,400 · E 0 · F 6,000 · G 1,200 = 16,500 cents.
    expect(report.overall.historicClvMinor).toBe(16_500);
    expect(report.overall.avgHistoricClvMinor).toBe(16_500 / 7);
    expect(report.segments.account_status['active']).toMatchObject({ historicClvMinor: 8_700, avgHistoricClvMinor: 1_740 });
    expect(report.segments.account_status['cancelled']).toMatchObject({ historicClvMinor: 7_800, avgHistoricClvMinor: 3_900 });
    expect(report.segments.relationship['advocate']?.avgHistoricClvMinor).toBe(4_500);
    const predicted = states.map((s) => predictedClvMinor(s, evaluate(s, DAY, UNFITTED_MODEL, defaultDomainParameters), UNFITTED_MODEL, defaultDomainParameters));
    expect(report.overall.predictedClvMinor).toBe(predicted.reduce((a, b) => a + b, 0));
    expect(report.segments.relationship['prospect']?.predictedClvMinor).toBe(0);
  });

  it('analyses lost customers by cancellation reason, competitor and churn level', () => {
    expect(report.lost.cancelled).toEqual({ customers: 2, historicClvMinor: 7_800, netRevenueMinor: 26_000, withComplaints: 0 });
    expect(report.lost.byReason.price).toEqual({ customers: 1, historicClvMinor: 1_800, netRevenueMinor: 6_000, withComplaints: 0 });
    expect(report.lost.byReason.service).toEqual({ customers: 1, historicClvMinor: 6_000, netRevenueMinor: 20_000, withComplaints: 0 });
    expect(report.lost.byReason.competitor).toEqual({ customers: 0, historicClvMinor: 0, netRevenueMinor: 0, withComplaints: 0 });
    expect({ ...report.lost.byCompetitor }).toEqual({ Acme: { customers: 1, historicClvMinor: 1_800, netRevenueMinor: 6_000, withComplaints: 0 } });
    expect(report.lost.withoutCompetitor).toEqual({ customers: 1, historicClvMinor: 6_000, netRevenueMinor: 20_000, withComplaints: 0 });
    // B (600, 2,000) and G (1,200, 4,000) are cooling; nobody further down.
    expect(report.lost.byChurnLevel).toEqual({
      cooling: { customers: 2, historicClvMinor: 1_800, netRevenueMinor: 6_000, withComplaints: 0 },
      at_risk: { customers: 0, historicClvMinor: 0, netRevenueMinor: 0, withComplaints: 0 },
      highly_at_risk: { customers: 0, historicClvMinor: 0, netRevenueMinor: 0, withComplaints: 0 },
      lost: { customers: 0, historicClvMinor: 0, netRevenueMinor: 0, withComplaints: 0 },
    });
  });

  it('gives 11 monthly retention rates from the purchase-day memory', () => {
    const { periods } = report.retention;
    expect(report.retention).toMatchObject({ periodDays: 30, windowDays: 384 });
    expect(periods).toHaveLength(11);
    const byAge = (k: number) => periods[periods.length - 1 - k]!;
    // Last 30 days: A, B, C were active the 30 days before; only A bought again.
    expect(byAge(0)).toEqual({ startDay: DAY - 29, endDay: DAY, activeAtStart: 3, retained: 1, rate: 1 / 3, unknown: 0 });
    // 30–59 days ago: C (80 days ago) came back 40 days ago.
    expect(byAge(1)).toMatchObject({ activeAtStart: 1, retained: 1, rate: 1 });
    expect(byAge(2)).toMatchObject({ activeAtStart: 0, retained: 0, rate: null });
    expect(byAge(4)).toMatchObject({ activeAtStart: 1, retained: 0, rate: 0 }); // G, 166 days ago
    expect(byAge(6)).toMatchObject({ activeAtStart: 1, retained: 0, rate: 0 }); // F, 211 days ago
    expect(periods.reduce((n, p) => n + p.activeAtStart, 0)).toBe(6);
  });

  it('keeps a competitor called __proto__ as a plain entry', () => {
    const odd = fold([purchase('Z', 10, 1_000), { ...cancellation('Z', 11), competitor: '__proto__' }]).state;
    const r = populationReport([odd], DAY, UNFITTED_MODEL, defaultDomainParameters);
    expect(Object.keys(r.lost.byCompetitor)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['customers']).toBeUndefined();
  });

  it('accumulates page by page to the same report, and report() can be read twice', () => {
    const reporter = new PopulationReporter(DAY, UNFITTED_MODEL, defaultDomainParameters);
    for (const s of states.slice(0, 3)) reporter.add(s);
    const partial = reporter.report();
    expect(partial.overall.customers).toBe(3);
    for (const s of states.slice(3)) reporter.add(s);
    expect(reporter.report()).toEqual(report);
    expect(reporter.report()).toEqual(report);
    expect(partial.overall.customers).toBe(3);
  });
});

describe('population report: cost to serve and complaints', () => {
  const parameters = { ...defaultDomainParameters, costPerOrderMinor: 100 };
  const ctx = { model: UNFITTED_MODEL, parameters };
  const served: CustomerState[] = [
    // P: two orders at the flat 1.00, one complaint resolved at once, still a customer.
    fold([purchase('P', 100, 5_000), purchase('P', 150, 5_000), interaction('P', 151, 'complaint', { resolved: true })], ctx).state,
    // Q: left for price 20 days after an open complaint (within the 90-day window): preventable.
    fold([purchase('Q', 10, 3_000, { costMinor: 400 }), interaction('Q', 20, 'complaint', { costMinor: 250 }), { ...cancellation('Q', 40), competitor: 'Acme' }], ctx).state,
    // R: left for price, its only complaint resolved 200 days before: not counted as preventable.
    fold([purchase('R', -100, 3_000), interaction('R', -90, 'complaint', { resolved: true }), cancellation('R', 110)], ctx).state,
    // S: never complained, support contacts priced by the (empty) activity-cost table.
    fold([purchase('S', 170, 2_000), interaction('S', 171, 'support_contact')], ctx).state,
  ];
  const r = populationReport(served, DAY, UNFITTED_MODEL, parameters);

  it('sums cost to serve and complaint rates per group', () => {
    // P 2 × 100, Q 400 + 250, R 100, S 100: 1,050.
    expect(r.overall).toMatchObject({ costToServeMinor: 1_050, avgCostToServeMinor: 1_050 / 4, complaints: 3, complainants: 3, complaintRate: 3 / 4 });
    expect(r.segments.account_status['cancelled']).toMatchObject({ customers: 2, costToServeMinor: 750, complaintRate: 1 });
    expect(r.segments.account_status['active']).toMatchObject({ customers: 2, complainants: 1, complaintRate: 1 / 2 });
    expect(r.segments.account_status['reactivated']).toMatchObject({ customers: 0, avgCostToServeMinor: null, complaintRate: null });
  });

  it('counts, per reason and competitor, those who left with an open or recent complaint', () => {
    expect(r.lost.cancelled).toMatchObject({ customers: 2, withComplaints: 1 });
    expect(r.lost.byReason.price).toMatchObject({ customers: 2, withComplaints: 1 });
    expect(r.lost.byCompetitor['Acme']).toMatchObject({ customers: 1, withComplaints: 1 });
    expect(r.lost.withoutCompetitor).toMatchObject({ customers: 1, withComplaints: 0 });
  });
});
