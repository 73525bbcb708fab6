/**
 * Invariants of the reducer over generated event streams (fast-check). Streams stay
 * inside the documented exactness bounds: purchase days within the late window
 * (384 days), and memories large enough that no id or order is forgotten — the
 * bounds themselves are unit-tested in reducer.test.ts and apply.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { churnRiskSchema, segmentChangedSchema, type OutboundEvent } from '../../src/contracts/outbound.js';
import { ACCOUNT_STATUSES, CHURN_LEVELS, RELATIONSHIP_LEVELS, RFM_SEGMENTS, VALUE_QUADRANTS } from '../../src/contracts/segments.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import type { CrossCustomerInput } from '../../src/domain/apply.js';
import type { DomainInput } from '../../src/domain/input.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import { evaluate, predictedClvMinor } from '../../src/domain/profile.js';
import { onTimer, reduce, type ReduceContext, type Reduction } from '../../src/domain/reducer.js';
import type { CustomerState } from '../../src/domain/state.js';
import { MemoryProcessor } from '../../src/pipeline/memory-processor.js';
import { atOf, DAY0 } from './fixtures.js';
import { settlesBefore } from '../../src/pipeline/settle-order.js';

const ctx: ReduceContext = {
  model: UNFITTED_MODEL,
  parameters: { ...defaultDomainParameters, referralValueMinor: 250, memory: { ...defaultDomainParameters.memory, recentEventIds: 128, recentOrders: 64 } },
};

const BUYERS = ['a', 'b', 'c', 'r1', 'r2'] as const;
/** r1 is only ever referred by a, r2 only by b (one referrer per customer: which attribution takes hold first depends on arrival when a referral comes late). */
const REFERRER = { r1: 'a', r2: 'b' } as const;
const MAX_MINOR = 100_000_000_000; // 1e9 major units of a 2-decimal currency (the contract's maximum)
const LAST_DAY = 300;

type Spec =
  | { k: 'purchase'; c: string; day: number; amount: number; discount: number; margin: number | null }
  | { k: 'return'; c: string; day: number; amount: number; order: number | null }
  | { k: 'feedback'; c: string; day: number; score: number }
  | { k: 'cancellation'; c: string; day: number }
  | { k: 'referral'; referred: 'r1' | 'r2'; day: number };

