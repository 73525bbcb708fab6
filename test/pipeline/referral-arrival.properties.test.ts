/**
 * Referrals whatever the timing (issue 24): the internal topic delivers a
 * referral's attribution and each credit some time after the event that caused
 * it, in the order each source sent them (one topic partition per target), with
 * a relay's repeats, interleaved arbitrarily with the customers' own events.
 * For any such arrival, the final states equal the replay's, which applies each
 * internal input right after its cause (MemoryProcessor), and so do the
 * emissions of every customer no credit reaches.
 *
 * What timing still decides: a credit changes its referrer's rung or quadrant
 * when it arrives, so a referrer's emissions — and with them its emission
 * counter, `emitted` — follow the arrival (prospect → advocate in one step, or
 * by way of customer). Making those equal needs the runtime to deliver internal
 * records in event-time order across partitions; see docs/architecture.md.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OutboundEvent } from '../../src/contracts/outbound.js';
import type { CrossCustomerInput } from '../../src/domain/apply.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import type { DomainInput } from '../../src/domain/input.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import type { ReduceContext } from '../../src/domain/reducer.js';
import type { CustomerState } from '../../src/domain/state.js';
import { MemoryProcessor } from '../../src/pipeline/memory-processor.js';
import { TimedStates } from '../../src/pipeline/timed-states.js';
import { atOf, DAY0 } from '../domain/fixtures.js';

// The documented memories (6 recent orders, 12 recent ids): the credit must not depend on them.
const ctx: ReduceContext = { model: UNFITTED_MODEL, parameters: { ...defaultDomainParameters, referralValueMinor: 250, referralWindowDays: 120 } };

const REFERRED = ['r1', 'r2', 'r3', 'r4'] as const;
const BUYERS = ['a', 'b', ...REFERRED] as const;
/** One referrer per referred customer: with several, the first attribution to arrive wins (docs/domain.md). */
const REFERRER: Record<(typeof REFERRED)[number], string> = { r1: 'a', r2: 'b', r3: 'a', r4: 'b' };
const LAST_DAY = 200;
const FINAL_DAY = DAY0 + LAST_DAY + 400;

type Spec =
  | { k: 'purchase'; c: string; day: number; amount: number }
  | { k: 'feedback'; c: string; day: number; score: number }
  | { k: 'referral'; referred: (typeof REFERRED)[number]; day: number };

const day = fc.integer({ min: 0, max: LAST_DAY });
const spec: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ k: fc.constant('purchase' as const), c: fc.constantFrom(...BUYERS), day, amount: fc.integer({ min: 0, max: 500_000 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('feedback' as const), c: fc.constantFrom(...BUYERS), day, score: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('referral' as const), referred: fc.constantFrom(...REFERRED), day }) },
);

/** Inputs in event-time order (as a partition's merge takes them), unique ids and times. */
function toInputs(specs: readonly Spec[]): DomainInput[] {
  const referred = new Set<string>();
  const inputs: DomainInput[] = [];
  [...specs]
    .map((s, i) => ({ s, i }))
    .sort((x, y) => x.s.day - y.s.day || x.i - y.i)
    .forEach(({ s }, i) => {
      const b = { eventId: `e${i}`, at: atOf(s.day) + i, day: DAY0 + s.day };
      if (s.k === 'purchase') inputs.push({ kind: 'purchase', ...b, customerId: s.c, orderId: `o${i}`, amountMinor: s.amount, discountMinor: 0, marginMinor: null, costMinor: null });
      else if (s.k === 'feedback') inputs.push({ kind: 'feedback', ...b, customerId: s.c, score: s.score });
      else if (!referred.has(s.referred)) {
        referred.add(s.referred);
        inputs.push({ kind: 'referral', ...b, customerId: REFERRER[s.referred], referredCustomerId: s.referred });
      }
    });
  return inputs;
}

const stream = fc.array(spec, { minLength: 1, maxLength: 60 }).map(toInputs);

interface Outcome {
  readonly states: Map<string, CustomerState>;
  /** Emissions by id: what a subscriber that drops repeats keeps. */
  readonly emissions: Map<string, OutboundEvent>;
}

function replay(inputs: readonly DomainInput[]): Outcome {
  const emissions = new Map<string, OutboundEvent>();
  const p = new MemoryProcessor(ctx, { onEmit: (e) => emissions.set(e.event_id, e) });
  for (const input of inputs) p.apply(input);
  p.advanceTo(FINAL_DAY);
  return { states: new Map(p.states), emissions };
}

