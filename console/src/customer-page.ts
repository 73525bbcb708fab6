/**
 * Customer look-up: every figure of the customer's view (grouped, and any
 * field the server adds shows under "More" without a console change), the
 * history the state keeps and what the model predicts.
 */
import { api, ApiError, type CustomerDetails, type CustomerView } from './api.js';
import { barChart, chartPanel } from './charts.js';
import { formatValue, h, label } from './dom.js';

/** Figures shown together; the rest of the view's fields go under "More". */
const GROUPS: readonly { title: string; fields: readonly string[] }[] = [
  { title: 'Value', fields: ['clv_historic', 'clv_predicted', 'monetary', 'gross_revenue', 'refunds', 'discounts', 'contribution_margin', 'referral_value'] },
  { title: 'Segments', fields: ['rfm_segment', 'r_score', 'f_score', 'm_score', 'value_quadrant', 'relationship', 'account_status'] },
  { title: 'Churn', fields: ['churn_level', 'churn_reasons', 'p_alive', 'cancellation_reason', 'competitor'] },
  { title: 'Purchases', fields: ['first_purchase', 'last_purchase', 'recency_days', 'frequency', 'x', 't_x_days', 'T_days', 'zbar', 'returns', 'unmatched_returns'] },
  { title: 'Feedback and referrals', fields: ['nps_score', 'nps_category', 'referrals_made', 'successful_referrals', 'referred_by'] },
];
const HEADLINE = ['customer_id', 'as_of', 'currency', 'model_version'];
/** Fields whose values are vocabulary words (`at_risk` shows as "at risk"); ids and names show as they are. */
const VOCABULARY = new Set(['rfm_segment', 'value_quadrant', 'relationship', 'account_status', 'churn_level', 'churn_reasons', 'nps_category', 'cancellation_reason']);

function figure(view: Record<string, unknown>, field: string): HTMLElement {
  const value = view[field];
  const text = field === 'p_alive' && typeof value === 'number' ? `${(100 * value).toFixed(1)} %` : formatValue(value, VOCABULARY.has(field));
  return h('div', { class: 'figure' }, h('dt', {}, label(field)), h('dd', { 'data-field': field }, text));
}

function viewCards(view: CustomerView): HTMLElement {
  const record = view as unknown as Record<string, unknown>;
  const shown = new Set([...HEADLINE, ...GROUPS.flatMap((g) => g.fields)]);
  const more = Object.keys(record).filter((k) => !shown.has(k));
  const groups = [...GROUPS, ...(more.length > 0 ? [{ title: 'More', fields: more }] : [])];
  return h(
    'div',
    { class: 'cards' },
    ...groups.map((g) =>
      h('section', { class: 'card' }, h('h3', {}, g.title), h('dl', {}, ...g.fields.filter((f) => f in record).map((f) => figure(record, f)))),
    ),
  );
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
        ` · as of ${view.as_of} · money in ${view.currency} · model `,
        h('span', { 'data-field': 'model_version' }, view.model_version),
      ),
      viewCards(view),
      h('div', { class: 'grid' }, ...historyPanels(view, details)),
    );
  } catch (error) {
    const text = error instanceof ApiError && error.status === 404 ? `No customer ${JSON.stringify(id)} in the state.` : (error as Error).message;
    root.append(h('p', { class: 'error', role: 'alert' }, text));
  }
}
