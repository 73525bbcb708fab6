/**
 * Population: segment sizes per dimension, the value quadrants, the
 * relationship ladder, churn levels, NPS with its classes, retention per
 * period and per year, the cohort table (the share of each first-purchase
 * cohort active in each later period), lost customers by reason and
 * competitor with the value lost, and the
 * average CLV per segment, cost to serve and complaint rate per segment and
 * relationship rung, and how many who left had open or recent complaints —
 * each a chart with its numbers and a CSV download.
 * Everything comes from one `GET /reports/population`.
 */
import { api, type PopulationReport } from './api.js';
import { barChart, chartPanel, PALETTE } from './charts.js';
import { formatValue, h, label, percent } from './dom.js';

type Group = PopulationReport['overall'];
type Loss = PopulationReport['lost']['cancelled'];

const money = (v: string | null): number | null => (v === null ? null : Number(v));

function tiles(report: PopulationReport): HTMLElement {
  const o = report.overall;
  const tile = (name: string, field: string, value: string) => h('div', { class: 'tile' }, h('span', { class: 'tile-value', 'data-kpi': field }, value), h('span', { class: 'tile-label' }, name));
  return h(
    'div',
    { class: 'tiles' },
    tile('customers', 'customers', formatValue(report.customers)),
    tile(`NPS (${o.nps.respondents} answers)`, 'nps', o.nps.nps === null ? '–' : o.nps.nps.toFixed(1)),
    tile(`average historic CLV (${report.currency})`, 'avg_historic_clv', o.avg_historic_clv ?? '–'),
    tile(`average predicted CLV (${report.currency})`, 'avg_predicted_clv', o.avg_predicted_clv ?? '–'),
    tile('cancelled customers', 'cancelled', formatValue(report.lost.cancelled.customers)),
    tile(`historic CLV of the cancelled (${report.currency})`, 'cancelled_clv', report.lost.cancelled.historic_clv ?? '–'),
  );
}

function groupRows(groups: Record<string, Group>): (readonly unknown[])[] {
  return Object.entries(groups).map(([value, g]) => [value, g.customers, g.share, g.nps.nps, g.avg_historic_clv, g.avg_predicted_clv, g.avg_cost_to_serve, g.complaint_rate]);
}
const GROUP_HEADER = ['value', 'customers', 'share', 'nps', 'avg_historic_clv', 'avg_predicted_clv', 'avg_cost_to_serve', 'complaint_rate'];

function sizePanel(id: string, title: string, groups: Record<string, Group>, options: { horizontal?: boolean; note?: string } = {}): HTMLElement {
  const entries = Object.entries(groups);
  return chartPanel({
    id,
    title,
    note: options.note,
    chart: barChart(
      entries.map(([v]) => label(v)),
      [{ label: 'customers', data: entries.map(([, g]) => g.customers) }],
      { horizontal: options.horizontal },
    ),
    header: GROUP_HEADER,
    rows: groupRows(groups),
  });
}

function clvPanel(id: string, title: string, groups: Record<string, Group>, currency: string): HTMLElement {
  const entries = Object.entries(groups).filter(([, g]) => g.customers > 0);
  return chartPanel({
    id,
    title,
    wide: true,
    chart: barChart(
      entries.map(([v]) => label(v)),
      [
        { label: `average historic CLV (${currency})`, data: entries.map(([, g]) => money(g.avg_historic_clv)) },
        { label: `average predicted CLV (${currency})`, data: entries.map(([, g]) => money(g.avg_predicted_clv)) },
      ],
    ),
    header: ['value', 'customers', 'avg_historic_clv', 'avg_predicted_clv', 'total_historic_clv', 'total_predicted_clv'],
    rows: entries.map(([v, g]) => [v, g.customers, g.avg_historic_clv, g.avg_predicted_clv, g.total_historic_clv, g.total_predicted_clv]),
  });
}

/** Cost to serve per customer and the share who complained, per value of a dimension. */
function costPanel(id: string, title: string, groups: Record<string, Group>, currency: string): HTMLElement {
  const entries = Object.entries(groups).filter(([, g]) => g.customers > 0);
  return chartPanel({
    id,
    title,
    chart: {
      type: 'bar',
      data: {
        labels: entries.map(([v]) => label(v)),
        datasets: [
          { label: `average cost to serve (${currency})`, data: entries.map(([, g]) => money(g.avg_cost_to_serve)), backgroundColor: PALETTE[1], yAxisID: 'y' },
          { label: 'complained (%)', data: entries.map(([, g]) => (g.complaint_rate === null ? null : 100 * g.complaint_rate)), backgroundColor: PALETTE[3], yAxisID: 'rate' },
        ],
      },
      options: { scales: { y: { beginAtZero: true, position: 'left' }, rate: { beginAtZero: true, max: 100, position: 'right', grid: { drawOnChartArea: false } } } },
    },
    header: ['value', 'customers', 'avg_cost_to_serve', 'total_cost_to_serve', 'complaints', 'complainants', 'complaint_rate'],
    rows: entries.map(([v, g]) => [v, g.customers, g.avg_cost_to_serve, g.total_cost_to_serve, g.complaints, g.complainants, g.complaint_rate]),
  });
}

