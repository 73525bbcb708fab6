/**
 * The HTTP API's request and response shapes as zod schemas, turned into JSON
 * Schema (draft-07, what fastify's Ajv and fast-json-stringify take) with
 * `z.toJSONSchema`, like the event contracts in src/contracts/json-schema.ts.
 *
 * A response schema is also a serializer: fields it does not list are dropped.
 * `customerViewSchema` therefore mirrors `customerView` exactly; a test checks
 * the two agree (type and keys), so a field added to the view fails the build
 * here instead of silently vanishing from the API.
 */
import { z } from 'zod';
import { CANCELLATION_REASONS } from '../../contracts/inbound.js';
import { LOST_MIN_LEVELS, LOST_SORT_KEYS } from '../../domain/reports/lost-customers.js';
import { customerId } from '../../contracts/primitives.js';
import { backtestComparisonSchema } from '../../state/model-store.js';
import {
  ACCOUNT_STATUSES,
  CHURN_LEVELS,
  CHURN_REASONS,
  NPS_CATEGORIES,
  RELATIONSHIP_LEVELS,
  RFM_SEGMENTS,
  SEGMENT_DIMENSIONS,
  VALUE_QUADRANTS,
  P_ALIVE_REASONS,
} from '../../contracts/segments.js';

const money = z.string().describe('Decimal amount of the base currency, e.g. "123.45".');
const date = z.string().describe('Calendar date, YYYY-MM-DD.');
const score = z.literal([1, 2, 3, 4, 5]).nullable();

export const customerViewSchema = z.object({
  customer_id: z.string(),
  as_of: date.describe('Day the time-dependent measures are evaluated at (the partition watermark).'),
  currency: z.string(),
  x: z.number().describe('BTYD repeat purchase days.'),
  t_x_days: z.number(),
  T_days: z.number(),
  zbar: z.number().describe('Mean repeat-purchase value (major units).'),
  first_purchase: date.nullable(),
  last_purchase: date.nullable(),
  recency_days: z.number().nullable(),
  frequency: z.number(),
  monetary: money,
  r_score: score,
  f_score: score,
  m_score: score,
  rfm_segment: z.enum(RFM_SEGMENTS).nullable(),
  value_quadrant: z.enum(VALUE_QUADRANTS).nullable(),
  relationship: z.enum(RELATIONSHIP_LEVELS),
  account_status: z.enum(ACCOUNT_STATUSES),
  churn_level: z.enum(CHURN_LEVELS),
  churn_reasons: z.array(z.enum(CHURN_REASONS)),
  p_alive: z.number().nullable(),
  p_alive_reason: z.enum(P_ALIVE_REASONS).nullable(),
  prediction_model: z
    .enum(['bgnbd', 'mbgnbd', 'pnbd', 'simple'])
    .describe('What the forward-looking figures come from: the fitted purchase model, or the simple CLV rule before the first fit.'),
  expected_purchases_30d: z.number().describe('Expected purchase days in the next 30 days.'),
  expected_purchases_90d: z.number().describe('Expected purchase days in the next 90 days.'),
  expected_purchases_365d: z.number().describe('Expected purchase days in the next 365 days.'),
  prediction_interval_level: z
    .number()
    .nullable()
    .describe('Two-sided level of the *_low/*_high intervals (0.9): the uncertainty of the fitted parameters carried to this customer by the delta method (docs/analytics.md). Null, like every bound, without a fitted model published with its covariance.'),
  expected_purchases_30d_low: z.number().nullable().describe('Lower bound of expected_purchases_30d.'),
  expected_purchases_30d_high: z.number().nullable().describe('Upper bound of expected_purchases_30d.'),
  expected_purchases_90d_low: z.number().nullable().describe('Lower bound of expected_purchases_90d.'),
  expected_purchases_90d_high: z.number().nullable().describe('Upper bound of expected_purchases_90d.'),
  expected_purchases_365d_low: z.number().nullable().describe('Lower bound of expected_purchases_365d.'),
  expected_purchases_365d_high: z.number().nullable().describe('Upper bound of expected_purchases_365d.'),
  next_purchase_median_days: z
    .number()
    .nullable()
    .describe('Median days from as_of to the next purchase if the customer is alive (read with p_alive); null before a purchase or when cancelled.'),
  next_purchase_expected: date.nullable().describe('as_of + next_purchase_median_days, rounded to a day (null beyond a century).'),
  mean_days_between_purchases: z.number().nullable().describe('Days from the first to the last purchase day per repeat purchase day; null without a repeat.'),
  expected_spend_per_purchase: money.nullable().describe('Spend expected of one future purchase day (Gamma-Gamma, or the observed mean before a fit).'),
  clv_historic: money,
  clv_predicted_year: money.describe('Predicted CLV of the next 365 days (discounted, net of costs).'),
  clv_predicted: money.describe('Predicted CLV over the configured horizon (clv_horizon_days).'),
  clv_predicted_year_low: money.nullable().describe('Lower bound of clv_predicted_year.'),
  clv_predicted_year_high: money.nullable().describe('Upper bound of clv_predicted_year.'),
  clv_predicted_low: money.nullable().describe('Lower bound of clv_predicted.'),
  clv_predicted_high: money.nullable().describe('Upper bound of clv_predicted.'),
  clv_horizon_days: z.number().int(),
  clv_total: money,
  gross_revenue: money,
  refunds: money,
  discounts: money,
  contribution_margin: money,
  referral_value: money,
  referrals_made: z.number(),
  successful_referrals: z.number(),
  referred_by: z.string().nullable(),
  returns: z.number(),
  unmatched_returns: z.number(),
  cost_to_serve: money.describe('Cost to serve so far: the actual costs events carried plus the estimates for those without.'),
  cost_to_serve_estimated: money.describe('The part priced by COST_PER_ORDER, COST_PER_RETURN and the activity-cost table.'),
  cost_to_serve_actual: money.describe('The part from costs the events carried (cost_to_serve, an interaction’s cost).'),
  cost_orders_estimated: money,
  cost_orders_actual: money,
  cost_returns_estimated: money,
  cost_returns_actual: money,
  cost_interactions_estimated: money,
  cost_interactions_actual: money,
  interactions: z.number(),
  complaints: z.number(),
  open_complaints: z.number().describe('Open complaints among the complaint cases kept.'),
  last_complaint_at: z.string().nullable(),
  nps_score: z.number().nullable(),
  nps_category: z.enum(NPS_CATEGORIES).nullable(),
  cancellation_reason: z.enum(CANCELLATION_REASONS).nullable(),
  competitor: z.string().nullable(),
  model_version: z.string(),
});

