/**
 * Population reports over customer states, as a pure function: what
 * `clvstream report` prints for an event file and what the HTTP server can
 * serve over the states in Redis. Each customer is evaluated (`evaluate`) as of
 * the report day, or as of its own latest evaluation day if that is later.
 *
 * - Segments: customers per value of each segment dimension and of the churn
 *   level (`none` where a dimension has no value: prospects have no RFM segment
 *   or value quadrant), with NPS, average historic and predicted CLV, cost to
 *   serve (total and per customer) and the complaint rate: the share of the
 *   group's customers who have complained at all.
 * - NPS: over the customers whose latest answer (any age) is known,
 *   100 × (promoters − detractors) / respondents.
 * - Retention: see retention.ts.
 * - Lost customers: cancelled customers (no purchase since the cancellation) by
 *   reason and by the competitor they named, and the not-cancelled customers at
 *   each churn level from cooling to lost, with their historic CLV and net
 *   revenue, and how many of them had complaints: for a cancelled customer, a
 *   complaint still open or filed within COMPLAINT_WINDOW_DAYS before the
 *   cancellation (the UTC day of its time) — the losses better service might
 *   have prevented; for the others, the same as of the report day.
 *
 * Money in base-currency minor units (averages are not rounded).
 */
import { CANCELLATION_REASONS, type CancellationReason } from '../../contracts/inbound.js';
import {
  ACCOUNT_STATUSES,
  CHURN_LEVELS,
  RELATIONSHIP_LEVELS,
  RFM_SEGMENTS,
  VALUE_QUADRANTS,
  type ChurnLevel,
  type NpsCategory,
} from '../../contracts/segments.js';
import type { DomainParameters } from '../parameters.js';
import type { ModelSnapshot } from '../model-snapshot.js';
import { evaluate, isCancelled, predictedClvMinor, type Profile } from '../profile.js';
import { costToServeMinor } from '../clv.js';
import { hadComplaintsWhenLeaving } from '../complaints.js';
import type { CustomerState } from '../state.js';
import { CohortCounter, type CohortReport } from './cohorts.js';
import { DAY_MS } from '../time.js';
import { RetentionCounter, type RetentionReport } from './retention.js';

export const REPORT_DIMENSIONS = ['rfm_segment', 'value_quadrant', 'relationship', 'account_status', 'churn_level'] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

/** Every value of each dimension, in vocabulary order; `none` for the dimensions that may be empty. */
export const DIMENSION_VALUES: Record<ReportDimension, readonly string[]> = {
  rfm_segment: [...RFM_SEGMENTS, 'none'],
  value_quadrant: [...VALUE_QUADRANTS, 'none'],
  relationship: RELATIONSHIP_LEVELS,
  account_status: ACCOUNT_STATUSES,
  churn_level: CHURN_LEVELS,
};

export const LOSS_LEVELS = ['cooling', 'at_risk', 'highly_at_risk', 'lost'] as const satisfies readonly ChurnLevel[];
export type LossLevel = (typeof LOSS_LEVELS)[number];

export interface NpsTally {
  respondents: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** 100 × (promoters − detractors) / respondents; null without respondents. */
  nps: number | null;
}

export interface GroupStats {
  customers: number;
  /** Of all customers in the report. */
  share: number;
  nps: NpsTally;
  historicClvMinor: number;
  predictedClvMinor: number;
  /** Per customer of the group; null for an empty group. */
  avgHistoricClvMinor: number | null;
  avgPredictedClvMinor: number | null;
  costToServeMinor: number;
  avgCostToServeMinor: number | null;
  /** Complaints made by the group's customers, and how many of its customers made any. */
  complaints: number;
  complainants: number;
  /** complainants / customers; null for an empty group. */
  complaintRate: number | null;
}

export interface LossTally {
  customers: number;
  historicClvMinor: number;
  netRevenueMinor: number;
  /** Of them, those with a complaint open or recent when they left (the preventable share's numerator). */
  withComplaints: number;
}

export interface LostReport {
  readonly cancelled: LossTally;
  readonly byReason: Record<CancellationReason, LossTally>;
  /** Cancelled customers who named a competitor, by the name as given. */
  readonly byCompetitor: Record<string, LossTally>;
  readonly withoutCompetitor: LossTally;
  /** Not cancelled, by churn level (inactivity, P(alive), detractor and returns signals). */
  readonly byChurnLevel: Record<LossLevel, LossTally>;
}

