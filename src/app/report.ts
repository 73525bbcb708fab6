/**
 * `clvstream report`: population reports over the customer states an event file
 * produces (through the same pipeline as `replay`), as JSON or as text tables.
 * The computation is `domain/reports/population-report.ts`; this module reads
 * the file and presents money in base-currency decimals and days as dates.
 */
import type { Readable } from 'node:stream';
import { formatMinorUnits } from '../contracts/minor-units.js';
import type { DomainParameters } from '../domain/parameters.js';
import type { ModelSnapshot } from '../domain/model-snapshot.js';
import {
  REPORT_DIMENSIONS,
  populationReport,
  retentionWindowDays,
  type GroupStats,
  type LossTally,
  type NpsTally,
  type PopulationReport,
} from '../domain/reports/population-report.js';
import { latestYearRetention, type RetentionReport } from '../domain/reports/retention.js';
import { dayToDate } from '../domain/time.js';
import type { IngestRules } from '../ingest/decode.js';
import { MemoryProcessor } from '../pipeline/memory-processor.js';
import { readEventFile, type EventFileSummary } from './event-file.js';

export interface ReportFromEventsOptions {
  readonly input: Readable;
  readonly rules: IngestRules;
  readonly parameters: DomainParameters;
  readonly model: ModelSnapshot;
  readonly nowMs: number;
  /** Events on later days are skipped; null → the latest event day. */
  readonly asOfDay: number | null;
  readonly periodDays?: number;
  /** Cohort period length in days (default 365). */
  readonly cohortDays?: number;
  /** The simple CLV's yearly retention: the configured rate (default) or the one measured over the latest year. */
  readonly clvRetention?: 'fixed' | 'measured';
  /** Called now and then with the lines read so far (a progress line on a TTY). */
  readonly onProgress?: (count: number) => void;
}

export interface ReportRun {
  readonly report: PopulationReport;
  readonly events: EventFileSummary;
  readonly skippedAfterAsOf: number;
}

export async function reportFromEvents(options: ReportFromEventsOptions): Promise<ReportRun> {
  const ctx = { model: options.model, parameters: options.parameters };
  const processor = new MemoryProcessor(ctx);
  const asOf = options.asOfDay ?? Number.POSITIVE_INFINITY;
  let skippedAfterAsOf = 0;
  let latest: number | null = null;
  const events = await readEventFile(options.input, options.rules, options.nowMs, (input) => {
    if (input.day > asOf) {
      skippedAfterAsOf++;
      return;
    }
    latest = latest === null ? input.day : Math.max(latest, input.day);
    processor.apply(input);
  }, options.onProgress);
  const day = options.asOfDay ?? latest ?? 0;
  processor.settleThroughDay(asOf);
  processor.advanceTo(day);
  const measuredRetentionRate =
    options.clvRetention === 'measured' ? latestYearRetention(processor.states.values(), day, retentionWindowDays(options.parameters)) : null;
  const report = populationReport(processor.states.values(), day, options.model, options.parameters, {
    periodDays: options.periodDays,
    cohortDays: options.cohortDays,
    measuredRetentionRate,
  });
  return { report, events, skippedAfterAsOf };
}

/** Money of a (possibly fractional) minor-unit amount, rounded to the minor unit, as a decimal string. */
function decimalOrNull(minor: number | null, currency: string): string | null {
  return minor === null ? null : formatMinorUnits(Math.round(minor), currency);
}

const round = (v: number | null, digits = 4): number | null => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);

function npsView(t: NpsTally) {
  return { respondents: t.respondents, promoters: t.promoters, passives: t.passives, detractors: t.detractors, nps: round(t.nps, 2) };
}

function groupView(g: GroupStats, currency: string) {
  return {
    customers: g.customers,
    share: round(g.share),
    nps: npsView(g.nps),
    avg_historic_clv: decimalOrNull(g.avgHistoricClvMinor, currency),
    avg_predicted_clv: decimalOrNull(g.avgPredictedClvMinor, currency),
    total_historic_clv: decimalOrNull(g.historicClvMinor, currency),
    total_predicted_clv: decimalOrNull(g.predictedClvMinor, currency),
    avg_cost_to_serve: decimalOrNull(g.avgCostToServeMinor, currency),
    total_cost_to_serve: decimalOrNull(g.costToServeMinor, currency),
    complaints: g.complaints,
    complainants: g.complainants,
    complaint_rate: round(g.complaintRate),
  };
}