function npsPanel(report: PopulationReport): HTMLElement {
  const n = report.overall.nps;
  const rows = Object.entries(report.segments['rfm_segment'] ?? {})
    .filter(([, g]) => g.nps.respondents > 0)
    .map(([v, g]) => [v, g.nps.respondents, g.nps.promoters, g.nps.passives, g.nps.detractors, g.nps.nps]);
  return chartPanel({
    id: 'nps',
    title: `NPS ${n.nps === null ? '–' : n.nps.toFixed(1)}: promoters, passives, detractors`,
    note: n.respondents === 0 ? 'No feedback events yet.' : `${n.respondents} customers answered.`,
    chart: {
      type: 'doughnut',
      data: {
        labels: ['promoters (9–10)', 'passives (7–8)', 'detractors (0–6)'],
        datasets: [{ data: [n.promoters, n.passives, n.detractors], backgroundColor: ['#16a34a', '#f59e0b', '#dc2626'] }],
      },
    },
    header: ['rfm_segment', 'respondents', 'promoters', 'passives', 'detractors', 'nps'],
    rows: [['(all)', n.respondents, n.promoters, n.passives, n.detractors, n.nps], ...rows],
  });
}

type Retention = PopulationReport['retention'];

function retentionPanel(id: string, title: string, r: Retention, note: string): HTMLElement {
  return chartPanel({
    id,
    title,
    note: `${note} Over the ${r.window_days} days the purchase-day memory holds; customers whose activity it cannot tell count as unknown.`,
    wide: true,
    chart: {
      type: 'line',
      data: {
        labels: r.periods.map((p) => p.start),
        datasets: [{ label: 'retention rate', data: r.periods.map((p) => (p.rate === null ? null : 100 * p.rate)), borderColor: PALETTE[0], backgroundColor: PALETTE[0], tension: 0.2 }],
      },
      options: { scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: '%' } } }, plugins: { legend: { display: false } } },
    },
    header: ['start', 'end', 'active_at_start', 'retained', 'rate', 'unknown'],
    rows: r.periods.map((p) => [p.start, p.end, p.active_at_start, p.retained, p.rate, p.unknown]),
  });
}

/** Each first-purchase cohort's share active in the later periods: one line per cohort. */
function cohortPanel(report: PopulationReport): HTMLElement {
  const c = report.cohorts;
  const steps = Math.max(0, ...c.cohorts.map((k) => k.later.length));
  return chartPanel({
    id: 'cohorts',
    title: `Cohorts: share active per ${c.period_days}-day period after the first purchase`,
    note: `Customers grouped by the period of their first purchase; ${c.earlier.toLocaleString('en-US')} bought first before the oldest cohort shown.`,
    wide: true,
    chart: {
      type: 'line',
      data: {
        labels: Array.from({ length: steps }, (_, i) => `+${i + 1}`),
        datasets: c.cohorts
          .filter((k) => k.later.length > 0 && k.customers > 0)
          .map((k, i) => ({
            label: `${k.start} (${k.customers.toLocaleString('en-US')})`,
            data: k.later.map((cell) => (cell.share === null ? null : 100 * cell.share)),
            borderColor: PALETTE[i % PALETTE.length],
            backgroundColor: PALETTE[i % PALETTE.length],
          })),
      },
      options: { scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: '% active' } }, x: { title: { display: true, text: 'periods after the cohort' } } } },
    },
    header: ['cohort_start', 'cohort_end', 'customers', 'period_start', 'period_end', 'active', 'unknown', 'share'],
    rows: c.cohorts.flatMap((k) =>
      k.later.length === 0
        ? [[k.start, k.end, k.customers, null, null, null, null, null]]
        : k.later.map((cell) => [k.start, k.end, k.customers, cell.start, cell.end, cell.active, cell.unknown, cell.share]),
    ),
  });
}

