/**
 * The model in use: version, when it was fitted and on what, parameters with
 * their standard errors, diagnostics, its expected-purchases curve, and the
 * back-test of the purchase models published with it (or loaded from a file).
 */
import { api, type ModelInfo } from './api.js';
import { chartPanel, PALETTE } from './charts.js';
import { formatValue, h, table } from './dom.js';

type PurchaseModelKind = 'bgnbd' | 'mbgnbd' | 'pnbd';

const MODEL_NAMES: Record<PurchaseModelKind, string> = { bgnbd: 'BG/NBD', mbgnbd: 'modified BG/NBD', pnbd: 'Pareto/NBD' };
/** One colour per model, the same in every chart; actual purchases are PALETTE[0]. */
const MODEL_COLOURS: Record<PurchaseModelKind, string> = { bgnbd: PALETTE[3]!, mbgnbd: PALETTE[1]!, pnbd: PALETTE[4]! };

function parameterRows(model: ModelInfo): (readonly unknown[])[] {
  const rows: (readonly unknown[])[] = [];
  const se = model.standard_errors;
  const withError = (label: string, name: string, value: number, errors: Record<string, number> | null) => [label, value, errors?.[name] ?? '–'];
  const kind = model.purchase_model;
  if (model.bgnbd !== null && kind !== null) {
    const b = model.bgnbd;
    const name = MODEL_NAMES[kind];
    rows.push(
      withError(`${name} r`, 'r', b.r, se.purchase),
      withError(`${name} α (days)`, 'alpha', b.alpha, se.purchase),
      withError(`${name} a`, 'a', b.a, se.purchase),
      withError(`${name} b`, 'b', b.b, se.purchase),
    );
  }
  if (model.pnbd !== null) {
    const p = model.pnbd;
    rows.push(
      withError('Pareto/NBD r', 'r', p.r, se.purchase),
      withError('Pareto/NBD α (days)', 'alpha', p.alpha, se.purchase),
      withError('Pareto/NBD s', 's', p.s, se.purchase),
      withError('Pareto/NBD β (days)', 'beta', p.beta, se.purchase),
    );
  }
  if (model.gamma_gamma !== null) {
    const g = model.gamma_gamma;
    rows.push(
      withError('Gamma-Gamma p', 'p', g.p, se.gamma_gamma),
      withError('Gamma-Gamma q', 'q', g.q, se.gamma_gamma),
      withError(`Gamma-Gamma v (${model.money_unit})`, 'v', g.v, se.gamma_gamma),
    );
  }
  if (model.cut_points !== null) {
    for (const [name, cuts] of Object.entries(model.cut_points)) rows.push([`RFM ${name} cut points`, cuts.join(' / '), '']);
  }
  return rows;
}

/** What the back-test chart needs, whether it came with the model or from a file. */
interface Comparison {
  readonly calibrationEnd: string;
  readonly cohort: number;
  readonly models: readonly {
    readonly model: PurchaseModelKind;
    readonly tracking: readonly { t: number; actual: number; predicted: number }[];
    readonly holdout: { mean_absolute_error: number; root_mean_squared_error?: number; predicted: number; actual: number; relative_error: number | null } | null;
  }[];
  /** The model the version publishes (null for a file without one). */
  readonly chosen: PurchaseModelKind | null;
  readonly best: PurchaseModelKind | null;
}

type Tracking = readonly { t: number; actual: number; predicted: number }[];

function isTracking(value: unknown): value is Tracking {
  return (
    Array.isArray(value) &&
    value.every((p: unknown) => {
      const q = p as Partial<Tracking[number]> | null;
      return typeof q === 'object' && q !== null && typeof q.t === 'number' && typeof q.actual === 'number' && typeof q.predicted === 'number';
    })
  );
}

const isKind = (v: unknown): v is PurchaseModelKind => v === 'bgnbd' || v === 'mbgnbd' || v === 'pnbd';

/**
 * A `clvstream backtest --format json` file: its `comparison` (every model) when
 * it has one, else the single model's `tracking` of older files.
 */
