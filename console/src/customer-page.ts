/**
 * Customer look-up: every figure of the customer's view (grouped — value, the
 * forecast with the model that made it, segments, churn, purchases, cost to
 * serve and complaints, feedback — and any field the server adds shows under
 * "More" without a console change), the history the state keeps and what the
 * model predicts. docs/analytics.md defines each figure.
 */
import { api, ApiError, type CustomerDetails, type CustomerView } from './api.js';
import { barChart, chartPanel } from './charts.js';
import { formatValue, h, label } from './dom.js';

/** Figures shown together; the rest of the view's fields go under "More". */
const GROUPS: readonly { id: string; title: string; fields: readonly string[] }[] = [
  { id: 'value', title: 'Value', fields: ['clv_historic', 'clv_predicted_year', 'clv_predicted_year_low', 'clv_predicted_year_high', 'clv_predicted', 'clv_predicted_low', 'clv_predicted_high', 'clv_total', 'monetary', 'gross_revenue', 'refunds', 'discounts', 'contribution_margin', 'referral_value'] },
  {
    id: 'forecast',
    title: 'Forecast',
    fields: [
      'p_alive',
      'p_alive_reason',
      'expected_purchases_30d',
      'expected_purchases_30d_low',
      'expected_purchases_30d_high',
      'expected_purchases_90d',
      'expected_purchases_90d_low',
      'expected_purchases_90d_high',
      'expected_purchases_365d',
      'expected_purchases_365d_low',
      'expected_purchases_365d_high',
      'prediction_interval_level',
      'next_purchase_expected',
      'next_purchase_median_days',
      'mean_days_between_purchases',
      'expected_spend_per_purchase',
      'prediction_model',
      'model_version',
    ],
  },
  { id: 'segments', title: 'Segments', fields: ['rfm_segment', 'r_score', 'f_score', 'm_score', 'value_quadrant', 'relationship', 'account_status'] },
  { id: 'churn', title: 'Churn', fields: ['churn_level', 'churn_reasons', 'cancellation_reason', 'competitor'] },
  { id: 'purchases', title: 'Purchases', fields: ['first_purchase', 'last_purchase', 'recency_days', 'frequency', 'x', 't_x_days', 'T_days', 'zbar', 'returns', 'unmatched_returns'] },
  {
    id: 'cost',
    title: 'Cost to serve and complaints',
    fields: ['cost_to_serve', 'cost_to_serve_estimated', 'cost_to_serve_actual', 'interactions', 'complaints', 'open_complaints', 'last_complaint_at'],
  },
  { id: 'feedback', title: 'Feedback and referrals', fields: ['nps_score', 'nps_category', 'referrals_made', 'successful_referrals', 'referred_by'] },
];
/** Shown in the headline (customer_id) or only as a figure's unit (clv_horizon_days), never as a figure of their own. */
const HEADLINE = ['customer_id', 'as_of', 'currency', 'clv_horizon_days'];
/** The cost-by-activity figures: shown as the table of the cost panel. */
const COST_ACTIVITIES = ['orders', 'returns', 'interactions'] as const;
const costField = (activity: string, kind: 'estimated' | 'actual') => `cost_${activity}_${kind}`;
/** Fields whose values are vocabulary words (`at_risk` shows as "at risk"); ids and names show as they are. */
const VOCABULARY = new Set(['rfm_segment', 'value_quadrant', 'relationship', 'account_status', 'churn_level', 'churn_reasons', 'nps_category', 'cancellation_reason', 'p_alive_reason', 'prediction_model']);

/** Labels that say more than the field name; money fields name the currency. */
function labelOf(field: string, view: CustomerView): string {
  const c = view.currency;
  const labels: Record<string, string> = {
    p_alive: 'P(alive)',
    p_alive_reason: 'no P(alive) because',
    expected_purchases_30d: 'expected purchases, next 30 days',
    expected_purchases_90d: 'expected purchases, next 90 days',
    expected_purchases_365d: 'expected purchases, next 365 days',
    next_purchase_expected: 'next purchase expected on',
    next_purchase_median_days: 'days to the next purchase (median)',
    mean_days_between_purchases: 'average days between purchases',
    expected_spend_per_purchase: `expected spend per order (${c})`,
    prediction_model: 'prediction model',
    model_version: 'model version',
    clv_historic: `historic CLV (${c})`,
    clv_predicted_year: `predicted CLV, next year (${c})`,
    clv_predicted: `predicted CLV, next ${view.clv_horizon_days} days (${c})`,
    clv_total: `total CLV, historic + predicted (${c})`,
    cost_to_serve: `cost to serve (${c})`,
    cost_to_serve_estimated: `… estimated (${c})`,
    cost_to_serve_actual: `… actual (${c})`,
    interactions: 'service interactions',
    complaints: 'complaints',
    open_complaints: 'open complaints',
    last_complaint_at: 'last complaint',
    t_x_days: 't_x (days)',
    T_days: 'T (days)',
  };
  return labels[field] ?? label(field);
}

function figure(view: CustomerView, field: string): HTMLElement {
  const value = (view as unknown as Record<string, unknown>)[field];
  const text = field === 'p_alive' && typeof value === 'number' ? `${(100 * value).toFixed(1)} %` : formatValue(value, VOCABULARY.has(field));
  return h('div', { class: 'figure' }, h('dt', {}, labelOf(field, view)), h('dd', { 'data-field': field }, text));
}