/**
 * A delivery schedule: before each own input, how many internal records
 * arrive, from which of the waiting queues (one per source → target pair, first
 * in first out, as the topic keeps them), and which arrivals are repeated.
 */
interface Schedule {
  readonly arrivals: readonly { readonly count: number; readonly picks: readonly number[] }[];
  readonly repeats: readonly boolean[];
}
const schedule: fc.Arbitrary<Schedule> = fc.record({
  arrivals: fc.array(fc.record({ count: fc.nat(3), picks: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }) }), { maxLength: 60 }),
  repeats: fc.array(fc.boolean(), { maxLength: 40 }),
});

function withDelays(inputs: readonly DomainInput[], plan: Schedule): Outcome {
  const emissions = new Map<string, OutboundEvent>();
  const timed = new TimedStates(ctx, (_input, r) => {
    if (r.applied) for (const e of r.emits) emissions.set(e.event_id, e);
  });
  const queues = new Map<string, CrossCustomerInput[]>();
  let repeat = 0;
  const send = (internal: readonly CrossCustomerInput[], from: string) => {
    for (const record of internal) {
      const key = `${from}>${record.customerId}`;
      queues.set(key, [...(queues.get(key) ?? []), record]);
    }
  };
  const deliver = (pick: number) => {
    const waiting = [...queues.values()].filter((q) => q.length > 0);
    if (waiting.length === 0) return;
    const queue = waiting[pick % waiting.length] as CrossCustomerInput[];
    const record = queue.shift() as CrossCustomerInput;
    send(timed.apply(record).internal, record.customerId);
    // A relay that failed before removing what it sent sends it again.
    if (plan.repeats[repeat++ % Math.max(1, plan.repeats.length)] === true) send(timed.apply(record).internal, record.customerId);
  };
  inputs.forEach((input, i) => {
    const arrival = plan.arrivals[i];
    for (let n = 0; arrival !== undefined && n < arrival.count; n++) deliver(arrival.picks[n] ?? 0);
    send(timed.apply(input).internal, input.customerId);
  });
  for (let pick = 0; [...queues.values()].some((q) => q.length > 0); pick += 7) deliver(pick);
  timed.advanceTo(FINAL_DAY);
  return { states: new Map(timed.states), emissions };
}

/** Everything but the emission counter (see the header). */
const withoutCounter = (states: Map<string, CustomerState>) => Object.fromEntries([...states].map(([id, s]) => [id, { ...s, emitted: 0 }]));

describe('referrals whatever the timing of the internal topic', () => {
  it("end in the replay's states, referrers' value, successful referrals and rung included", () => {
    fc.assert(
      fc.property(stream, schedule, (inputs, plan) => {
        const expected = replay(inputs);
        const actual = withDelays(inputs, plan);
        expect(withoutCounter(actual.states)).toEqual(withoutCounter(expected.states));
        // Customers no credit reaches emit exactly what the replay emits, repeats and all.
        const credited = new Set(inputs.flatMap((i) => (i.kind === 'referral' ? [i.customerId] : [])));
        const of = (emissions: Map<string, OutboundEvent>) => [...emissions].filter(([, e]) => !credited.has(e.customer_id));
        expect(of(actual.emissions).sort()).toEqual(of(expected.emissions).sort());
        for (const id of expected.states.keys()) if (!credited.has(id)) expect(actual.states.get(id)).toEqual(expected.states.get(id));
      }),
      { numRuns: 400 },
    );
  });

  it('the referral value no longer depends on how many purchases came before the attribution (regression: 6-order memory)', () => {
    const purchases: DomainInput[] = Array.from({ length: 9 }, (_, i) => ({
      kind: 'purchase', eventId: `p${i}`, customerId: 'r1', at: atOf(10 + i) + 1, day: DAY0 + 10 + i, orderId: `o${i}`, amountMinor: 10_000, discountMinor: 0, marginMinor: null, costMinor: null,
    }));
    const inputs: DomainInput[] = [{ kind: 'referral', eventId: 'ref', customerId: 'a', at: atOf(5), day: DAY0 + 5, referredCustomerId: 'r1' }, ...purchases];
    // The attribution waits until all nine purchases are applied.
    const late = withDelays(inputs, { arrivals: [], repeats: [] });
    const expected = replay(inputs);
    expect(late.states.get('a')?.referralValueMinor).toBe(250 + 9 * 300);
    expect(withoutCounter(late.states)).toEqual(withoutCounter(expected.states));
  });
});