function comparisonOfFile(value: unknown): Comparison | null {
  const v = value as { calibration_end?: unknown; cohort?: unknown; tracking?: unknown; comparison?: unknown } | null;
  if (typeof v !== 'object' || v === null || typeof v.calibration_end !== 'string' || typeof v.cohort !== 'number') return null;
  const c = v.comparison as { models?: unknown; best?: unknown } | undefined;
  if (c !== undefined && Array.isArray(c.models)) {
    const models = (c.models as { model?: unknown; tracking?: unknown; holdout?: unknown }[]).filter((m) => isKind(m.model) && isTracking(m.tracking));
    if (models.length > 0) {
      return {
        calibrationEnd: v.calibration_end,
        cohort: v.cohort,
        models: models.map((m) => ({ model: m.model as PurchaseModelKind, tracking: m.tracking as Tracking, holdout: (m.holdout ?? null) as Comparison['models'][number]['holdout'] })),
        // A file's `chosen` is only the model of its main table: nothing was published.
        chosen: null,
        best: isKind(c.best) ? c.best : null,
      };
    }
  }
  if (!isTracking(v.tracking)) return null;
  return { calibrationEnd: v.calibration_end, cohort: v.cohort, models: [{ model: 'bgnbd', tracking: v.tracking, holdout: null }], chosen: null, best: null };
}

function comparisonOfModel(model: ModelInfo): Comparison | null {
  const b = model.backtest;
  if (b === null || b.models.length === 0) return null;
  return { calibrationEnd: b.calibration_end, cohort: b.cohort, models: b.models, chosen: b.chosen, best: b.best };
}

/** Cumulative holdout purchases week by week: actual, and each model's prediction, in one chart; then the error measures. */
function comparisonPanels(c: Comparison, source: string): HTMLElement[] {
  const actual = c.models[0]!.tracking;
  const name = (kind: PurchaseModelKind) => MODEL_NAMES[kind] + (kind === c.chosen ? ' (published)' : '');
  const chart = chartPanel({
    id: 'backtest',
    title: `Holdout after ${c.calibrationEnd}: actual vs ${c.models.map((m) => MODEL_NAMES[m.model]).join(', ')} (${c.cohort.toLocaleString('en-US')} customers)`,
    note: source,
    wide: true,
    chart: {
      type: 'line',
      data: {
        labels: actual.map((p) => String(Math.round(p.t / 7))),
        datasets: [
          { label: 'actual', data: actual.map((p) => p.actual), borderColor: PALETTE[0], backgroundColor: PALETTE[0], pointRadius: 0 },
          ...c.models.map((m) => ({
            label: name(m.model),
            data: m.tracking.map((p) => p.predicted),
            borderColor: MODEL_COLOURS[m.model],
            backgroundColor: MODEL_COLOURS[m.model],
            borderDash: [6, 4],
            pointRadius: 0,
          })),
        ],
      },
      options: { scales: { x: { title: { display: true, text: 'weeks after the calibration end' } }, y: { beginAtZero: true, title: { display: true, text: 'cumulative repeat purchases' } } } },
    },
    header: ['day', 'actual', ...c.models.map((m) => `predicted_${m.model}`)],
    rows: actual.map((p, i) => [p.t, p.actual, ...c.models.map((m) => Math.round((m.tracking[i]?.predicted ?? Number.NaN) * 100) / 100)]),
  });
  const withErrors = c.models.filter((m) => m.holdout !== null);
  if (withErrors.length === 0) return [chart];
  const errors = h(
    'section',
    { class: 'panel wide', 'data-panel': 'backtest-errors' },
    h('h3', {}, 'Holdout error per model'),
    table(
      ['model', 'MAE per customer', 'RMSE per customer', 'predicted', 'actual', 'error of the total'],
      withErrors.map((m) => {
        const e = m.holdout!;
        return [
          name(m.model),
          Math.round(e.mean_absolute_error * 1e4) / 1e4,
          e.root_mean_squared_error === undefined ? '–' : Math.round(e.root_mean_squared_error * 1e4) / 1e4,
          Math.round(e.predicted * 10) / 10,
          e.actual,
          e.relative_error === null ? '–' : `${(100 * e.relative_error).toFixed(2)} %`,
        ];
      }),
      { 'data-table': 'backtest-errors' },
    ),
    c.best === null ? null : h('p', { class: 'note' }, `Smallest mean absolute error per customer: ${MODEL_NAMES[c.best]}.`),
  );
  return [chart, errors];
}

