/** The model in use: version, when it was fitted and on what, parameters, diagnostics, and its expected-purchases curve. */
import { api, type ModelInfo } from './api.js';
import { chartPanel, PALETTE } from './charts.js';
import { formatValue, h, table } from './dom.js';

function parameterRows(model: ModelInfo): (readonly unknown[])[] {
  const rows: (readonly unknown[])[] = [];
  if (model.bgnbd !== null) {
    const b = model.bgnbd;
    rows.push(['BG/NBD r', b.r], ['BG/NBD α (days)', b.alpha], ['BG/NBD a', b.a], ['BG/NBD b', b.b]);
  }
  if (model.gamma_gamma !== null) {
    const g = model.gamma_gamma;
    rows.push(['Gamma-Gamma p', g.p], ['Gamma-Gamma q', g.q], [`Gamma-Gamma v (${model.money_unit})`, g.v]);
  }
  if (model.cut_points !== null) {
    for (const [name, cuts] of Object.entries(model.cut_points)) rows.push([`RFM ${name} cut points`, cuts.join(' / ')]);
  }
  return rows;
}

interface BacktestFile {
  readonly calibration_end: string;
  readonly holdout_end: string;
  readonly cohort: number;
  readonly tracking: readonly { t: number; actual: number; predicted: number }[];
}

function isBacktest(value: unknown): value is BacktestFile {
  const v = value as Partial<BacktestFile> | null;
  const point = (p: unknown): boolean => {
    const q = p as Partial<BacktestFile['tracking'][number]> | null;
    return typeof q === 'object' && q !== null && typeof q.t === 'number' && typeof q.actual === 'number' && typeof q.predicted === 'number';
  };
  return typeof v === 'object' && v !== null && typeof v.calibration_end === 'string' && typeof v.cohort === 'number' && Array.isArray(v.tracking) && (v.tracking as unknown[]).every(point);
}

/**
 * The back-test chart: `clvstream backtest --format json` on an event file fits on
 * a calibration period and tracks the cohort's holdout purchases; the model in
 * Redis keeps no holdout of its own, so the console charts the file it is given.
 */
function backtestSection(): HTMLElement {
  const input = h('input', { type: 'file', accept: '.json,application/json', 'aria-label': 'back-test JSON file', name: 'backtest' });
  const slot = h('div', { class: 'grid' });
  const section = h(
    'section',
    { class: 'panel wide', 'data-panel': 'backtest-loader' },
    h('h3', {}, 'Back-test'),
    h('p', { class: 'note' }, 'Load the output of `clvstream backtest <events> --calibration-end <date> --format json`: the cohort\'s cumulative repeat purchases in the holdout, actual against the BG/NBD\'s prediction.'),
    input,
    slot,
  );
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file === undefined) return;
    void file.text().then((text) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
      if (!isBacktest(parsed)) {
        slot.replaceChildren(h('p', { class: 'error', role: 'alert' }, `${file.name} is not the JSON output of clvstream backtest.`));
        return;
      }
      const points = parsed.tracking;
      slot.replaceChildren(
        chartPanel({
          id: 'backtest',
          title: `Holdout after ${parsed.calibration_end}: actual vs predicted (${parsed.cohort.toLocaleString('en-US')} customers)`,
          wide: true,
          chart: {
            type: 'line',
            data: {
              labels: points.map((p) => String(Math.round(p.t / 7))),
              datasets: [
                { label: 'actual', data: points.map((p) => p.actual), borderColor: PALETTE[0], backgroundColor: PALETTE[0], pointRadius: 0 },
                { label: 'BG/NBD', data: points.map((p) => p.predicted), borderColor: PALETTE[3], backgroundColor: PALETTE[3], borderDash: [6, 4], pointRadius: 0 },
              ],
            },
            options: { scales: { x: { title: { display: true, text: 'weeks after the calibration end' } }, y: { beginAtZero: true, title: { display: true, text: 'cumulative repeat purchases' } } } },
          },
          header: ['day', 'actual', 'predicted'],
          rows: points.map((p) => [p.t, p.actual, Math.round(p.predicted * 100) / 100]),
        }),
      );
    });
  });
  return section;
}

export async function modelPage(root: HTMLElement): Promise<void> {
  root.append(h('h2', {}, 'Model'));
  let model: ModelInfo;
  try {
    model = await api.model();
  } catch (error) {
    root.append(h('p', { class: 'error', role: 'alert' }, (error as Error).message));
    return;
  }
  const d = model.diagnostics;
  root.append(
    h(
      'div',
      { class: 'tiles' },
      h('div', { class: 'tile' }, h('span', { class: 'tile-value small', 'data-kpi': 'version' }, model.version), h('span', { class: 'tile-label' }, 'version in use')),
      h('div', { class: 'tile' }, h('span', { class: 'tile-value', 'data-kpi': 'fitted_at' }, model.fitted_at?.replace('T', ' ').slice(0, 19) ?? '–'), h('span', { class: 'tile-label' }, 'fitted at (UTC)')),
      h('div', { class: 'tile' }, h('span', { class: 'tile-value', 'data-kpi': 'as_of' }, model.as_of ?? '–'), h('span', { class: 'tile-label' }, 'summaries taken as of')),
      h('div', { class: 'tile' }, h('span', { class: 'tile-value', 'data-kpi': 'customers' }, d === null ? '–' : formatValue(d.customers)), h('span', { class: 'tile-label' }, `customers (${d === null ? '–' : formatValue(d.repeat_buyers)} repeat buyers)`)),
    ),
  );
  if (model.bgnbd === null) {
    root.append(h('p', { class: 'note' }, 'No model fitted yet: CLV follows the simple rule and churn the inactivity rule. `clvstream fit --state` fits and publishes one.'), backtestSection());
    return;
  }
  const curve = model.expected_repeat_purchases;
  root.append(
    h(
      'div',
      { class: 'grid' },
      h(
        'section',
        { class: 'panel' },
        h('h3', {}, 'Parameters'),
        table(['parameter', 'value'], parameterRows(model), { 'data-table': 'parameters' }),
        d === null
          ? null
          : h('p', { class: 'note' }, `log-likelihood ${d.log_likelihood.toFixed(2)} · ${d.iterations} iterations · ${d.converged ? 'converged' : 'NOT converged'}`),
      ),
      chartPanel({
        id: 'expected-purchases',
        title: 'Expected repeat purchases of a new customer',
        note: 'E[X(t)] of the fitted BG/NBD over the first year, by week.',
        chart: {
          type: 'line',
          data: {
            labels: curve.map((p) => String(p.day)),
            datasets: [{ label: 'expected repeat purchases', data: curve.map((p) => p.expected), borderColor: PALETTE[0], backgroundColor: PALETTE[0], pointRadius: 0 }],
          },
          options: { plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: 'days since first purchase' } }, y: { beginAtZero: true } } },
        },
        header: ['day', 'expected_repeat_purchases'],
        rows: curve.map((p) => [p.day, p.expected]),
      }),
      backtestSection(),
    ),
  );
}
