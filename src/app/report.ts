/**
 * `clvstream report`: population reports over the customer states an event file
 * produces (through the same pipeline as `replay`), as JSON or as text tables.
 * The computation is `domain/reports/population-report.ts`; this module reads
 * the file and presents money in base-currency decimals and days as dates.
 */
import type { Readable } from 'node:stream';
import { formatMinorUnits } from '../contracts/money.js';
import type { DomainConfig } from '../domain/config.js';
import type { ModelSnapshot } from '../domain/model-snapshot.js';
import {
  REPORT_DIMENSIONS,
  populationReport,
  type GroupStats,
  type LossTally,
  type NpsTally,
  type PopulationReport,
} from '../domain/reports/population-report.js';
import { dayToDate } from '../domain/time.js';
import type { IngestRules } from '../ingest/decode.js';
import { MemoryProcessor } from '../pipeline/memory-processor.js';
import { readEventFile, type EventFileSummary } from './event-file.js';

export interface ReportFromEventsOptions {
  readonly input: Readable;
  readonly rules: IngestRules;
  readonly config: DomainConfig;
  readonly model: ModelSnapshot;
  readonly nowMs: number;
  /** Events on later days are skipped; null → the latest event day. */
  readonly asOfDay: number | null;
  readonly periodDays?: number;
  /** Called now and then with the lines read so far (a progress line on a TTY). */
  readonly onProgress?: (count: number) => void;
}

export interface ReportRun {
  readonly report: PopulationReport;
  readonly events: EventFileSummary;
  readonly skippedAfterAsOf: number;
}

export async function reportFromEvents(options: ReportFromEventsOptions): Promise<ReportRun> {
  const ctx = { model: options.model, config: options.config };
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
  processor.advanceTo(day);
  const report = populationReport(processor.states.values(), day, options.model, options.config, { periodDays: options.periodDays });
  return { report, events, skippedAfterAsOf };
}

/** Money of a (possibly fractional) minor-unit amount, rounded to the minor unit, as a decimal string. */
function money(minor: number | null, currency: string): string | null {
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
    avg_historic_clv: money(g.avgHistoricClvMinor, currency),
    avg_predicted_clv: money(g.avgPredictedClvMinor, currency),
    total_historic_clv: money(g.historicClvMinor, currency),
    total_predicted_clv: money(g.predictedClvMinor, currency),
    avg_cost_to_serve: money(g.avgCostToServeMinor, currency),
    total_cost_to_serve: money(g.costToServeMinor, currency),
    complaints: g.complaints,
    complainants: g.complainants,
    complaint_rate: round(g.complaintRate),
  };
}

function lossView(t: LossTally, currency: string) {
  return {
    customers: t.customers,
    historic_clv: money(t.historicClvMinor, currency),
    net_revenue: money(t.netRevenueMinor, currency),
    with_complaints: t.withComplaints,
    preventable_share: round(t.customers === 0 ? null : t.withComplaints / t.customers),
  };
}

const mapValues = <T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

export function reportJson(report: PopulationReport, currency: string) {
  return {
    as_of: dayToDate(report.day),
    model_version: report.modelVersion,
    currency,
    customers: report.overall.customers,
    overall: groupView(report.overall, currency),
    segments: Object.fromEntries(REPORT_DIMENSIONS.map((d) => [d, mapValues(report.segments[d], (g) => groupView(g, currency))])),
    retention: {
      period_days: report.retention.periodDays,
      window_days: report.retention.windowDays,
      periods: report.retention.periods.map((p) => ({
        start: dayToDate(p.startDay),
        end: dayToDate(p.endDay),
        active_at_start: p.activeAtStart,
        retained: p.retained,
        rate: round(p.rate),
        unknown: p.unknown,
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

/** The report as text tables (segments with customers only). */
export function reportTable(report: PopulationReport, currency: string): string {
  const out: string[] = [];
  const o = report.overall;
  out.push(`as of ${dayToDate(report.day)} · model ${report.modelVersion} · ${o.customers} customers · money in ${currency}`);
  out.push(`NPS ${npsText(o.nps)} (${o.nps.respondents} respondents: ${o.nps.promoters} promoters, ${o.nps.passives} passives, ${o.nps.detractors} detractors)`);
  out.push(`average CLV: historic ${money(o.avgHistoricClvMinor, currency) ?? '-'}, predicted ${money(o.avgPredictedClvMinor, currency) ?? '-'}`);
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
        money(g.avgHistoricClvMinor, currency) ?? '-',
        money(g.avgPredictedClvMinor, currency) ?? '-',
        money(g.avgCostToServeMinor, currency) ?? '-',
        pct(g.complaintRate),
      ]);
    out.push(
      ...table(
        ['  value', 'customers', 'share', 'NPS', 'answers', 'avg historic CLV', 'avg predicted CLV', 'avg cost to serve', 'complained'],
        rows.map((r) => [`  ${r[0]}`, ...r.slice(1)]),
      ),
    );
  }
  out.push('', `retention (active = bought in the ${report.retention.periodDays} days; share of last period's active customers active again):`);
  if (report.retention.periods.length === 0) out.push('  (the purchase-day memory holds fewer than two periods)');
  else {
    const rows = report.retention.periods.map((p) => [`  ${dayToDate(p.startDay)} … ${dayToDate(p.endDay)}`, String(p.activeAtStart), String(p.retained), pct(p.rate)]);
    out.push(...table(['  period', 'active at start', 'retained', 'rate'], rows));
  }
  const lossRows = (entries: [string, LossTally][]) =>
    entries
      .filter(([, t]) => t.customers > 0)
      .map(([k, t]) => [
        `  ${k}`,
        String(t.customers),
        money(t.historicClvMinor, currency)!,
        money(t.netRevenueMinor, currency)!,
        `${t.withComplaints} (${pct(t.withComplaints / t.customers)})`,
      ]);
  const lossHeader = ['  lost', 'customers', 'historic CLV', 'net revenue', 'with complaints'];
  const l = report.lost;
  out.push('', `cancelled: ${l.cancelled.customers} customers, historic CLV ${money(l.cancelled.historicClvMinor, currency)}`);
  out.push(...table(['  by reason', ...lossHeader.slice(1)], lossRows(Object.entries(l.byReason))));
  out.push(...table(['  by competitor', ...lossHeader.slice(1)], lossRows([...Object.entries(l.byCompetitor), ['(none named)', l.withoutCompetitor]])));
  out.push('', 'not cancelled, by churn level:');
  out.push(...table(['  level', ...lossHeader.slice(1)], lossRows(Object.entries(l.byChurnLevel))));
  return out.join('\n') + '\n';
}