export const errorSchema = z.object({ error: z.string() });

export const readinessSchema = z.object({
  ready: z.boolean(),
  reasons: z.array(z.string()).describe('Why the process is not ready; empty when ready.'),
});

export const healthSchema = z.object({ status: z.literal('ok') });

export const customerParamsSchema = z.strictObject({ id: customerId });

const countsByValue = z.record(z.string(), z.number().int().min(0));

export const segmentCountsSchema = z.object({
  customers: z.number().int().min(0),
  segments: z.object(Object.fromEntries(SEGMENT_DIMENSIONS.map((d) => [d, countsByValue])) as Record<(typeof SEGMENT_DIMENSIONS)[number], typeof countsByValue>),
  churn_levels: countsByValue,
  computed_at: z.string(),
  source: z.string(),
});

export const serviceStatusSchema = z.object({
  model_version: z.string().describe('The model version in use.'),
  rescore: z
    .array(
      z.object({
        partition: z.number().int().min(0),
        version: z.string().nullable().describe('The version the partition is (or was last) re-scored with; null until Redis has been read.'),
        total: z.number().int().min(0),
        remaining: z.number().int().min(0),
        state: z.enum(['unknown', 'staging', 'running', 'done']),
      }),
    )
    .describe('The background re-score after a model change, per partition this member holds: done when every customer was scored with model_version.'),
});

export type ServiceStatus = z.infer<typeof serviceStatusSchema>;

export const reportParamsSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'a report name: 1–64 of a–z 0–9 - (starting with a letter or digit)' }),
});

/** Query strings of a report: plain text values (the report validates them). */
export const reportQuerySchema = z.record(z.string(), z.string().max(200));

/** A report's body: any JSON object (the report defines it). */
export const reportSchema = z.object({}).catchall(z.unknown());

