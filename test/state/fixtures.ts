/**
 * Customer states for the state-layer tests: realistic ones built by the real
 * reducer (typical, heavy) and a fast-check arbitrary of every valid state.
 * Not a test file itself.
 */
import fc from 'fast-check';
import { CODE_TABLES } from '../../src/state/codec.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import type { DomainInput } from '../../src/domain/input.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import { reduce, type ReduceContext } from '../../src/domain/reducer.js';
import type { CustomerState, RecentOrder } from '../../src/domain/state.js';
import { DAY_MS, localDayOf } from '../../src/domain/time.js';

const ctx: ReduceContext = { model: UNFITTED_MODEL, parameters: defaultDomainParameters };
export const DAY0 = localDayOf('2025-03-01T00:00:00Z');

/** A whole-second timestamp on DAY0 + n, like a producer's `occurred_at`. */
const at = (n: number, seconds: number): number => (DAY0 + n) * DAY_MS + seconds * 1000;

function run(inputs: DomainInput[]): CustomerState {
  let state: CustomerState | undefined;
  for (const input of inputs) state = reduce(state, input, ctx).state;
  if (state === undefined) throw new Error('no inputs');
  return state;
}

function purchase(customerId: string, n: number, amountMinor: number, i: number): DomainInput {
  return {
    kind: 'purchase',
    eventId: `evt-${customerId}-p${i}-${n}`,
    customerId,
    at: at(n, 37_000 + i * 61),
    day: DAY0 + n,
    orderId: `ord-${customerId}-${i}`,
    amountMinor,
    discountMinor: i % 4 === 0 ? 250 : 0,
    marginMinor: null,
    costMinor: null,
  };
}

/** A typical customer: three purchases over two months. */
export function typicalState(customerId = 'C-000123'): CustomerState {
  return run([
    purchase(customerId, 0, 4_599, 1),
    purchase(customerId, 23, 2_950, 2),
    purchase(customerId, 61, 12_400, 3),
  ]);
}

/** A heavy customer: 40 purchases over a year, returns, referrals, feedback, a cancellation. */
export function heavyState(customerId = 'C-9f8e7d6c-5b4a-3210-aaaa-bbbbccccdddd'): CustomerState {
  const inputs: DomainInput[] = [];
  for (let i = 0; i < 40; i++) inputs.push(purchase(customerId, i * 9, 1_000 + ((i * 7919) % 50_000), i));
  for (let i = 0; i < 5; i++) {
    inputs.push({
      kind: 'return',
      eventId: `evt-${customerId}-r${i}`,
      customerId,
      at: at(i * 60 + 3, 50_000),
      day: DAY0 + i * 60 + 3,
      orderId: `ord-${customerId}-${i * 6}`,
      amountMinor: 1_500,
      costMinor: i % 2 === 0 ? 350 : null,
    });
  }
  for (let i = 0; i < 4; i++) {
    inputs.push({
      kind: 'referral',
      eventId: `evt-${customerId}-ref${i}`,
      customerId,
      at: at(i * 80 + 5, 40_000),
      day: DAY0 + i * 80 + 5,
      referredCustomerId: `friend-${i}`,
    });
  }
  inputs.push({
    kind: 'referral_attributed',
    eventId: `evt-${customerId}-attr`,
    customerId,
    at: at(1, 1_000),
    day: DAY0 + 1,
    applyAt: at(2, 1_000),
    applyDay: DAY0 + 2,
    referrerId: 'C-the-referrer-0001',
  });
  inputs.push({
    kind: 'referral_credit',
    eventId: `evt-${customerId}-credit`,
    customerId,
    at: at(100, 1_000),
    day: DAY0 + 100,
    applyAt: at(101, 1_000),
    applyDay: DAY0 + 101,
    sourceCustomerId: 'friend-0',
    valueMinor: 700,
    firstPurchase: true,
    purchases: 1,
    sequence: 1,
  });
  inputs.push({ kind: 'feedback', eventId: `evt-${customerId}-nps`, customerId, at: at(200, 3_000), day: DAY0 + 200, score: 9 });
  inputs.push({
    kind: 'cancellation',
    eventId: `evt-${customerId}-cancel`,
    customerId,
    at: at(370, 7_000) + 123,
    day: DAY0 + 370,
    reason: 'competitor',
    competitor: 'MegaShop GmbH',
  });
  const kinds = ['support_contact', 'complaint', 'delivery_issue', 'complaint'] as const;
  kinds.forEach((interactionKind, i) => {
    inputs.push({
      kind: 'interaction',
      eventId: `evt-${customerId}-i${i}`,
      customerId,
      at: at(i * 70 + 11, 30_000),
      day: DAY0 + i * 70 + 11,
      interactionKind,
      costMinor: i === 2 ? 1_250 : null,
      caseId: i === 3 ? `case-${customerId}` : null,
      resolved: i === 1,
    });
  });
  inputs.sort((a, b) => a.at - b.at);
  return run(inputs);
}

