/**
 * Synthetic customer traffic for demos, dashboards and load tests: a population of
 * customers whose purchases follow the BG/NBD story (each customer buys as a
 * Poisson process at their own rate λ and, after each repeat purchase, drops out
 * with their own probability p) with order values from the Gamma-Gamma model,
 * plus the other inbound event types: returns of earlier orders, referrals of new
 * customers by existing ones, explicit cancellations (with reasons and
 * competitors) by some of the customers who drop out, NPS survey answers, and
 * service interactions: support contacts, delivery and billing issues and
 * complaints after some orders (complaints more likely from dissatisfied
 * customers, and before most cancellations), some resolved later under the same
 * case, some with their own cost; a share of orders and returns carries its own
 * cost to serve. Those draws come from a second seeded stream and their event ids
 * from their own series, so the other events are the same as without them.
 *
 * The population stays at about `customers`: a customer who drops out is replaced
 * by a new one some time later, a share of them referred by an existing customer.
 * Events come out in event-time order, as valid inbound events.
 *
 * Pure: no clock, no I/O; the same options give the same sequence (one seeded
 * random stream consumed in a fixed order).
 */
import { currencyExponent } from '../contracts/currency.js';
import {
  CANCELLATION_REASONS,
  type CancellationEvent,
  type CancellationReason,
  type FeedbackEvent,
  type InboundEvent,
  type InboundType,
  type InteractionEvent,
  type InteractionKind,
  type PurchaseEvent,
  type ReferralEvent,
  type ReturnEvent,
} from '../contracts/inbound.js';
import { formatMinorUnits } from '../contracts/minor-units.js';
import { betaDraw, gammaDraw, seededRandom, type BgNbdParams, type GammaGammaParams, type Random } from '../domain/models/index.js';
import { DAY_MS } from '../domain/time.js';
import { EventQueue } from './event-queue.js';

export interface PopulationParams {
  /** BG/NBD with time in days: λ ~ Gamma(r, alpha) purchases per day; dropout after a repeat purchase with p ~ Beta(a, b). */
  readonly bgnbd: BgNbdParams;
  /** Gamma-Gamma in major units of the currency: order values ~ Gamma(p, ν) with ν ~ Gamma(q, v). */
  readonly gammaGamma: GammaGammaParams;
  /** The first purchases of the initial population are spread over this many days. */
  readonly acquisitionDays: number;
  /** Mean delay (days) before a customer who dropped out is replaced by a new one. */
  readonly replacementDays: number;
  /** Share of new customers who arrive through a referral by an existing customer. */
  readonly referredShare: number;
  /** Mean share of orders that are (partly) returned; each customer has their own share around it. */
  readonly returnShare: number;
  /** Share of orders followed by an NPS survey answer. */
  readonly feedbackShare: number;
  /** Share of the customers who drop out that cancel explicitly; the others just go quiet. */
  readonly cancellationShare: number;
  /** Share of orders with a discount. */
  readonly discountShare: number;
  /** Mean share of orders followed by a service interaction; each customer has their own share around it. */
  readonly interactionShare: number;
  /** Share of explicit cancellations preceded by a complaint. */
  readonly complaintBeforeCancellationShare: number;
  /** Share of orders, returns and interactions that carry their own (activity-based) cost. */
  readonly costedShare: number;
}

/**
 * CDNOW's published BG/NBD fit (r 0.243, α 4.414 per week, a 0.793, b 2.426) with
 * time in days, and its Gamma-Gamma fit (p 6.25, q 3.74, γ 15.44 dollars): most
 * customers buy rarely, a few often; typical orders of a few tens.
 */
export const DEFAULT_POPULATION: PopulationParams = {
  bgnbd: { r: 0.243, alpha: 4.414 * 7, a: 0.793, b: 2.426 },
  gammaGamma: { p: 6.25, q: 3.74, v: 15.44 },
  acquisitionDays: 90,
  replacementDays: 30,
  referredShare: 0.15,
  returnShare: 0.08,
  feedbackShare: 0.12,
  cancellationShare: 0.35,
  discountShare: 0.2,
  interactionShare: 0.12,
  complaintBeforeCancellationShare: 0.5,
  costedShare: 0.4,
};

