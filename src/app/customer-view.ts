/**
 * The public view of one customer as of a day: what `replay --customers`, the
 * HTTP API and `inspect` print. Money as decimal strings of the base currency.
 * The forward-looking figures (forecast.ts) come with the model that made them
 * (`prediction_model`, `model_version`); docs/analytics.md defines each.
 */
import { formatMinorUnits } from '../contracts/minor-units.js';
import type { DomainParameters } from '../domain/parameters.js';
import type { ModelSnapshot } from '../domain/model-snapshot.js';
import { costToServe } from '../domain/clv.js';
import { openComplaints } from '../domain/complaints.js';
import { customerForecast } from '../domain/forecast.js';
import { customerForecastIntervals } from '../domain/forecast-intervals.js';
import type { Profile } from '../domain/profile.js';
import type { CustomerState } from '../domain/state.js';
import { dayToDate } from '../domain/time.js';

export function customerView(s: CustomerState, p: Profile, model: ModelSnapshot, parameters: DomainParameters) {
  const forecast = customerForecast(s, p, model, parameters);
  const intervals = customerForecastIntervals(s, p, model, parameters);
  const bound = (i: number, side: 'low' | 'high') => (intervals === null ? null : round4(intervals.expectedPurchases[i]![side]));
  const predicted = forecast.predictedClvHorizonMinor;
  const [in30, in90, in365] = forecast.expectedPurchases;
  const wait = forecast.nextPurchaseMedianDays;
  const money = (minor: number) => formatMinorUnits(minor, parameters.baseCurrency);
  const scale = Number(formatMinorUnits(1, parameters.baseCurrency)) || 1;
  const cost = costToServe(s, parameters);
  return {
    customer_id: s.customerId,
    as_of: dayToDate(p.day),
    currency: parameters.baseCurrency,
    x: p.summary?.x ?? 0,
    t_x_days: p.summary?.tx ?? 0,
    T_days: p.summary?.T ?? 0,
    zbar: (p.summary?.zbar ?? 0) * scale,
    first_purchase: s.firstDay === null ? null : dayToDate(s.firstDay),
    last_purchase: s.lastDay === null ? null : dayToDate(s.lastDay),
    recency_days: p.recencyDays,
    frequency: p.frequency,
    monetary: money(p.monetaryMinor),
    r_score: p.scores?.r ?? null,
    f_score: p.scores?.f ?? null,
    m_score: p.scores?.m ?? null,
    rfm_segment: p.segments.rfm_segment,
    value_quadrant: p.segments.value_quadrant,
    relationship: p.segments.relationship,
    account_status: p.segments.account_status,
    churn_level: p.churn.level,
    churn_reasons: p.churn.reasons,
    p_alive: p.pAlive,
    p_alive_reason: p.pAliveReason,
    prediction_model: forecast.basis,
    expected_purchases_30d: round4(in30),
    expected_purchases_90d: round4(in90),
    expected_purchases_365d: round4(in365),
    prediction_interval_level: intervals?.level ?? null,
    expected_purchases_30d_low: bound(0, 'low'),
    expected_purchases_30d_high: bound(0, 'high'),
    expected_purchases_90d_low: bound(1, 'low'),
    expected_purchases_90d_high: bound(1, 'high'),
    expected_purchases_365d_low: bound(2, 'low'),
    expected_purchases_365d_high: bound(2, 'high'),
    next_purchase_median_days: wait === null ? null : round1(wait),
    next_purchase_expected: wait === null || wait > MAX_DATED_WAIT_DAYS ? null : dayToDate(p.day + Math.round(wait)),
    mean_days_between_purchases: forecast.meanDaysBetweenPurchases === null ? null : round1(forecast.meanDaysBetweenPurchases),
    expected_spend_per_purchase: forecast.expectedSpendPerPurchaseMinor === null ? null : money(Math.round(forecast.expectedSpendPerPurchaseMinor)),
    clv_historic: money(p.historicClvMinor),
    clv_predicted_year: money(forecast.predictedClvYearMinor),
    clv_predicted: money(predicted),
    clv_predicted_year_low: intervals === null ? null : money(intervals.predictedClvYearMinor.low),
    clv_predicted_year_high: intervals === null ? null : money(intervals.predictedClvYearMinor.high),
    clv_predicted_low: intervals === null ? null : money(intervals.predictedClvHorizonMinor.low),
    clv_predicted_high: intervals === null ? null : money(intervals.predictedClvHorizonMinor.high),
    clv_horizon_days: parameters.clvHorizonDays,
    clv_total: money(p.historicClvMinor + predicted),
    gross_revenue: money(s.grossMinor),
    refunds: money(s.refundMinor),
    discounts: money(s.discountMinor),
    contribution_margin: money(s.marginMinor - s.refundMarginMinor),
    referral_value: money(s.referralValueMinor),
    referrals_made: s.referralsMade,
    successful_referrals: s.successfulReferrals,
    referred_by: s.referredBy,
    returns: s.returns,
    unmatched_returns: s.unmatchedReturns,
    cost_to_serve: money(cost.totalMinor),
    cost_to_serve_estimated: money(cost.estimatedMinor),
    cost_to_serve_actual: money(cost.actualMinor),
    cost_orders_estimated: money(cost.orders.estimatedMinor),
    cost_orders_actual: money(cost.orders.actualMinor),
    cost_returns_estimated: money(cost.returns.estimatedMinor),
    cost_returns_actual: money(cost.returns.actualMinor),
    cost_interactions_estimated: money(cost.interactions.estimatedMinor),
    cost_interactions_actual: money(cost.interactions.actualMinor),
    interactions: s.interactions,
    complaints: s.complaints,
    open_complaints: openComplaints(s),
    last_complaint_at: s.lastComplaintAt === null ? null : new Date(s.lastComplaintAt).toISOString(),
    nps_score: s.npsScore,
    nps_category: p.npsCategory,
    cancellation_reason: s.cancelReason,
    competitor: s.competitor,
    model_version: p.modelVersion,
  };
}

/** A wait longer than a century is shown in days only: no calendar date pretends to that precision. */
const MAX_DATED_WAIT_DAYS = 36_500;
const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;
const round1 = (v: number): number => Math.round(v * 10) / 10;

export type CustomerView = ReturnType<typeof customerView>;
