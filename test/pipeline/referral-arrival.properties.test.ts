/**
 * Referrals whatever the timing (issue 24). Several partitions, each with the
 * runtime's merge and its settle gate (partition-merge.ts), run under a random
 * schedule: a partition takes a batch of any size when its merge lets it; the
 * internal topic delivers each source's records (and after them its position)
 * in the order that source sent them, but interleaved with everything else at
 * random, with a relay's repeats; the customers' own events arrive in chunks.
 * Whatever the schedule, the final states — referrers' referral value,
 * successful referrals, rung and emission counter included — and the emissions
 * a subscriber keeps (by event id) equal the replay's (MemoryProcessor).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OutboundEvent } from '../../src/contracts/outbound.js';
import type { CrossCustomerInput } from '../../src/domain/apply.js';
import type { DomainInput } from '../../src/domain/input.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import type { ReduceContext } from '../../src/domain/reducer.js';
import type { CustomerState } from '../../src/domain/state.js';
import { DAY_MS } from '../../src/domain/time.js';
import { MemoryProcessor } from '../../src/pipeline/memory-processor.js';
import { PartitionMerge, type MergeRecord } from '../../src/pipeline/partition-merge.js';
import { settleTie } from '../../src/pipeline/settle-order.js';
import { TimedStates } from '../../src/pipeline/timed-states.js';
import { atOf, DAY0 } from '../domain/fixtures.js';

const ctx: ReduceContext = { model: UNFITTED_MODEL, parameters: { ...defaultDomainParameters, referralValueMinor: 250, referralWindowDays: 120, referralSettleDays: 2 } };
const SETTLE_MS = 2 * DAY_MS;

const REFERRED = ['r1', 'r2', 'r3', 'r4'] as const;
const REFERRERS = ['a', 'b', 'c'] as const;
const BUYERS = [...REFERRERS, ...REFERRED] as const;
const PARTITIONS = 3;
const PARTITION: Record<string, number> = { a: 0, b: 1, c: 2, r1: 0, r2: 1, r3: 2, r4: 1 };
const LAST_DAY = 120;
const FINAL_DAY = DAY0 + LAST_DAY + 400;
const INBOUND = 0;
const INTERNAL = 1;

type Spec =
  | { k: 'purchase'; c: string; day: number; amount: number }
  | { k: 'feedback'; c: string; day: number; score: number }
  | { k: 'referral'; by: (typeof REFERRERS)[number]; referred: (typeof REFERRED)[number]; day: number };

const day = fc.integer({ min: 0, max: LAST_DAY });
const spec: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ k: fc.constant('purchase' as const), c: fc.constantFrom(...BUYERS), day, amount: fc.integer({ min: 0, max: 500_000 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('feedback' as const), c: fc.constantFrom(...BUYERS), day, score: fc.integer({ min: 0, max: 10 }) }) },
  // Several referrers may name one customer: the earliest referral wins.
  { weight: 3, arbitrary: fc.record({ k: fc.constant('referral' as const), by: fc.constantFrom(...REFERRERS), referred: fc.constantFrom(...REFERRED), day }) },
);

/** Inputs in event-time order (as produced: the replay's order), unique ids; a customer's own events never tie. */
function toInputs(specs: readonly Spec[]): DomainInput[] {
  return [...specs]
    .map((s, i) => ({ s, i }))
    .sort((x, y) => x.s.day - y.s.day || x.i - y.i)
    .map(({ s }, i): DomainInput => {
      // Some events fall exactly on a time an effect takes hold (cause + settle delay): effects go first.
      const b = { eventId: `e${i}`, at: atOf(s.day) + (i % 3 === 0 ? 0 : i), day: DAY0 + s.day };
      if (s.k === 'purchase') return { kind: 'purchase', ...b, customerId: s.c, orderId: `o${i}`, amountMinor: s.amount, discountMinor: 0, marginMinor: null, costMinor: null };
      if (s.k === 'feedback') return { kind: 'feedback', ...b, customerId: s.c, score: s.score };
      return { kind: 'referral', ...b, customerId: s.by, referredCustomerId: s.referred };
    })
    .filter((input, i, all) => all.findIndex((o) => o.customerId === input.customerId && o.at === input.at) === i)
    .sort((x, y) => x.at - y.at);
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
  p.settle();
  p.advanceTo(FINAL_DAY);
  return { states: new Map(p.states), emissions };
}

/** What travels on the internal topic: an effect, or a partition's position. */
type Wire = { effect: CrossCustomerInput } | { source: number; position: number; initial: boolean };

/** The random choices of one run: which step comes next, batch sizes, which channel delivers, which deliveries repeat. */
interface Schedule {
  readonly steps: readonly number[];
  readonly repeats: readonly boolean[];
}
const schedule: fc.Arbitrary<Schedule> = fc.record({
  steps: fc.array(fc.nat(), { minLength: 1, maxLength: 200 }),
  repeats: fc.array(fc.boolean(), { maxLength: 40 }),
});