function lossPanel(id: string, title: string, losses: Record<string, Loss>, currency: string): HTMLElement {
  const entries = Object.entries(losses).filter(([, t]) => t.customers > 0);
  if (entries.length === 0) return h('section', { class: 'panel', 'data-panel': id }, h('h3', {}, title), h('p', { class: 'note' }, 'No customers here.'));
  return chartPanel({
    id,
    title,
    chart: {
      type: 'bar',
      data: {
        labels: entries.map(([k]) => label(k)),
        datasets: [
          { label: 'customers', data: entries.map(([, t]) => t.customers), backgroundColor: PALETTE[3], yAxisID: 'y' },
          { label: `historic CLV lost (${currency})`, data: entries.map(([, t]) => money(t.historic_clv)), backgroundColor: PALETTE[9], yAxisID: 'value' },
        ],
      },
      options: { scales: { y: { beginAtZero: true, position: 'left' }, value: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } } } },
    },
    header: ['value', 'customers', 'historic_clv', 'net_revenue', 'with_complaints', 'preventable_share'],
    rows: entries.map(([k, t]) => [k, t.customers, t.historic_clv, t.net_revenue, t.with_complaints, t.preventable_share]),
  });
}

export async function populationPage(root: HTMLElement, query: URLSearchParams): Promise<void> {
  const asOf = h('input', { type: 'date', name: 'as_of', value: query.get('as_of') ?? '' });
  const period = h('input', { type: 'number', name: 'period_days', min: '1', max: '366', value: query.get('period_days') ?? '30' });
  const form = h('form', { class: 'search' }, h('label', {}, 'as of ', asOf), h('label', {}, 'period (days) ', period), h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    if (asOf.value !== '') q.set('as_of', asOf.value);
    q.set('period_days', period.value);
    window.location.hash = `#/population?${q.toString()}`;
  });
  root.append(h('h2', {}, 'Population'), form);
  const loading = h('p', { class: 'note' }, 'Computing the report (reads every customer state)…');
  root.append(loading);
  let report: PopulationReport;
  try {
    report = await api.population({ as_of: query.get('as_of') ?? undefined, period_days: query.get('period_days') ?? undefined });
  } catch (error) {
    loading.replaceWith(h('p', { class: 'error', role: 'alert' }, (error as Error).message));
    return;
  }
  if (asOf.value === '') asOf.value = report.as_of;
  const dims = report.segments;
  const c = report.currency;
  const s = {
    rfm_segment: dims['rfm_segment'] ?? {},
    value_quadrant: dims['value_quadrant'] ?? {},
    relationship: dims['relationship'] ?? {},
    account_status: dims['account_status'] ?? {},
    churn_level: dims['churn_level'] ?? {},
  };
  loading.replaceWith(
    h(
      'p',
      { class: 'headline' },
      `as of ${report.as_of} · model ${report.model_version} · money in ${c} · simple CLV's yearly retention ${percent(report.clv_retention.rate)} (${report.clv_retention.source})`,
    ),
    tiles(report),
    h(
      'div',
      { class: 'grid' },
      sizePanel('rfm-segments', 'RFM segments', s.rfm_segment, { horizontal: true }),
      sizePanel('value-quadrants', 'Value quadrants', s.value_quadrant, { note: 'Loyalty (frequency) against profitability (CLV): true friends, butterflies, barnacles, strangers.' }),
      sizePanel('relationship', 'Relationship ladder', s.relationship, { note: 'From prospect up to partner.' }),
      sizePanel('churn-levels', 'Churn levels', s.churn_level),
      sizePanel('account-status', 'Account status', s.account_status),
      npsPanel(report),
      retentionPanel('retention', `Retention per ${report.retention.period_days}-day period`, report.retention, "Share of a period's active customers (a purchase in the period) who buy again in the next."),
      retentionPanel('yearly-retention', 'Retention per year', report.yearly_retention, "Share of a year's active customers who buy again in the next year."),
      cohortPanel(report),
      lossPanel('lost-by-reason', `Lost customers by reason (${report.lost.cancelled.customers} cancelled)`, report.lost.by_reason, c),
      lossPanel('lost-by-competitor', 'Lost customers by competitor', { ...report.lost.by_competitor, '(none named)': report.lost.without_competitor }, c),
      lossPanel('not-cancelled-by-churn', 'Not cancelled, by churn level: value at stake', report.lost.by_churn_level, c),
      clvPanel('clv-rfm', 'Average CLV per RFM segment', s.rfm_segment, c),
      clvPanel('clv-quadrant', 'Average CLV per value quadrant', s.value_quadrant, c),
      costPanel('cost-rfm', 'Cost to serve and complaints per RFM segment', s.rfm_segment, c),
      costPanel('cost-relationship', 'Cost to serve and complaints per relationship rung', s.relationship, c),
    ),
    h('p', { class: 'note' }, `Shares: ${Object.entries(s.rfm_segment).map(([k, g]) => `${label(k)} ${percent(g.share)}`).join(' · ')}`),
  );
}