/** JSON Schema (draft-07) of a zod schema, without `$schema` (fastify compiles it inline). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const generated = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema: _ignored, ...rest } = generated;
  return rest;
}

const finite = z.number();

/** `GET /model`: the model in use, what it was fitted on, and its diagnostics. */
export const modelInfoSchema = z.object({
  version: z.string().describe('Model version in use; "unfitted" before the first fit.'),
  fitted_at: z.string().nullable().describe('ISO-8601 time of the fit; null while unfitted.'),
  as_of: date.nullable().describe('Day the customer summaries of the fit were taken at.'),
  time_unit: z.literal('days'),
  money_unit: z.string().describe('Unit of the Gamma-Gamma v and the monetary cut points, e.g. "USD minor units".'),
  purchase_model: z
    .enum(['bgnbd', 'mbgnbd', 'pnbd'])
    .nullable()
    .describe('The purchase model that scores: BG/NBD, modified BG/NBD (both with parameters in bgnbd) or Pareto/NBD (parameters in pnbd); null while unfitted.'),
  bgnbd: z.object({ r: finite, alpha: finite, a: finite, b: finite }).nullable(),
  pnbd: z.object({ r: finite, alpha: finite, s: finite, beta: finite }).nullable().describe('Pareto/NBD r, α (days), s, β (days) when it is the purchase model.'),
  gamma_gamma: z.object({ p: finite, q: finite, v: finite }).nullable(),
  standard_errors: z
    .object({ purchase: z.record(z.string(), finite).nullable(), gamma_gamma: z.record(z.string(), finite).nullable() })
    .describe('Standard errors of the parameters (inverse Hessian of the log-likelihood at the optimum); null for a version published without them.'),
  cut_points: z
    .object({ recency: z.array(finite), frequency: z.array(finite), monetary: z.array(finite) })
    .nullable()
    .describe('RFM quintile boundaries (recency in days, monetary in minor units).'),
  diagnostics: z
    .object({
      customers: finite,
      repeat_buyers: finite,
      log_likelihood: finite,
      iterations: finite,
      converged: z.boolean(),
      details: z.record(z.string(), z.unknown()),
    })
    .nullable(),
  expected_repeat_purchases: z
    .array(z.object({ day: finite, expected: finite }))
    .describe("The purchase model's expected repeat purchases of a new customer by day t (empty while unfitted)."),
  backtest: backtestComparisonSchema
    .nullable()
    .describe('The purchase models compared on one calibration/holdout split, published with the version (`fit --state --backtest-events`): per model its holdout errors, the table per calibration frequency (the last row is the total) and the cumulative purchases week by week; null when the version has none.'),
});

/** `GET /customers/:id/details`: the history the state keeps and the model's predictions. */
export const customerDetailsSchema = z.object({
  customer_id: z.string(),
  as_of: date,
  partition: z.number().int(),
  purchase_days: z.array(date).describe('Distinct purchase days the state remembers (the window below, and the first purchase), oldest first.'),
  purchase_day_window_days: z.number().int(),
  recent_orders: z.array(z.object({ date, amount: money, margin: money })).describe('The latest orders the state keeps (for matching returns).'),
  recent_return_days: z.array(date),
  nps_answered_on: date.nullable(),
  cancelled_at: z.string().nullable(),
  predictions: z.object({
    model_version: z.string(),
    p_alive: z.number().nullable(),
    expected_purchases: z
      .array(z.object({ days: z.number().int(), expected: z.number() }))
      .describe('Expected purchases in the next `days` days (BG/NBD); empty while unfitted.'),
  }),
});

/** `GET /lost-customers` query. */
export const lostCustomersQuerySchema = z.strictObject({
  as_of: date
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'a calendar date like 2025-03-01' })
    .optional()
    .describe('Evaluate as of this day; default: the latest partition watermark.'),
  sort: z.enum(LOST_SORT_KEYS).optional().describe('Order, descending; default value_lost.'),
  min_level: z.enum(LOST_MIN_LEVELS).optional().describe('Lowest churn level listed besides the cancelled; default lost.'),
  limit: z
    .string()
    .regex(/^(100000|[1-9]\d{0,4})$/, { message: 'a whole number from 1 to 100000' })
    .optional()
    .describe('List the first n of the sort; default 1000.'),
  format: z.enum(['json', 'csv']).optional().describe('json (default) or csv (text/csv, one row per customer).'),
});

export const lostCustomerSchema = z.object({
  customer_id: z.string(),
  how: z.enum(['cancelled', 'churned']).describe('cancelled: the account was cancelled; churned: the churn level says they went quiet.'),
  left_on: date.describe('Cancelled: the UTC date of the cancellation; churned: the last purchase day.'),
  last_purchase: date.nullable(),
  churn_level: z.enum(CHURN_LEVELS),
  churn_reasons: z.array(z.enum(CHURN_REASONS)),
  cancellation_reason: z.enum(CANCELLATION_REASONS).nullable(),
  competitor: z.string().nullable(),
  clv_historic: money,
  predicted_clv_at_leaving: money.describe('Predicted CLV over the horizon on the day they left, as if they had stayed.'),
  value_lost: money.describe('predicted_clv_at_leaving less the predicted CLV now.'),
});

export const lostCustomersSchema = z.object({
  as_of: date,
  currency: z.string(),
  sort: z.enum(LOST_SORT_KEYS),
  total: z.number().int().min(0).describe('Every customer who has left; customers lists the first `limit` of the sort.'),
  customers: z.array(lostCustomerSchema),
});
