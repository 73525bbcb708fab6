/**
 * Builders for the domain tests: inputs on whole days relative to DAY0, a default
 * context, and a fold over `reduce` for one customer. Not a test file itself.
 */
import type { OutboundEvent } from '../../src/contracts/outbound.js';
import { defaultDomainParameters, type DomainParameters } from '../../src/domain/parameters.js';
import type {
  CancellationInput,
  DomainInput,
  FeedbackInput,
  InteractionInput,
  PurchaseInput,
  ReferralInput,
  ReturnInput,
} from '../../src/domain/input.js';
import { UNFITTED_MODEL, type ModelSnapshot } from '../../src/domain/model-snapshot.js';
import { onTimer, reduce, type ReduceContext, type Reduction } from '../../src/domain/reducer.js';
import type { CustomerState } from '../../src/domain/state.js';
import { DAY_MS, localDayOf } from '../../src/domain/time.js';

/** 2026-01-01 as a day index; every test day is an offset from it. */
export const DAY0 = localDayOf('2026-01-01T00:00:00Z');

/** Noon UTC of DAY0 + n. */
export const atOf = (n: number): number => (DAY0 + n) * DAY_MS + 12 * 3_600_000;

export const ctx: ReduceContext = { model: UNFITTED_MODEL, parameters: defaultDomainParameters };

export function ctxWith(parameters: Partial<DomainParameters>, model: ModelSnapshot = UNFITTED_MODEL): ReduceContext {
  return { model, parameters: { ...defaultDomainParameters, ...parameters } };
}

let counter = 0;
const nextId = (kind: string): string => `${kind}-${++counter}`;

interface Base {
  eventId?: string;
  /** Milliseconds added to noon of the day (ordering within a day). */
  ms?: number;
}

function base(customerId: string, n: number, kind: string, o: Base) {
  return { eventId: o.eventId ?? nextId(kind), customerId, at: atOf(n) + (o.ms ?? 0), day: DAY0 + n };
}

export function purchase(
  customerId: string,
  n: number,
  amountMinor: number,
  o: Base & { orderId?: string; discountMinor?: number; marginMinor?: number | null; costMinor?: number | null } = {},
): PurchaseInput {
  const b = base(customerId, n, 'p', o);
  return {
    kind: 'purchase',
    ...b,
    orderId: o.orderId ?? b.eventId,
    amountMinor,
    discountMinor: o.discountMinor ?? 0,
    marginMinor: o.marginMinor ?? null,
    costMinor: o.costMinor ?? null,
  };
}

export function returned(
  customerId: string,
  n: number,
  amountMinor: number,
  orderId: string | null,
  o: Base & { costMinor?: number | null } = {},
): ReturnInput {
  return { kind: 'return', ...base(customerId, n, 'r', o), orderId, amountMinor, costMinor: o.costMinor ?? null };
}

export function interaction(
  customerId: string,
  n: number,
  interactionKind: InteractionInput['interactionKind'],
  o: Base & { costMinor?: number | null; caseId?: string | null; resolved?: boolean } = {},
): InteractionInput {
  return {
    kind: 'interaction',
    ...base(customerId, n, 'i', o),
    interactionKind,
    costMinor: o.costMinor ?? null,
    caseId: o.caseId ?? null,
    resolved: o.resolved ?? false,
  };
}

export function referral(customerId: string, n: number, referredCustomerId: string, o: Base = {}): ReferralInput {
  return { kind: 'referral', ...base(customerId, n, 'ref', o), referredCustomerId };
}

export function cancellation(customerId: string, n: number, o: Base = {}): CancellationInput {
  return { kind: 'cancellation', ...base(customerId, n, 'c', o), reason: 'price', competitor: null };
}

export function feedback(customerId: string, n: number, score: number, o: Base = {}): FeedbackInput {
  return { kind: 'feedback', ...base(customerId, n, 'f', o), score };
}

export interface Folded {
  readonly state: CustomerState;
  readonly reductions: Reduction[];
  readonly emits: OutboundEvent[];
  readonly last: Reduction;
}

/** Applies `inputs` in order to one customer's state (routed internal inputs are returned, not applied). */
export function fold(inputs: readonly DomainInput[], c: ReduceContext = ctx, start?: CustomerState): Folded {
  let state = start;
  const reductions: Reduction[] = [];
  for (const input of inputs) {
    const r = reduce(state, input, c);
    reductions.push(r);
    state = r.state;
  }
  const last = reductions.at(-1);
  if (last === undefined || state === undefined) throw new Error('fold needs at least one input');
  return { state, reductions, emits: reductions.flatMap((r) => r.emits), last };
}

/** Fires the customer's check at DAY0 + n. */
export function timerAt(state: CustomerState, n: number, c: ReduceContext = ctx): Reduction {
  return onTimer(state, DAY0 + n, c);
}