function lossView(t: LossTally, currency: string) {
  return {
    customers: t.customers,
    historic_clv: decimalOrNull(t.historicClvMinor, currency),
    net_revenue: decimalOrNull(t.netRevenueMinor, currency),
    with_complaints: t.withComplaints,
    preventable_share: round(t.customers === 0 ? null : t.withComplaints / t.customers),
  };
}

const mapValues = <T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

function retentionView(r: RetentionReport) {
  return {
    period_days: r.periodDays,
    window_days: r.windowDays,
    periods: r.periods.map((p) => ({
      start: dayToDate(p.startDay),
      end: dayToDate(p.endDay),
      active_at_start: p.activeAtStart,
      retained: p.retained,
      rate: round(p.rate),
      unknown: p.unknown,
    })),
  };
}

export function reportJson(report: PopulationReport, currency: string) {
  return {
    as_of: dayToDate(report.day),
    model_version: report.modelVersion,
    currency,
    customers: report.overall.customers,
    overall: groupView(report.overall, currency),
    segments: Object.fromEntries(REPORT_DIMENSIONS.map((d) => [d, mapValues(report.segments[d], (g) => groupView(g, currency))])),
    retention: retentionView(report.retention),
    yearly_retention: retentionView(report.yearlyRetention),
    clv_retention: { source: report.clvRetention.source, rate: round(report.clvRetention.rate) },
    cohorts: {
      period_days: report.cohorts.periodDays,
      earlier: report.cohorts.earlier,
      cohorts: report.cohorts.cohorts.map((c) => ({
        start: dayToDate(c.startDay),
        end: dayToDate(c.endDay),
        customers: c.customers,
        later: c.later.map((k) => ({ start: dayToDate(k.startDay), end: dayToDate(k.endDay), active: k.active, unknown: k.unknown, share: round(k.share) })),
      })),
    },
    lost: {
      cancelled: lossView(report.lost.cancelled, currency),
      by_reason: mapValues(report.lost.byReason, (t) => lossView(t, currency)),
      by_competitor: mapValues(report.lost.byCompetitor, (t) => lossView(t, currency)),
      without_competitor: lossView(report.lost.withoutCompetitor, currency),
      by_churn_level: mapValues(report.lost.byChurnLevel, (t) => lossView(t, currency)),
    },
  };
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)];
}