// ------------------------------------------------------------- arbitrary --

const safeInt = fc.maxSafeInteger();
/** Mostly realistic values, sometimes any safe integer (exactness at the edges). */
const int = (min: number, max: number): fc.Arbitrary<number> =>
  fc.oneof({ weight: 4, arbitrary: fc.integer({ min, max }) }, { weight: 1, arbitrary: safeInt });
const day = int(-50_000, 100_000);
const ms = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 4_000_000_000 }).map((s) => s * 1000) },
  { weight: 2, arbitrary: fc.integer({ min: -4_000_000_000_000, max: 8_000_000_000_000 }) },
  { weight: 1, arbitrary: safeInt },
);
const money = int(-10_000_000, 1_000_000_000_000);
const count = int(0, 100_000);
const hash48 = fc.integer({ min: 0, max: 2 ** 48 - 1 });
const uint32 = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 31 }).map((b) => 2 ** b));
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
const nullable = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null, freq: 2 });

const plain = { noNullPrototype: true } as const;
const recentOrder: fc.Arbitrary<RecentOrder> = fc.record({ orderKey: hash48, day, amountMinor: money, marginMinor: money }, plain);

/** Any valid CustomerState: every field within its type, nullables sometimes null, arrays sometimes empty. */
export const customerStateArb: fc.Arbitrary<CustomerState> = fc.record({
  customerId: fc.string({ minLength: 1, maxLength: 64 }),
  asOfDay: fc.oneof({ weight: 1, arbitrary: fc.constant(Number.MIN_SAFE_INTEGER) }, { weight: 6, arbitrary: day }),
  orders: count,
  purchaseDays: count,
  firstDay: nullable(day),
  firstDayAmountMinor: money,
  lastDay: nullable(day),
  lastPurchaseAt: nullable(ms),
  dayBits: fc.oneof(fc.array(uint32, { maxLength: 13 }), fc.array(fc.constant(0), { maxLength: 40 }), fc.array(uint32, { maxLength: 200 })),
  grossMinor: money,
  discountMinor: money,
  marginMinor: money,
  refundMinor: money,
  refundMarginMinor: money,
  returns: count,
  unmatchedReturns: count,
  latePurchasesBeyondWindow: count,
  recentOrders: fc.array(recentOrder, { maxLength: 8 }),
  recentReturnDays: fc.array(day, { maxLength: 5 }),
  costedOrders: count,
  orderCostMinor: money,
  costedReturns: count,
  returnCostMinor: money,
  interactions: count,
  interactionCostMinor: money,
  interactionEstimateMinor: money,
  complaints: count,
  lastComplaintAt: nullable(ms),
  lastComplaintDay: nullable(day),
  complaintCases: fc.array(fc.record({ caseKey: hash48, day, open: fc.boolean() }, plain), { maxLength: 8 }),
  referralsMade: count,
  successfulReferrals: count,
  referralValueMinor: money,
  referredBy: nullable(text),
  referredAtDay: nullable(day),
  referralCreditedPurchases: count,
  unattributedDays: fc.array(fc.record({ day, creditMinor: money, orders: fc.integer({ min: 1, max: 50 }) }, plain), { maxLength: 8 }),
  creditSources: fc.array(fc.record({ source: hash48, sequence: fc.integer({ min: 1, max: 1_000_000 }) }, plain), { maxLength: 6 }),
  npsScore: nullable(fc.integer({ min: 0, max: 10 })),
  npsAt: nullable(ms),
  npsDay: nullable(day),
  cancelledAt: nullable(ms),
  cancelReason: nullable(fc.constantFrom(...CODE_TABLES.cancelReason)),
  competitor: nullable(text),
  segments: fc.record({
    rfm_segment: nullable(fc.constantFrom(...CODE_TABLES.rfmSegment)),
    value_quadrant: nullable(fc.constantFrom(...CODE_TABLES.valueQuadrant)),
    relationship: fc.constantFrom(...CODE_TABLES.relationship),
    account_status: fc.constantFrom(...CODE_TABLES.accountStatus),
  }, plain),
  churnLevel: fc.constantFrom(...CODE_TABLES.churnLevel),
  nextCheckDay: nullable(day),
  emitted: count,
  recentIds: fc.array(hash48, { maxLength: 14 }),
}, plain);