export interface TrafficOptions {
  readonly seed: number;
  /** Size of the customer population (kept about constant by replacing dropouts). */
  readonly customers: number;
  /** Event time of the simulation's start, epoch ms. */
  readonly startMs: number;
  /** ISO 4217 code of every amount. */
  readonly currency: string;
  /** Prefix of customer, order and event ids (printable ASCII, no spaces). */
  readonly idPrefix: string;
  readonly population?: Partial<PopulationParams>;
}

export interface GeneratedEvent {
  readonly type: InboundType;
  /** The Kafka message key: the event's customer_id (the referrer for a referral). */
  readonly key: string;
  /** Event time (the event's occurred_at), epoch ms. */
  readonly atMs: number;
  readonly event: InboundEvent;
}

interface Customer {
  readonly id: string;
  /** Purchases per day. */
  readonly lambda: number;
  /** Probability of dropping out after each repeat purchase. */
  readonly dropout: number;
  /** Gamma-Gamma rate of this customer's order values. */
  readonly nu: number;
  readonly returnProbability: number;
  /** Chance of each point of a 0–10 NPS answer: the answer is Binomial(10, satisfaction). */
  readonly satisfaction: number;
  /** Chance that an order is followed by a service interaction. */
  readonly serviceNeed: number;
  purchases: number;
  /** Index in the list of active customers, or -1. */
  slot: number;
}

type Scheduled =
  | { readonly kind: 'purchase'; readonly customer: Customer }
  | { readonly kind: 'return'; readonly customer: Customer; readonly orderId: string; readonly orderMinor: number }
  | { readonly kind: 'feedback'; readonly customer: Customer }
  | { readonly kind: 'cancellation'; readonly customer: Customer }
  | {
      readonly kind: 'interaction';
      readonly customer: Customer;
      readonly interaction: InteractionKind;
      readonly orderId: string | null;
      /** Set on a follow-up that resolves an open complaint. */
      readonly caseId: string | null;
      /** The chance that an open complaint is resolved by a later follow-up. */
      readonly resolveChance: number;
    }
  | { readonly kind: 'referral'; readonly referrer: Customer; readonly referred: Customer };

const CHANNELS: readonly (readonly [string, number])[] = [
  ['web', 0.55],
  ['app', 0.3],
  ['store', 0.15],
];

const RETURN_REASONS: readonly (readonly [string, number])[] = [
  ['wrong_size', 0.3],
  ['damaged', 0.2],
  ['not_as_described', 0.2],
  ['changed_mind', 0.2],
  ['late_delivery', 0.1],
];

const CANCELLATION_WEIGHTS: Readonly<Record<CancellationReason, number>> = {
  price: 0.22,
  competitor: 0.2,
  service: 0.12,
  product: 0.1,
  moved: 0.06,
  no_longer_needed: 0.16,
  payment_failed: 0.08,
  other: 0.06,
};

/** Kinds of service interaction after an order (a complaint is drawn apart, from the customer's satisfaction). */
const SERVICE_KINDS: readonly (readonly [InteractionKind, number])[] = [
  ['support_contact', 0.45],
  ['delivery_issue', 0.25],
  ['technical_issue', 0.12],
  ['billing_issue', 0.1],
  ['other', 0.08],
];

/** Typical cost of an interaction of each kind, major units: what a costing system would report, ± 50 %. */
const INTERACTION_COST_MAJOR: Readonly<Record<InteractionKind, number>> = {
  complaint: 12,
  support_contact: 4,
  delivery_issue: 8,
  billing_issue: 6,
  technical_issue: 7,
  other: 3,
};

const INTERACTION_CHANNELS: readonly (readonly [string, number])[] = [
  ['email', 0.4],
  ['phone', 0.3],
  ['chat', 0.25],
  ['store', 0.05],
];

const COMPLAINT_REASONS: readonly string[] = ['Parcel arrived late.', 'Item damaged on arrival.', 'Charged twice.', 'Nobody called back.'];

/** Invented competitor names for the lost-customer analysis. */
const COMPETITORS: readonly (readonly [string, number])[] = [
  ['Shopwell', 0.35],
  ['Bazaar Direct', 0.25],
  ['Nimbus Market', 0.2],
  ['CartCo', 0.12],
  ['Everyday Goods', 0.08],
];