/** The runtime's shape: a merge, states and a log offset per partition; a FIFO channel per source → target pair. */
function runtime(inputs: readonly DomainInput[], plan: Schedule): Outcome {
  const emissions = new Map<string, OutboundEvent>();
  const partitions = Array.from({ length: PARTITIONS }, (_, p) => ({
    merge: new PartitionMerge<DomainInput>(2, Infinity, { internalQueue: INTERNAL, partitions: PARTITIONS, settleMs: SETTLE_MS, idlePosition: () => Infinity }),
    timed: new TimedStates(ctx, (_input, r) => {
      if (r.applied) for (const e of r.emits) emissions.set(e.event_id, e);
    }),
    pending: inputs.filter((i) => PARTITION[i.customerId] === p),
    fed: 0,
    internalOffset: 0n,
    announced: '',
  }));
  // A partition without events of its own is caught up from the start.
  partitions.forEach((part) => part.merge.push(INBOUND, [], part.pending.length === 0));
  const channels = new Map<string, Wire[]>();
  const send = (from: number, to: number, wire: Wire) => {
    const key = `${from}>${to}`;
    const channel = channels.get(key);
    if (channel === undefined) channels.set(key, [wire]);
    else channel.push(wire);
  };
  let step = 0;
  const choice = () => plan.steps[step++ % plan.steps.length] as number;
  let repeat = 0;

  /** The customers' own events arrive in chunks of any size; the queue is caught up once all are in. */
  const feed = (p: number, count: number) => {
    const part = partitions[p]!;
    const chunk = part.pending.slice(part.fed, part.fed + count);
    part.fed += chunk.length;
    part.merge.push(INBOUND, chunk.map((input, i) => ({ queue: INBOUND, offset: BigInt(part.fed - chunk.length + i), time: input.at, item: input })), part.fed === part.pending.length);
  };
  /** A batch of up to `max` records, then the position after it, to every partition (itself included). */
  const batch = (p: number, max: number): boolean => {
    const part = partitions[p]!;
    let taken = 0;
    for (let r = part.merge.next(0); r !== undefined; r = taken < max ? part.merge.next(0) : undefined) {
      taken++;
      for (const effect of part.timed.apply(r.item).internal) send(p, PARTITION[effect.customerId]!, { effect });
    }
    // A new announcement only: the runtime repeats an unchanged one on a timer, which changes nothing.
    const announcement = part.merge.announcement(0);
    if (announcement !== null && JSON.stringify(announcement) !== part.announced) {
      part.announced = JSON.stringify(announcement);
      for (let to = 0; to < PARTITIONS; to++) send(p, to, { source: p, ...announcement });
    }
    return taken > 0;
  };
  const deliver = (pick: number): boolean => {
    const waiting = [...channels].filter(([, q]) => q.length > 0);
    if (waiting.length === 0) return false;
    const [key, queue] = waiting[pick % waiting.length]!;
    const to = Number(key.split('>')[1]);
    const wire = queue.shift()!;
    const part = partitions[to]!;
    // A relay that failed before removing what it sent sends it again.
    const times = 'effect' in wire && plan.repeats[repeat++ % Math.max(1, plan.repeats.length)] === true ? 2 : 1;
    for (let n = 0; n < times; n++) {
      if ('effect' in wire) {
        const record: MergeRecord<DomainInput> = { queue: INTERNAL, offset: part.internalOffset++, time: wire.effect.applyAt, tie: settleTie(wire.effect), item: wire.effect };
        part.merge.push(INTERNAL, [record], true);
      } else {
        part.internalOffset++;
        part.merge.notePosition(wire.source, wire.position, wire.initial);
      }
    }
    return true;
  };

  /** Something is left to do: events to arrive, records held, effects on their way. */
  const unfinished = () =>
    partitions.some((part) => part.fed < part.pending.length || part.merge.buffered(INBOUND) + part.merge.buffered(INTERNAL) > 0) ||
    [...channels.values()].some((q) => q.some((wire) => 'effect' in wire));
  for (let guard = 0; guard < 20_000 && unfinished(); guard++) {
    const c = choice();
    const p = c % PARTITIONS;
    const kind = Math.floor(c / PARTITIONS) % 3;
    let moved = false;
    if (kind === 0) {
      const part = partitions[p]!;
      if (part.fed < part.pending.length) {
        feed(p, 1 + (c % 5));
        moved = true;
      }
    } else if (kind === 1) moved = batch(p, 1 + (c % 7));
    else moved = deliver(c);
    if (moved) continue;
    // The chosen step could not move: every channel delivers, every partition is fed and takes what it can.
    for (let pick = 0; deliver(pick); pick++);
    partitions.forEach((part, i) => feed(i, part.pending.length));
    for (let i = 0; i < PARTITIONS; i++) batch(i, Infinity);
  }
  for (const part of partitions) expect(part.merge.buffered(INBOUND) + part.merge.buffered(INTERNAL)).toBe(0);
  const states = new Map<string, CustomerState>();
  for (const part of partitions) {
    part.timed.advanceTo(FINAL_DAY);
    for (const [id, s] of part.timed.states) states.set(id, s);
  }
  return { states, emissions };
}

