/**
 * Chart panels: a Chart.js chart with its numbers one click away (a table
 * under a <details>) and a CSV download of the same numbers.
 */
import { Chart, registerables, type ChartConfiguration, type ChartType } from 'chart.js';
import { csvLink, h, table } from './dom.js';

Chart.register(...registerables);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", sans-serif';
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;

export const PALETTE = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#ea580c', '#475569', '#0d9488', '#9333ea'];

/** Charts of the page on screen; destroyed when the page changes. */
const live: Chart[] = [];

export function destroyCharts(): void {
  for (const chart of live.splice(0)) chart.destroy();
}

export interface PanelOptions<T extends ChartType> {
  readonly id: string;
  readonly title: string;
  readonly note?: string;
  readonly chart: ChartConfiguration<T>;
  /** The numbers behind the chart. */
  readonly header: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
  readonly wide?: boolean;
}

export function chartPanel<T extends ChartType>(options: PanelOptions<T>): HTMLElement {
  const canvas = h('canvas', { 'aria-label': options.title, role: 'img' });
  const panel = h(
    'section',
    { class: options.wide === true ? 'panel wide' : 'panel', 'data-panel': options.id },
    h('div', { class: 'panel-head' }, h('h3', {}, options.title), csvLink(`${options.id}.csv`, options.header, options.rows)),
    options.note === undefined ? null : h('p', { class: 'note' }, options.note),
    h('div', { class: 'chart' }, canvas),
    h('details', {}, h('summary', {}, 'Numbers'), table(options.header, options.rows, { 'data-table': options.id })),
  );
  // Created once the canvas is in the document (Chart.js measures its parent).
  queueMicrotask(() => live.push(new Chart(canvas, options.chart as ChartConfiguration)));
  return panel;
}

export function barChart(labels: readonly string[], datasets: { label: string; data: (number | null)[] }[], options: { horizontal?: boolean; stacked?: boolean } = {}): ChartConfiguration<'bar'> {
  return {
    type: 'bar',
    data: {
      labels: [...labels],
      datasets: datasets.map((d, i) => ({ ...d, backgroundColor: datasets.length === 1 ? labels.map((_, j) => PALETTE[j % PALETTE.length]!) : PALETTE[i % PALETTE.length] })),
    },
    options: {
      indexAxis: options.horizontal === true ? 'y' : 'x',
      plugins: { legend: { display: datasets.length > 1 } },
      scales: { x: { stacked: options.stacked === true }, y: { stacked: options.stacked === true, beginAtZero: true } },
    },
  };
}