/**
 * The back-test: the comparison published with the version (`fit --state
 * --backtest-events`) when there is one; a `clvstream backtest --format json`
 * file can be loaded instead, e.g. for a version published without one.
 */
function backtestSection(model: ModelInfo | null): HTMLElement {
  const input = h('input', { type: 'file', accept: '.json,application/json', 'aria-label': 'back-test JSON file', name: 'backtest' });
  const slot = h('div', { class: 'grid' });
  const published = model === null ? null : comparisonOfModel(model);
  if (published !== null) slot.replaceChildren(...comparisonPanels(published, `Published with version ${model!.version}.`));
  const section = h(
    'section',
    { class: 'panel wide', 'data-panel': 'backtest-loader' },
    h('h3', {}, 'Back-test'),
    h(
      'p',
      { class: 'note' },
      published === null
        ? 'This version was published without a back-test (`clvstream fit --state --backtest-events <events> --calibration-end <date>` publishes one). Load the output of `clvstream backtest <events> --calibration-end <date> --format json` to chart one.'
        : 'Or load the output of `clvstream backtest <events> --calibration-end <date> --format json` to chart another split.',
    ),
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
      const comparison = comparisonOfFile(parsed);
      if (comparison === null) {
        slot.replaceChildren(h('p', { class: 'error', role: 'alert' }, `${file.name} is not the JSON output of clvstream backtest.`));
        return;
      }
      slot.replaceChildren(...comparisonPanels(comparison, `From ${file.name}.`));
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
      h('div', { class: 'tile' }, h('span', { class: 'tile-value small', 'data-kpi': 'purchase_model' }, model.purchase_model === null ? '–' : MODEL_NAMES[model.purchase_model]), h('span', { class: 'tile-label' }, 'purchase model')),
      h('div', { class: 'tile' }, h('span', { class: 'tile-value', 'data-kpi': 'fitted_at' }, model.fitted_at?.replace('T', ' ').slice(0, 19) ?? '–'), h('span', { class: 'tile-label' }, 'fitted at (UTC)')),
      h('div', { class: 'tile' }, h('span', { class: 'tile-value', 'data-kpi': 'as_of' }, model.as_of ?? '–'), h('span', { class: 'tile-label' }, 'summaries taken as of')),
      h('div', { class: 'tile' }, h('span', { class: 'tile-value', 'data-kpi': 'customers' }, d === null ? '–' : formatValue(d.customers)), h('span', { class: 'tile-label' }, `customers (${d === null ? '–' : formatValue(d.repeat_buyers)} repeat buyers)`)),
    ),
  );
  if (model.purchase_model === null) {
    root.append(h('p', { class: 'note' }, 'No model fitted yet: CLV follows the simple rule and churn the inactivity rule. `clvstream fit --state` fits and publishes one.'), backtestSection(null));
    return;
  }
  const curve = model.expected_repeat_purchases;
  const purchaseName = MODEL_NAMES[model.purchase_model];
  root.append(
    h(
      'div',
      { class: 'grid' },
      h(
        'section',
        { class: 'panel' },
        h('h3', {}, 'Parameters'),
        table(['parameter', 'value', 'standard error'], parameterRows(model), { 'data-table': 'parameters' }),
        d === null
          ? null
          : h('p', { class: 'note' }, `log-likelihood ${d.log_likelihood.toFixed(2)} · ${d.iterations} iterations · ${d.converged ? 'converged' : 'NOT converged'}`),
      ),
      chartPanel({
        id: 'expected-purchases',
        title: 'Expected repeat purchases of a new customer',
        note: `E[X(t)] of the fitted ${purchaseName} over the first year, by week.`,
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
      backtestSection(model),
    ),
  );
}
