/**
 * Turns validated settings into the parameter objects of the pure layers: the
 * domain model's configuration and the ingest rules. Amount settings are decimal
 * strings of the base currency; here they become minor units.
 */
import { INTERACTION_KINDS } from '../contracts/inbound.js';
import { toMinorUnits } from '../contracts/minor-units.js';
import { defaultDomainParameters, type DomainParameters } from '../domain/parameters.js';
import type { IngestRules } from '../ingest/decode.js';
import { loadSegmentRules, withSegmentRules, type SegmentRules } from './segment-rules.js';
import type { Settings } from './settings.js';

function minor(amount: string, currency: string): number {
  const parsed = toMinorUnits(amount, currency, true);
  if (!parsed.ok) throw new Error(`amount ${amount} ${currency}: ${parsed.message}`);
  return parsed.minor;
}

function activityCosts(table: Settings['COST_PER_INTERACTION'], base: string): DomainParameters['interactionCostMinor'] {
  const costs = { ...defaultDomainParameters.interactionCostMinor };
  for (const kind of INTERACTION_KINDS) {
    const amount = table[kind];
    if (amount !== undefined) costs[kind] = minor(amount, base);
  }
  return costs;
}

/** Rules files read once per path and process: every command builds its configuration from the same settings. */
const rulesByPath = new Map<string, SegmentRules>();

export function domainParametersFrom(settings: Settings): DomainParameters {
  const parameters = baseDomainParametersFrom(settings);
  const path = settings.SEGMENT_RULES_FILE;
  if (path === undefined) return parameters;
  let rules = rulesByPath.get(path);
  if (rules === undefined) {
    rules = loadSegmentRules(path);
    rulesByPath.set(path, rules);
  }
  return withSegmentRules(parameters, rules);
}

function baseDomainParametersFrom(settings: Settings): DomainParameters {
  const base = settings.BASE_CURRENCY;
  const exponentScale = minor('1', base);
  return {
    ...defaultDomainParameters,
    baseCurrency: base,
    marginRate: settings.MARGIN_RATE,
    costPerOrderMinor: minor(settings.COST_PER_ORDER, base),
    costPerReturnMinor: minor(settings.COST_PER_RETURN, base),
    interactionCostMinor: activityCosts(settings.COST_PER_INTERACTION, base),
    acquisitionCostMinor: minor(settings.ACQUISITION_COST, base),
    referralValueMinor: minor(settings.REFERRAL_VALUE, base),
    referralPurchaseShare: settings.REFERRAL_PURCHASE_SHARE,
    referralWindowDays: settings.REFERRAL_WINDOW_DAYS,
    referralSettleDays: settings.REFERRAL_SETTLE_DAYS,
    retentionRate: settings.RETENTION_RATE,
    clvHorizonDays: settings.CLV_HORIZON_DAYS,
    annualDiscountRate: settings.CLV_ANNUAL_DISCOUNT_RATE,
    clvPeriodDays: settings.CLV_PERIOD_DAYS,
    churn: {
      ...defaultDomainParameters.churn,
      complaintWindowDays: settings.COMPLAINT_WINDOW_DAYS,
      openComplaintCount: settings.COMPLAINT_OPEN_COUNT,
      repeatedComplaintCount: settings.COMPLAINT_REPEATED_COUNT,
    },
    emit: { dimensions: settings.EMIT_DIMENSIONS, churnLevels: settings.EMIT_CHURN_LEVELS },
    defaultCutPoints: {
      ...defaultDomainParameters.defaultCutPoints,
      // The defaults are written for a two-decimal currency; rescale for others.
      monetary: defaultDomainParameters.defaultCutPoints.monetary.map((m) => Math.round((m / 100) * exponentScale)),
    },
  };
}

export function ingestRulesFrom(settings: Settings): IngestRules {
  return {
    unknownFields: settings.EVENTS_UNKNOWN_FIELDS,
    earliestMs: Date.parse(settings.EVENTS_EARLIEST),
    maxFutureSkewMs: settings.EVENTS_MAX_FUTURE_SKEW_SECONDS * 1000,
    maxMessageBytes: settings.EVENTS_MAX_MESSAGE_BYTES,
    baseCurrency: settings.BASE_CURRENCY,
    rates: settings.CURRENCY_RATES,
  };
}