const COMMENTS = {
  detractor: ['Delivery took far too long.', 'Support never answered my emails.', 'Prices went up again.'],
  passive: ['Fine, nothing special.', 'Good products, slow shipping.', 'OK overall.'],
  promoter: ['Great service, will buy again!', 'Love the new app.', 'Fast delivery and friendly staff.'],
} as const;

/** Largest order value drawn, in major units: the Gamma tail is cut here. */
const MAX_ORDER_MAJOR = 100_000;
/** The simulation stops before event times that ISO-8601 cannot write with four year digits. */
const LAST_REPRESENTABLE_MS = Date.UTC(9999, 11, 31);

/** The synthetic traffic as an endless (time-ordered) sequence of events. */
export function* syntheticTraffic(options: TrafficOptions): Generator<GeneratedEvent, void, undefined> {
  const params: PopulationParams = { ...DEFAULT_POPULATION, ...options.population };
  validate(options, params);
  const random = seededRandom(options.seed);
  // Service interactions and costs draw from their own stream: the other events stay as they were without them.
  const service = seededRandom((options.seed ^ 0x5e41ce) >>> 0);
  const exponent = currencyExponent(options.currency) ?? 2;
  const unit = 10 ** exponent;
  const prefix = options.idPrefix;
  const queue = new EventQueue<Scheduled>();
  const active: Customer[] = [];
  let customers = 0;
  let orders = 0;
  let events = 0;
  let interactions = 0;
  let cases = 0;

  const newCustomer = (): Customer => ({
    id: `${prefix}-c${++customers}`,
    lambda: gammaDraw(params.bgnbd.r, params.bgnbd.alpha, random),
    dropout: betaDraw(params.bgnbd.a, params.bgnbd.b, random),
    nu: gammaDraw(params.gammaGamma.q, params.gammaGamma.v, random),
    returnProbability: params.returnShare <= 0 ? 0 : betaDraw(2, 2 / params.returnShare - 2, random),
    satisfaction: betaDraw(4, 1.6, random),
    serviceNeed: params.interactionShare <= 0 ? 0 : betaDraw(1.5, 1.5 / params.interactionShare - 1.5, service),
    purchases: 0,
    slot: -1,
  });
  const activate = (c: Customer): void => {
    c.slot = active.length;
    active.push(c);
  };
  const deactivate = (c: Customer): void => {
    const last = active.pop() as Customer;
    if (last !== c) {
      active[c.slot] = last;
      last.slot = c.slot;
    }
    c.slot = -1;
  };
  const days = (d: number): number => d * DAY_MS;
  /** A cost around `major` (± 50 %), as an amount of the currency, or undefined when the event carries none. */
  const ownCost = (major: number): string | undefined =>
    service() < params.costedShare ? formatMinorUnits(Math.round(major * (0.5 + service()) * unit), options.currency) : undefined;
  const scheduleInteraction = (at: number, c: Customer, interaction: InteractionKind, orderId: string | null, resolveChance: number): void => {
    queue.push(at, { kind: 'interaction', customer: c, interaction, orderId, caseId: null, resolveChance });
  };

  for (let i = 0; i < options.customers; i++) {
    const c = newCustomer();
    queue.push(options.startMs + days(random() * params.acquisitionDays), { kind: 'purchase', customer: c });
  }

  for (;;) {
    const next = queue.pop();
    if (next === undefined || next.at > LAST_REPRESENTABLE_MS) return;
    const { at, item } = next;
    // Whole seconds: event times read like a producer's, and stay in order.
    const atMs = Math.floor(at / 1000) * 1000;
    // Interactions number their own series, so the other events keep their ids.
    const id = item.kind === 'interaction' ? `${prefix}-i${++interactions}` : `${prefix}-e${++events}`;
    const common = { event_id: id, occurred_at: isoSeconds(atMs) };
    switch (item.kind) {
      case 'purchase': {
        const c = item.customer;
        c.purchases++;
        if (c.purchases === 1) activate(c);
        const orderId = `${prefix}-o${++orders}`;
        const major = Math.min(MAX_ORDER_MAJOR, gammaDraw(params.gammaGamma.p, c.nu, random));
        const amountMinor = Math.max(1, Math.round(major * unit));
        const event: PurchaseEvent = {
          type: 'purchase',
          ...common,
          customer_id: c.id,
          order_id: orderId,
          amount: formatMinorUnits(amountMinor, options.currency),
          currency: options.currency,
          quantity: 1 + Math.min(19, Math.floor(-Math.log(random()) * 1.5)),
          channel: pick(CHANNELS, random),
        };
        if (random() < params.discountShare) {
          const discountMinor = Math.max(1, Math.round(amountMinor * (0.05 + 0.2 * random())));
          event.discount = formatMinorUnits(discountMinor, options.currency);
        }
        const orderCost = ownCost(1.5 + 0.02 * major);
        if (orderCost !== undefined) event.cost_to_serve = orderCost;
        yield { type: 'purchase', key: c.id, atMs, event };

        if (service() < c.serviceNeed) {
          // Dissatisfied customers complain; the others ask for help.
          const complaint = service() < 0.6 * (1 - c.satisfaction);
          const kind = complaint ? 'complaint' : pick(SERVICE_KINDS, service);
          scheduleInteraction(at + days(1 + 13 * service()), c, kind, orderId, 0.7);
        }

        if (random() < c.returnProbability) {
          queue.push(at + days(2 + 28 * random()), { kind: 'return', customer: c, orderId, orderMinor: amountMinor });
        }
        if (random() < params.feedbackShare) {
          queue.push(at + days(0.5 + 9.5 * random()), { kind: 'feedback', customer: c });
        }
        // BG/NBD: after each repeat purchase the customer may be gone for good.
        if (c.purchases > 1 && random() < c.dropout) {
          deactivate(c);
          if (random() < params.cancellationShare) {
            const cancelAt = at + days(exponential(20, random));
            queue.push(cancelAt, { kind: 'cancellation', customer: c });
            // Complaints come before most cancellations, and are seldom resolved before the customer leaves.
            if (service() < params.complaintBeforeCancellationShare) {
              scheduleInteraction(at + (cancelAt - at) * service(), c, 'complaint', service() < 0.5 ? orderId : null, 0.2);
            }
          }
          const arrival = at + days(exponential(params.replacementDays, random));
          const newcomer = newCustomer();
          if (active.length > 0 && random() < params.referredShare) {
            const referrer = active[Math.floor(random() * active.length)] as Customer;
            queue.push(at + (arrival - at) * (0.3 + 0.6 * random()), { kind: 'referral', referrer, referred: newcomer });
          }
          queue.push(arrival, { kind: 'purchase', customer: newcomer });
        } else {
          queue.push(at + days(exponential(1 / c.lambda, random)), { kind: 'purchase', customer: c });
        }
        break;
      }
      case 'return': {
        const full = random() < 0.7;
        const refundMinor = full ? item.orderMinor : Math.max(1, Math.round(item.orderMinor * (0.2 + 0.6 * random())));
        const event: ReturnEvent = {
          type: 'return',
          ...common,
          customer_id: item.customer.id,
          order_id: item.orderId,
          amount: formatMinorUnits(refundMinor, options.currency),
          currency: options.currency,
          reason: pick(RETURN_REASONS, random),
        };
        const returnCost = ownCost(5);
        if (returnCost !== undefined) event.cost_to_serve = returnCost;
        yield { type: 'return', key: item.customer.id, atMs, event };
        break;
      }
      case 'feedback': {
        let score = 0;
        for (let i = 0; i < 10; i++) if (random() < item.customer.satisfaction) score++;
        const date = new Date(atMs);
        const event: FeedbackEvent = {
          type: 'feedback',
          ...common,
          customer_id: item.customer.id,
          score,
          survey_id: `nps-${date.getUTCFullYear()}-q${Math.floor(date.getUTCMonth() / 3) + 1}`,
        };
        if (random() < 0.25) {
          const pool = score <= 6 ? COMMENTS.detractor : score <= 8 ? COMMENTS.passive : COMMENTS.promoter;
          event.comment = pool[Math.floor(random() * pool.length)] ?? pool[0];
        }
        yield { type: 'feedback', key: item.customer.id, atMs, event };
        break;
      }
      case 'cancellation': {
        const reason = pick(
          CANCELLATION_REASONS.map((r) => [r, CANCELLATION_WEIGHTS[r]] as const),
          random,
        );
        const event: CancellationEvent = { type: 'cancellation', ...common, customer_id: item.customer.id, reason };
        if (reason === 'competitor' || (reason === 'price' && random() < 0.4)) event.competitor = pick(COMPETITORS, random);
        yield { type: 'cancellation', key: item.customer.id, atMs, event };
        break;
      }
      case 'interaction': {
        const c = item.customer;
        const followUp = item.caseId !== null;
        const complaint = item.interaction === 'complaint';
        // A complaint is open until a follow-up under its case resolves it; other contacts end resolved.
        const resolvedNow = followUp || !complaint || service() < 0.4;
        const caseId = item.caseId ?? (complaint && !resolvedNow ? `${prefix}-k${++cases}` : null);
        const event: InteractionEvent = {
          type: 'interaction',
          ...common,
          customer_id: c.id,
          kind: item.interaction,
          channel: pick(INTERACTION_CHANNELS, service),
          resolved: resolvedNow,
        };
        if (resolvedNow) event.resolved_at = isoSeconds(atMs + Math.floor(service() * 4) * 3_600_000);
        if (caseId !== null) event.case_id = caseId;
        if (item.orderId !== null) event.order_id = item.orderId;
        const cost = ownCost(INTERACTION_COST_MAJOR[item.interaction] * (followUp ? 0.5 : 1));
        if (cost !== undefined) {
          event.cost = cost;
          event.currency = options.currency;
        }
        if (complaint && !followUp && service() < 0.3) event.reason = COMPLAINT_REASONS[Math.floor(service() * COMPLAINT_REASONS.length)];
        yield { type: 'interaction', key: c.id, atMs, event };
        if (caseId !== null && !followUp && service() < item.resolveChance) {
          queue.push(at + days(1 + 9 * service()), { ...item, caseId });
        }
        break;
      }
      case 'referral': {
        const event: ReferralEvent = {
          type: 'referral',
          ...common,
          customer_id: item.referrer.id,
          referred_customer_id: item.referred.id,
        };
        yield { type: 'referral', key: item.referrer.id, atMs, event };
        break;
      }
    }
  }
}