const sorted = (states: Map<string, CustomerState>) => Object.fromEntries([...states].sort(([a], [b]) => (a < b ? -1 : 1)));
const sortedEmissions = (emissions: Map<string, OutboundEvent>) => [...emissions].sort(([a], [b]) => (a < b ? -1 : 1));

describe('referrals whatever the timing of the internal topic', () => {
  it("end in the replay's states and emissions, referrers' value, successful referrals, rung and counter included", () => {
    fc.assert(
      fc.property(stream, schedule, (inputs, plan) => {
        const expected = replay(inputs);
        const actual = runtime(inputs, plan);
        expect(sorted(actual.states)).toEqual(sorted(expected.states));
        expect(sortedEmissions(actual.emissions)).toEqual(sortedEmissions(expected.emissions));
      }),
      { numRuns: 1_500 },
    );
  });

  it('a partition does not announce past an effect still on its way to it (regression: a credit applied after a later event)', () => {
    // a refers r3 (another partition), r3 bought before the attribution takes hold: the credit is caused when it
    // does, two days later, and takes hold before a's purchase — even though a's partition had announced that
    // purchase's time as its position before the attribution reached r3.
    const inputs: DomainInput[] = [
      { kind: 'purchase', eventId: 'e0', customerId: 'r3', at: atOf(0), day: DAY0, orderId: 'o0', amountMinor: 0, discountMinor: 0, marginMinor: null, costMinor: null },
      { kind: 'referral', eventId: 'e1', customerId: 'a', at: atOf(0) + 1, day: DAY0, referredCustomerId: 'r3' },
      { kind: 'purchase', eventId: 'e2', customerId: 'a', at: atOf(4) + 2, day: DAY0 + 4, orderId: 'o2', amountMinor: 0, discountMinor: 0, marginMinor: null, costMinor: null },
    ];
    const expected = replay(inputs);
    const actual = runtime(inputs, { steps: [0], repeats: [] });
    expect(sortedEmissions(actual.emissions)).toEqual(sortedEmissions(expected.emissions));
    expect(sorted(actual.states)).toEqual(sorted(expected.states));
  });

  it('several referrers: the earliest referral wins, whichever attribution arrives first', () => {
    const inputs: DomainInput[] = [
      { kind: 'referral', eventId: 'late-ref', customerId: 'b', at: atOf(9), day: DAY0 + 9, referredCustomerId: 'r1' },
      { kind: 'referral', eventId: 'early-ref', customerId: 'a', at: atOf(3), day: DAY0 + 3, referredCustomerId: 'r1' },
      { kind: 'purchase', eventId: 'p1', customerId: 'r1', at: atOf(20), day: DAY0 + 20, orderId: 'o1', amountMinor: 10_000, discountMinor: 0, marginMinor: null, costMinor: null },
    ].sort((x, y) => x.at - y.at) as DomainInput[];
    // b's partition runs first and its attribution reaches r1's partition before a's.
    const outcome = runtime(inputs, { steps: [4, 3, 8, 6], repeats: [] });
    expect(outcome.states.get('r1')?.referredBy).toBe('a');
    expect(outcome.states.get('a')?.successfulReferrals).toBe(1);
    expect(outcome.states.get('b')?.successfulReferrals).toBe(0);
    expect(sorted(outcome.states)).toEqual(sorted(replay(inputs).states));
  });

  it('the referral value no longer depends on how many purchases came before the attribution (regression: 6-order memory)', () => {
    const purchases: DomainInput[] = Array.from({ length: 9 }, (_, i) => ({
      kind: 'purchase', eventId: `p${i}`, customerId: 'r1', at: atOf(5) + 1 + i, day: DAY0 + 5, orderId: `o${i}`, amountMinor: 10_000, discountMinor: 0, marginMinor: null, costMinor: null,
    }));
    const inputs: DomainInput[] = [{ kind: 'referral', eventId: 'ref', customerId: 'b', at: atOf(5), day: DAY0 + 5, referredCustomerId: 'r1' }, ...purchases];
    // The nine purchases are within the settle delay of the referral: all before the attribution takes hold.
    const expected = replay(inputs);
    expect(expected.states.get('b')?.referralValueMinor).toBe(250 + 9 * 300);
    expect(sorted(runtime(inputs, { steps: [1, 2, 5], repeats: [true] }).states)).toEqual(sorted(expected.states));
  });
});