export interface PopulationReport {
  readonly day: number;
  readonly modelVersion: string;
  readonly overall: GroupStats;
  readonly segments: Record<ReportDimension, Record<string, GroupStats>>;
  readonly retention: RetentionReport;
  /** Retention per year: periods of 365 days, the latest `years` rates. */
  readonly yearlyRetention: RetentionReport;
  readonly cohorts: CohortReport;
  /** The yearly retention the simple CLV of this report used, and where it came from. */
  readonly clvRetention: { readonly source: 'fixed' | 'measured'; readonly rate: number };
  readonly lost: LostReport;
}

export interface ReportOptions {
  /** Retention period length in days; default 30. */
  readonly periodDays?: number;
  /** Yearly retention rates reported, newest back; default 3. */
  readonly retentionYears?: number;
  /** Cohort period length in days; default 365. */
  readonly cohortDays?: number;
  /** Cohorts in the table, newest back; default 5. */
  readonly cohortPeriods?: number;
  /**
   * The yearly retention measured over the population (`latestYearRetention`):
   * the simple CLV uses it instead of the configured `retentionRate` (capped at
   * 0.99, like the setting). Absent or null: the configured rate.
   */
  readonly measuredRetentionRate?: number | null;
}

/** The windowDays of the retention counters: the day bitmap's length (docs/state.md). */
export function retentionWindowDays(parameters: DomainParameters): number {
  return Math.ceil(parameters.memory.latePurchaseDays / 32) * 32;
}

const emptyNps = (): NpsTally => ({ respondents: 0, promoters: 0, passives: 0, detractors: 0, nps: null });
const emptyLoss = (): LossTally => ({ customers: 0, historicClvMinor: 0, netRevenueMinor: 0, withComplaints: 0 });
const emptyGroup = (): GroupStats => ({
  customers: 0,
  share: 0,
  nps: emptyNps(),
  historicClvMinor: 0,
  predictedClvMinor: 0,
  avgHistoricClvMinor: null,
  avgPredictedClvMinor: null,
  costToServeMinor: 0,
  avgCostToServeMinor: null,
  complaints: 0,
  complainants: 0,
  complaintRate: null,
});

function countNps(t: NpsTally, category: NpsCategory | null): void {
  if (category === null) return;
  t.respondents++;
  if (category === 'promoter') t.promoters++;
  else if (category === 'passive') t.passives++;
  else t.detractors++;
}

function addLoss(t: LossTally, p: Profile, complained: boolean): void {
  t.customers++;
  t.historicClvMinor += p.historicClvMinor;
  t.netRevenueMinor += p.monetaryMinor;
  if (complained) t.withComplaints++;
}

function valueOf(dimension: ReportDimension, p: Profile): string {
  return dimension === 'churn_level' ? p.churn.level : (p.segments[dimension] ?? 'none');
}

/** A copy of an accumulated group with its ratios filled in. */
function finished(g: GroupStats, total: number): GroupStats {
  const { respondents, promoters, detractors } = g.nps;
  return {
    ...g,
    share: total === 0 ? 0 : g.customers / total,
    nps: { ...g.nps, nps: respondents === 0 ? null : (100 * (promoters - detractors)) / respondents },
    avgHistoricClvMinor: g.customers === 0 ? null : g.historicClvMinor / g.customers,
    avgPredictedClvMinor: g.customers === 0 ? null : g.predictedClvMinor / g.customers,
    avgCostToServeMinor: g.customers === 0 ? null : g.costToServeMinor / g.customers,
    complaintRate: g.customers === 0 ? null : g.complainants / g.customers,
  };
}

/**
 * Accumulates the report one customer at a time (e.g. page by page over a SCAN
 * of Redis), so the states never need to be held together; `report()` may be
 * called at any point and does not change the accumulated figures.
 */
export class PopulationReporter {
  private readonly parameters: DomainParameters;
  private readonly clvRetention: PopulationReport['clvRetention'];
  private readonly retention: RetentionCounter;
  private readonly yearly: RetentionCounter;
  private readonly cohorts: CohortCounter;
  private readonly overall = emptyGroup();
  private readonly segments = Object.fromEntries(
    REPORT_DIMENSIONS.map((d) => [d, Object.fromEntries(DIMENSION_VALUES[d].map((v) => [v, emptyGroup()]))]),
  ) as Record<ReportDimension, Record<string, GroupStats>>;
  private readonly lost: LostReport = {
    cancelled: emptyLoss(),
    byReason: Object.fromEntries(CANCELLATION_REASONS.map((r) => [r, emptyLoss()])) as Record<CancellationReason, LossTally>,
    // No prototype: a competitor named "__proto__" must be a plain entry.
    byCompetitor: Object.create(null) as Record<string, LossTally>,
    withoutCompetitor: emptyLoss(),
    byChurnLevel: Object.fromEntries(LOSS_LEVELS.map((l) => [l, emptyLoss()])) as Record<LossLevel, LossTally>,
  };