function validate(options: TrafficOptions, params: PopulationParams): void {
  if (!Number.isInteger(options.customers) || options.customers < 1) throw new RangeError('customers must be a positive integer');
  if (!Number.isFinite(options.startMs)) throw new RangeError('startMs must be a time');
  if (currencyExponent(options.currency) === undefined) throw new RangeError(`unknown currency ${options.currency}`);
  if (!/^[\x21-\x7e]{1,40}$/.test(options.idPrefix)) throw new RangeError('idPrefix must be 1–40 printable ASCII characters without spaces');
  const shares = [
    params.referredShare,
    params.returnShare,
    params.feedbackShare,
    params.cancellationShare,
    params.discountShare,
    params.interactionShare,
    params.complaintBeforeCancellationShare,
    params.costedShare,
  ];
  if (!shares.every((s) => s >= 0 && s < 1)) throw new RangeError('population shares must be in [0, 1)');
  const { bgnbd, gammaGamma } = params;
  const positive = [bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b, gammaGamma.p, gammaGamma.q, gammaGamma.v, params.acquisitionDays, params.replacementDays];
  if (!positive.every((v) => Number.isFinite(v) && v > 0)) throw new RangeError('population parameters must be positive');
}

/** Exponential draw with the given mean. */
function exponential(mean: number, random: Random): number {
  return -Math.log(random()) * mean;
}

/** A value from (value, weight) pairs; weights need not sum to 1. */
function pick<T>(choices: readonly (readonly [T, number])[], random: Random): T {
  const total = choices.reduce((sum, [, w]) => sum + w, 0);
  let u = random() * total;
  for (const [value, weight] of choices) {
    u -= weight;
    if (u < 0) return value;
  }
  return (choices[choices.length - 1] as readonly [T, number])[0];
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