function viewCards(view: CustomerView): HTMLElement {
  const record = view as unknown as Record<string, unknown>;
  const costFields = COST_ACTIVITIES.flatMap((a) => [costField(a, 'estimated'), costField(a, 'actual')]);
  const shown = new Set([...HEADLINE, ...costFields, ...GROUPS.flatMap((g) => g.fields)]);
  const more = Object.keys(record).filter((k) => !shown.has(k));
  const groups = [...GROUPS, ...(more.length > 0 ? [{ id: 'more', title: 'More', fields: more }] : [])];
  return h(
    'div',
    { class: 'cards' },
    ...groups.map((g) =>
      h('section', { class: 'card', 'data-card': g.id }, h('h3', {}, g.title), h('dl', {}, ...g.fields.filter((f) => f in record).map((f) => figure(view, f)))),
    ),
  );
}

/** Cost to serve by activity, estimated (the configured rates) against actual (the events' own costs). */
function costPanel(view: CustomerView): HTMLElement {
  const record = view as unknown as Record<string, string>;
  const rows = COST_ACTIVITIES.map((a) => [a, record[costField(a, 'estimated')], record[costField(a, 'actual')]] as const);
  return chartPanel({
    id: 'cost-by-activity',
    title: `Cost to serve by activity (${view.currency})`,
    note: 'Estimated: activities without a cost of their own, at COST_PER_ORDER, COST_PER_RETURN and the activity-cost table. Actual: the costs the events carried.',
    chart: barChart(
      rows.map(([a]) => a),
      [
        { label: 'estimated', data: rows.map(([, e]) => Number(e)) },
        { label: 'actual', data: rows.map(([, , a]) => Number(a)) },
      ],
      { stacked: true },
    ),
    header: ['activity', 'estimated', 'actual'],
    rows: [...rows, ['total', view.cost_to_serve_estimated, view.cost_to_serve_actual]],
  });
}

function historyPanels(view: CustomerView, details: CustomerDetails): HTMLElement[] {
  const panels: HTMLElement[] = [];
  const orders = details.recent_orders;
  panels.push(
    chartPanel({
      id: 'recent-orders',
      title: 'Latest orders',
      note: `The orders the state keeps (amounts in ${view.currency}). Purchase days remembered: ${details.purchase_days.length} (window ${details.purchase_day_window_days} days).`,
      chart: barChart(
        orders.map((o) => o.date),
        [{ label: `amount (${view.currency})`, data: orders.map((o) => Number(o.amount)) }],
      ),
      header: ['date', 'amount', 'margin'],
      rows: orders.map((o) => [o.date, o.amount, o.margin]),
    }),
  );
  panels.push(costPanel(view));
  const predictions = details.predictions.expected_purchases;
  panels.push(
    chartPanel({
      id: 'predictions',
      title: 'What the model predicts',
      note:
        predictions.length === 0
          ? `Model ${details.predictions.model_version}: no BG/NBD fitted yet, so no purchase predictions (run \`clvstream fit --state\`).`
          : `Expected purchases in the next days (model ${details.predictions.model_version}; P(alive) ${details.predictions.p_alive === null ? '–' : `${(100 * details.predictions.p_alive).toFixed(1)} %`}).`,
      chart: barChart(
        predictions.map((p) => `${p.days} days`),
        [{ label: 'expected purchases', data: predictions.map((p) => p.expected) }],
      ),
      header: ['horizon_days', 'expected_purchases'],
      rows: predictions.map((p) => [p.days, p.expected]),
    }),
  );
  panels.push(
    h(
      'section',
      { class: 'panel' },
      h('h3', {}, 'History the state keeps'),
      h(
        'dl',
        { class: 'history' },
        h('dt', {}, 'purchase days'),
        h('dd', { 'data-field': 'purchase_days' }, details.purchase_days.join(', ') || '–'),
        h('dt', {}, 'returns on'),
        h('dd', {}, details.recent_return_days.join(', ') || '–'),
        h('dt', {}, 'NPS answered on'),
        h('dd', {}, details.nps_answered_on ?? '–'),
        h('dt', {}, 'cancelled at'),
        h('dd', {}, details.cancelled_at ?? '–'),
        h('dt', {}, 'partition'),
        h('dd', {}, String(details.partition)),
      ),
      h('p', { class: 'note' }, 'The state keeps the current segments and churn level, not their past values; the segment-changed and churn-risk events on Kafka are that history.'),
    ),
  );
  return panels;
}

export async function customerPage(root: HTMLElement, id: string | undefined): Promise<void> {
  const input = h('input', { type: 'search', name: 'customer', placeholder: 'customer id', value: id ?? '', 'aria-label': 'customer id', required: '' });
  const form = h('form', { class: 'search' }, input, h('button', { type: 'submit' }, 'Look up'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const wanted = input.value.trim();
    if (wanted !== '') window.location.hash = `#/customers/${encodeURIComponent(wanted)}`;
  });
  root.append(h('h2', {}, 'Customer look-up'), form);
  if (id === undefined || id === '') {
    root.append(h('p', { class: 'note' }, 'Enter a customer id (the Kafka message key), e.g. 0001 in the CDNOW sample.'));
    return;
  }
  try {
    const [view, details] = await Promise.all([api.customer(id), api.customerDetails(id)]);
    root.append(
      h(
        'p',
        { class: 'headline' },
        h('strong', { 'data-field': 'customer_id' }, view.customer_id),
        ' · as of ',
        h('span', { 'data-field': 'as_of' }, view.as_of),
        ` · money in ${view.currency} · model ${view.model_version} (${label(view.prediction_model)})`,
      ),
      viewCards(view),
      h('div', { class: 'grid' }, ...historyPanels(view, details)),
    );
  } catch (error) {
    const text = error instanceof ApiError && error.status === 404 ? `No customer ${JSON.stringify(id)} in the state.` : (error as Error).message;
    root.append(h('p', { class: 'error', role: 'alert' }, text));
  }
}