  constructor(
    readonly day: number,
    private readonly model: ModelSnapshot,
    parameters: DomainParameters,
    options: ReportOptions = {},
  ) {
    const measured = options.measuredRetentionRate;
    this.parameters = measured === undefined || measured === null ? parameters : { ...parameters, retentionRate: Math.min(0.99, measured) };
    this.clvRetention = { source: measured === undefined || measured === null ? 'fixed' : 'measured', rate: this.parameters.retentionRate };
    const windowDays = retentionWindowDays(parameters);
    this.retention = new RetentionCounter(day, options.periodDays ?? 30, windowDays);
    this.yearly = new RetentionCounter(day, 365, windowDays, options.retentionYears ?? 3);
    this.cohorts = new CohortCounter(day, options.cohortDays ?? 365, options.cohortPeriods ?? 5);
  }

  add(s: CustomerState): void {
    const { model, parameters, lost } = this;
    const p = evaluate(s, Math.max(this.day, s.asOfDay), model, parameters);
    const predicted = predictedClvMinor(s, p, model, parameters);
    const cost = costToServeMinor(s, parameters);
    const groups = [this.overall, ...REPORT_DIMENSIONS.map((d) => (this.segments[d][valueOf(d, p)] ??= emptyGroup()))];
    for (const g of groups) {
      g.customers++;
      g.historicClvMinor += p.historicClvMinor;
      g.predictedClvMinor += predicted;
      g.costToServeMinor += cost;
      g.complaints += s.complaints;
      if (s.complaints > 0) g.complainants++;
      countNps(g.nps, p.npsCategory);
    }
    this.retention.add(s);
    this.yearly.add(s);
    this.cohorts.add(s);
    if (isCancelled(s)) {
      const complained = s.cancelledAt !== null && hadComplaintsWhenLeaving(s, Math.floor(s.cancelledAt / DAY_MS), parameters.churn);
      addLoss(lost.cancelled, p, complained);
      if (s.cancelReason !== null) addLoss(lost.byReason[s.cancelReason], p, complained);
      if (s.competitor === null) addLoss(lost.withoutCompetitor, p, complained);
      else addLoss((lost.byCompetitor[s.competitor] ??= emptyLoss()), p, complained);
    } else if ((LOSS_LEVELS as readonly string[]).includes(p.churn.level)) {
      addLoss(lost.byChurnLevel[p.churn.level as LossLevel], p, hadComplaintsWhenLeaving(s, p.day, parameters.churn));
    }
  }

  report(): PopulationReport {
    const total = this.overall.customers;
    const overall = finished(this.overall, total);
    const segments = Object.fromEntries(
      REPORT_DIMENSIONS.map((d) => [d, Object.fromEntries(Object.entries(this.segments[d]).map(([v, g]) => [v, finished(g, total)]))]),
    ) as Record<ReportDimension, Record<string, GroupStats>>;
    const copy = (t: LossTally): LossTally => ({ ...t });
    const mapLoss = <K extends string>(o: Record<K, LossTally>, target: Record<K, LossTally>): Record<K, LossTally> => {
      for (const [k, t] of Object.entries(o) as [K, LossTally][]) target[k] = copy(t);
      return target;
    };
    const lost: LostReport = {
      cancelled: copy(this.lost.cancelled),
      byReason: mapLoss(this.lost.byReason, {} as Record<CancellationReason, LossTally>),
      byCompetitor: mapLoss(this.lost.byCompetitor, Object.create(null) as Record<string, LossTally>),
      withoutCompetitor: copy(this.lost.withoutCompetitor),
      byChurnLevel: mapLoss(this.lost.byChurnLevel, {} as Record<LossLevel, LossTally>),
    };
    return { day: this.day, modelVersion: this.model.version, overall, segments, retention: this.retention.report(), yearlyRetention: this.yearly.report(), cohorts: this.cohorts.report(), clvRetention: this.clvRetention, lost };
  }
}

export function populationReport(
  states: Iterable<CustomerState>,
  day: number,
  model: ModelSnapshot,
  parameters: DomainParameters,
  options: ReportOptions = {},
): PopulationReport {
  const reporter = new PopulationReporter(day, model, parameters, options);
  for (const s of states) reporter.add(s);
  return reporter.report();
}