const day = fc.integer({ min: 0, max: LAST_DAY });
const buyer = fc.constantFrom(...BUYERS);
const spec: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('purchase' as const), c: buyer, day, amount: fc.integer({ min: 0, max: MAX_MINOR }), discount: fc.integer({ min: 0, max: 1_000_000 }), margin: fc.option(fc.integer({ min: 0, max: MAX_MINOR }), { nil: null }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('return' as const), c: buyer, day, amount: fc.integer({ min: 1, max: MAX_MINOR }), order: fc.option(fc.nat(40), { nil: null }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('feedback' as const), c: buyer, day, score: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancellation' as const), c: buyer, day }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('referral' as const), referred: fc.constantFrom('r1' as const, 'r2' as const), day }) },
);

/** Inputs with unique ids, order ids and event times (ties in "latest wins" would be arrival-dependent). */
function toInputs(specs: readonly Spec[]): DomainInput[] {
  const referred = new Set<string>();
  const inputs: DomainInput[] = [];
  specs.forEach((s, i) => {
    const b = { eventId: `e${i}`, at: atOf(s.day) + i, day: DAY0 + s.day };
    switch (s.k) {
      case 'purchase': {
        const margin = s.margin === null ? null : Math.min(s.margin, s.amount); // ingest caps margin at the amount
        inputs.push({ kind: 'purchase', ...b, customerId: s.c, orderId: `o${i}`, amountMinor: s.amount, discountMinor: s.discount, marginMinor: margin, costMinor: null });
        break;
      }
      case 'return':
        inputs.push({ kind: 'return', ...b, customerId: s.c, orderId: s.order === null ? null : `o${s.order}`, amountMinor: s.amount, costMinor: null });
        break;
      case 'feedback':
        inputs.push({ kind: 'feedback', ...b, customerId: s.c, score: s.score });
        break;
      case 'cancellation':
        inputs.push({ kind: 'cancellation', ...b, customerId: s.c, reason: 'other', competitor: null });
        break;
      case 'referral':
        if (referred.has(s.referred)) return;
        referred.add(s.referred);
        inputs.push({ kind: 'referral', ...b, customerId: REFERRER[s.referred], referredCustomerId: s.referred });
        break;
    }
  });
  return inputs;
}

const stream = fc.array(spec, { minLength: 1, maxLength: 30 }).map(toInputs);
/** A stream and a permutation of it. */
const permuted = stream.chain((inputs) => fc.tuple(fc.constant(inputs), fc.shuffledSubarray(inputs, { minLength: inputs.length, maxLength: inputs.length })));

const FINAL_DAY = DAY0 + LAST_DAY + 600;

function runProcessor(inputs: readonly DomainInput[]) {
  const emits: OutboundEvent[] = [];
  const reductions: [DomainInput | null, Reduction][] = [];
  const p = new MemoryProcessor(ctx, { onEmit: (e) => emits.push(e), onReduction: (i, r) => reductions.push([i, r]) });
  for (const input of inputs) p.apply(input);
  // What the last events caused takes hold after them (as at the end of `clvstream replay`).
  p.settle();
  p.advanceTo(FINAL_DAY);
  return { processor: p, emits, reductions, states: Object.fromEntries(p.states) as Record<string, CustomerState> };
}

/**
 * The same time rule as MemoryProcessor (checks due by the watermark fire before an
 * event of that day, in (day, customer) order; a referral effect takes hold, after
 * its customer's checks due by its apply day, before the first input at or after
 * its apply time, in (apply time, event id) order, the rest at the end), over a
 * store that is nothing but JSON-serialisable data: customer states, the
 * watermark and the referral effects caused but not yet taken hold.
 */
interface Saved {
  states: Record<string, CustomerState>;
  watermark: number;
  pending: CrossCustomerInput[];
  /** The latest input time applied: a late input goes after the effects that take hold by then. */
  latestAt: number;
}

const settlesFirst = (a: CrossCustomerInput, b: CrossCustomerInput): number => (settlesBefore(a, b) ? -1 : settlesBefore(b, a) ? 1 : 0);

function drive(saved: Saved, inputs: readonly DomainInput[], finalDay: number | null, emits: OutboundEvent[]): Saved {
  const states = saved.states;
  const pending = saved.pending;
  let watermark = saved.watermark;
  let latestAt = saved.latestAt;
  const fire = (s: CustomerState) => {
    const r = onTimer(s, s.nextCheckDay ?? 0, ctx);
    states[r.state.customerId] = r.state;
    emits.push(...r.emits);
  };
  const fireDue = () => {
    for (;;) {
      let due: CustomerState | undefined;
      for (const s of Object.values(states)) {
        if (s.nextCheckDay === null || s.nextCheckDay > watermark) continue;
        if (due === undefined || s.nextCheckDay < (due.nextCheckDay ?? 0) || (s.nextCheckDay === due.nextCheckDay && s.customerId < due.customerId)) due = s;
      }
      if (due === undefined) return;
      fire(due);
    }
  };
  const apply = (input: DomainInput, clockDay: number) => {
    for (let s = states[input.customerId]; s !== undefined && s.nextCheckDay !== null && s.nextCheckDay <= clockDay; s = states[input.customerId]) fire(s);
    const r = reduce(states[input.customerId], input, ctx);
    states[r.state.customerId] = r.state;
    emits.push(...r.emits);
    pending.push(...r.internal);
    pending.sort(settlesFirst);
  };
  const settle = (untilMs: number) => {
    let applied = false;
    for (let next = pending[0]; next !== undefined && next.applyAt <= untilMs; next = pending[0]) {
      pending.shift();
      apply(next, Math.max(next.day, next.applyDay));
      applied = true;
    }
    if (applied) fireDue();
  };
  for (const input of inputs) {
    latestAt = Math.max(latestAt, input.at);
    settle(latestAt);
    watermark = Math.max(watermark, input.day);
    fireDue();
    apply(input, input.day);
    fireDue();
  }
  if (finalDay !== null) {
    settle(Infinity);
    watermark = Math.max(watermark, finalDay);
    fireDue();
  }
  return { states, watermark, pending, latestAt };
}

const SUM_FIELDS = [
  'orders',
  'purchaseDays',
  'firstDay',
  'lastDay',
  'firstDayAmountMinor',
  'grossMinor',
  'discountMinor',
  'marginMinor',
  'refundMinor',
  'returns',
  'referralsMade',
  'referralValueMinor',
  'successfulReferrals',
  'referredBy',
  'npsScore',
  'cancelledAt',
] as const satisfies readonly (keyof CustomerState)[];

const sums = (states: Record<string, CustomerState>) =>
  Object.fromEntries(Object.values(states).map((s) => [s.customerId, Object.fromEntries(SUM_FIELDS.map((f) => [f, s[f]]))]));

describe('reducer invariants (property-based)', () => {
  it('the same events in any arrival order give the same sums, purchase days and referral value', () => {
    fc.assert(
      fc.property(permuted, ([inputs, shuffled]) => {
        expect(sums(runProcessor(shuffled).states)).toEqual(sums(runProcessor(inputs).states));
      }),
    );
  });

  it('splitting the stream anywhere and resuming from the saved (JSON) state gives the same states and emissions', () => {
    fc.assert(
      fc.property(stream, fc.nat(), (inputs, at) => {
        const split = at % (inputs.length + 1);
        const onePass: OutboundEvent[] = [];
        const whole = drive({ states: {}, watermark: Number.MIN_SAFE_INTEGER, pending: [], latestAt: -Infinity }, inputs, FINAL_DAY, onePass);

        const resumed: OutboundEvent[] = [];
        const first = drive({ states: {}, watermark: Number.MIN_SAFE_INTEGER, pending: [], latestAt: -Infinity }, inputs.slice(0, split), null, resumed);
        const saved = JSON.parse(JSON.stringify(first)) as Saved;
        const second = drive(saved, inputs.slice(split), FINAL_DAY, resumed);

        expect(second.states).toEqual(whole.states);
        expect(resumed).toEqual(onePass);
        // …and the driver is faithful to the pipeline: same states and emissions as MemoryProcessor
        const reference = runProcessor(inputs);
        expect(reference.emits).toEqual(onePass);
        expect(JSON.parse(JSON.stringify(reference.states))).toEqual(whole.states);
      }),
    );
  });

  it('money never drifts: every sum is a safe integer equal to the integer sum of the inputs', () => {
    fc.assert(
      fc.property(stream, (inputs) => {
        const { processor, states } = runProcessor(inputs);
        for (const s of Object.values(states)) {
          const mine = inputs.filter((i) => i.customerId === s.customerId);
          const purchases = mine.flatMap((i) => (i.kind === 'purchase' ? [i] : []));
          const returns = mine.flatMap((i) => (i.kind === 'return' ? [i] : []));
          expect(s.grossMinor).toBe(purchases.reduce((t, p) => t + p.amountMinor, 0));
          expect(s.discountMinor).toBe(purchases.reduce((t, p) => t + p.discountMinor, 0));
          expect(s.marginMinor).toBe(purchases.reduce((t, p) => t + (p.marginMinor ?? Math.round(p.amountMinor * ctx.parameters.marginRate)), 0));
          expect(s.refundMinor).toBe(returns.reduce((t, r) => t + r.amountMinor, 0));
          for (const f of ['grossMinor', 'discountMinor', 'marginMinor', 'refundMinor', 'refundMarginMinor', 'referralValueMinor', 'firstDayAmountMinor'] as const) {
            expect(Number.isSafeInteger(s[f]), `${s.customerId}.${f} = ${s[f]}`).toBe(true);
          }
        }
        for (const [s, p] of processor.profiles(FINAL_DAY)) {
          expect(Number.isSafeInteger(p.historicClvMinor)).toBe(true);
          expect(Number.isSafeInteger(predictedClvMinor(s, p, ctx.model, ctx.parameters))).toBe(true);
          expect(Number.isSafeInteger(p.monetaryMinor)).toBe(true);
        }
      }),
    );
  });

  it('no segment is ever undefined; published values are the current ones; every emission is valid', () => {
    fc.assert(
      fc.property(stream, (inputs) => {
        const { processor, emits, states } = runProcessor(inputs);
        for (const [s, p] of processor.profiles(FINAL_DAY)) {
          expect(CHURN_LEVELS).toContain(p.churn.level);
          expect(ACCOUNT_STATUSES).toContain(p.segments.account_status);
          if (s.orders > 0) {
            expect(RFM_SEGMENTS).toContain(p.segments.rfm_segment);
            expect(VALUE_QUADRANTS).toContain(p.segments.value_quadrant);
            expect(RELATIONSHIP_LEVELS.filter((l) => l !== 'prospect')).toContain(p.segments.relationship);
          } else {
            expect(p.segments).toMatchObject({ rfm_segment: null, value_quadrant: null, relationship: 'prospect' });
          }
        }
        for (const s of Object.values(states)) {
          const now = evaluate(s, s.asOfDay, ctx.model, ctx.parameters);
          expect(s.segments).toEqual(now.segments);
          expect(s.churnLevel).toBe(now.churn.level);
        }
        for (const e of emits) {
          const parsed = e.type === 'segment-changed' ? segmentChangedSchema.safeParse(e) : churnRiskSchema.safeParse(e);
          expect(parsed.error).toBeUndefined();
        }
      }),
    );
  });

  it('duplicates anywhere after the original change nothing', () => {
    const withDuplicates = stream.chain((inputs) =>
      fc.tuple(
        fc.constant(inputs),
        fc.array(fc.tuple(fc.nat(inputs.length - 1), fc.nat()), { minLength: 1, maxLength: 8 }).map((picks) => {
          const out = [...inputs];
          for (const [which, where] of picks) {
            const original = inputs[which] as DomainInput;
            const from = out.indexOf(original) + 1;
            out.splice(from + (where % (out.length - from + 1)), 0, { ...original });
          }
          return out;
        }),
      ),
    );
    fc.assert(
      fc.property(withDuplicates, ([inputs, duplicated]) => {
        const clean = runProcessor(inputs);
        const dirty = runProcessor(duplicated);
        expect(dirty.states).toEqual(clean.states);
        expect(dirty.emits).toEqual(clean.emits);
        const rejected = dirty.reductions.filter(([, r]) => !r.applied);
        expect(rejected).toHaveLength(duplicated.length - inputs.length);
        for (const [, r] of rejected) expect(r.emits).toEqual([]);
      }),
    );
  });
});