const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)} %`);
const npsText = (t: NpsTally) => (t.nps === null ? '-' : t.nps.toFixed(1));

export const REPORT_CSV_TABLES = ['retention', 'yearly_retention', 'cohorts'] as const;
export type ReportCsvTable = (typeof REPORT_CSV_TABLES)[number];

/**
 * One table of the report as CSV with a header: a retention table (one row per
 * period) or the cohort table in long form (one row per cohort and later
 * period; a cohort without a later period has one row with empty cells).
 */
export function reportCsv(report: PopulationReport, which: ReportCsvTable): string {
  const cell = (v: number | null) => (v === null ? '' : String(v));
  if (which === 'cohorts') {
    let text = 'cohort_start,cohort_end,customers,period_start,period_end,active,unknown,share\n';
    for (const c of report.cohorts.cohorts) {
      const head = `${dayToDate(c.startDay)},${dayToDate(c.endDay)},${c.customers}`;
      if (c.later.length === 0) text += `${head},,,,,\n`;
      for (const k of c.later) text += `${head},${dayToDate(k.startDay)},${dayToDate(k.endDay)},${k.active},${k.unknown},${cell(round(k.share))}\n`;
    }
    return text;
  }
  const r = which === 'retention' ? report.retention : report.yearlyRetention;
  let text = 'period_start,period_end,period_days,active_at_start,retained,rate,unknown\n';
  for (const p of r.periods) {
    text += `${dayToDate(p.startDay)},${dayToDate(p.endDay)},${r.periodDays},${p.activeAtStart},${p.retained},${cell(round(p.rate))},${p.unknown}\n`;
  }
  return text;
}

/** The report as text tables (segments with customers only). */
export function reportTable(report: PopulationReport, currency: string): string {
  const out: string[] = [];
  const o = report.overall;
  out.push(`as of ${dayToDate(report.day)} · model ${report.modelVersion} · ${o.customers} customers · money in ${currency}`);
  out.push(`NPS ${npsText(o.nps)} (${o.nps.respondents} respondents: ${o.nps.promoters} promoters, ${o.nps.passives} passives, ${o.nps.detractors} detractors)`);
  out.push(`average CLV: historic ${decimalOrNull(o.avgHistoricClvMinor, currency) ?? '-'}, predicted ${decimalOrNull(o.avgPredictedClvMinor, currency) ?? '-'}`);
  out.push(`simple CLV retention: ${pct(report.clvRetention.rate)} a year (${report.clvRetention.source})`);
  for (const d of REPORT_DIMENSIONS) {
    out.push('', `${d}:`);
    const rows = Object.entries(report.segments[d])
      .filter(([, g]) => g.customers > 0)
      .map(([value, g]) => [
        value,
        String(g.customers),
        pct(g.share),
        npsText(g.nps),
        String(g.nps.respondents),
        decimalOrNull(g.avgHistoricClvMinor, currency) ?? '-',
        decimalOrNull(g.avgPredictedClvMinor, currency) ?? '-',
        decimalOrNull(g.avgCostToServeMinor, currency) ?? '-',
        pct(g.complaintRate),
      ]);
    out.push(
      ...table(
        ['  value', 'customers', 'share', 'NPS', 'answers', 'avg historic CLV', 'avg predicted CLV', 'avg cost to serve', 'complained'],
        rows.map((r) => [`  ${r[0]}`, ...r.slice(1)]),
      ),
    );
  }
  for (const [title, r] of [['retention', report.retention], ['yearly retention', report.yearlyRetention]] as const) {
    out.push('', `${title} (active = bought in the ${r.periodDays} days; share of last period's active customers active again):`);
    const rows = r.periods.map((p) => [`  ${dayToDate(p.startDay)} … ${dayToDate(p.endDay)}`, String(p.activeAtStart), String(p.retained), pct(p.rate), String(p.unknown)]);
    out.push(...table(['  period', 'active at start', 'retained', 'rate', 'unknown'], rows));
  }
  const cohorts = report.cohorts;
  out.push('', `cohorts by first purchase (${cohorts.periodDays}-day periods; share active in each later period; ${cohorts.earlier} customers are older):`);
  const width = cohorts.cohorts.length - 1;
  const cohortRows = cohorts.cohorts.map((c) => [
    `  ${dayToDate(c.startDay)} … ${dayToDate(c.endDay)}`,
    String(c.customers),
    ...c.later.map((k) => pct(k.share)),
    ...Array<string>(width - c.later.length).fill(''),
  ]);
  out.push(...table(['  cohort', 'customers', ...Array.from({ length: width }, (_, i) => `+${i + 1}`)], cohortRows));
  const lossRows = (entries: [string, LossTally][]) =>
    entries
      .filter(([, t]) => t.customers > 0)
      .map(([k, t]) => [
        `  ${k}`,
        String(t.customers),
        decimalOrNull(t.historicClvMinor, currency)!,
        decimalOrNull(t.netRevenueMinor, currency)!,
        `${t.withComplaints} (${pct(t.withComplaints / t.customers)})`,
      ]);
  const lossHeader = ['  lost', 'customers', 'historic CLV', 'net revenue', 'with complaints'];
  const l = report.lost;
  out.push('', `cancelled: ${l.cancelled.customers} customers, historic CLV ${decimalOrNull(l.cancelled.historicClvMinor, currency)}`);
  out.push(...table(['  by reason', ...lossHeader.slice(1)], lossRows(Object.entries(l.byReason))));
  out.push(...table(['  by competitor', ...lossHeader.slice(1)], lossRows([...Object.entries(l.byCompetitor), ['(none named)', l.withoutCompetitor]])));
  out.push('', 'not cancelled, by churn level:');
  out.push(...table(['  level', ...lossHeader.slice(1)], lossRows(Object.entries(l.byChurnLevel))));
  return out.join('\n') + '\n';
}
