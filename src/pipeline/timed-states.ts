/**
 * The time rule, in one place for the replay and the runtime: a set of customer
 * states with their due checks and a watermark (the latest event day seen).
 *
 * - When the watermark reaches a customer's next-check day, `onTimer` fires
 *   before any input of the watermark's day is applied.
 * - Before an input is applied to a customer whose check is due by the input's
 *   day, that check fires first, so a customer's result never depends on when
 *   (or in which batch) the watermark moved.
 * - A check that a late input schedules on a day already passed fires right after it.
 *
 * States are changed in place (`reduceInPlace`): the holder owns them.
 */
import type { DomainInput } from '../domain/input.js';
import { onTimerInPlace, reduceInPlace, type ReduceContext, type Reduction } from '../domain/reducer.js';
import { cloneState, type CustomerState } from '../domain/state.js';
import { TimerHeap } from './timer-heap.js';

/** A check whose reduction schedules another check already due fires again; the bound guards a model bug. */
const MAX_CHAINED_CHECKS = 1_000;

/** Called for every reduction, applied or not; `input` is null for a fired check. */
export type ReductionListener = (input: DomainInput | null, reduction: Reduction) => void;

export class TimedStates {
  readonly states = new Map<string, CustomerState>();
  private readonly timers = new TimerHeap();

  constructor(
    private readonly ctx: ReduceContext,
    private readonly listener: ReductionListener,
    private watermarkDay: number | null = null,
  ) {}

  get watermark(): number | null {
    return this.watermarkDay;
  }

  /** Takes states loaded from a store and fires what the watermark has already passed. */
  adopt(states: ReadonlyMap<string, CustomerState>): void {
    for (const [id, state] of states) {
      this.states.set(id, state);
      if (state.nextCheckDay !== null) this.timers.push({ day: state.nextCheckDay, customerId: id });
    }
    this.fireDue();
  }

  /** Moves the watermark forward to `day` (never back) and fires every check due by then. */
  advanceTo(day: number): void {
    if (this.watermarkDay === null || day > this.watermarkDay) this.watermarkDay = day;
    this.fireDue();
  }

  /** Advances to the input's day, applies it (after its customer's due checks) and fires what became due. */
  apply(input: DomainInput): Reduction {
    this.advanceTo(input.day);
    const reduction = this.reduce(input);
    this.fireDue();
    return reduction;
  }

  /**
   * `apply`, undone when the reduction throws or `check` refuses the state it
   * produced (a state the store could not write): the customer's state is put
   * back as it was before the input and the error is returned; the listener
   * hears nothing of the input. What the input's time did stands — the
   * watermark moved and the checks it made due fired — as for any valid event
   * whose time is known. Costs a copy of the state per input: for a pass that
   * has already met a failure (PartitionProcessor), not the hot path. Checks
   * the input made due are left to the caller's `fireDue` (after what it routes).
   */
  tryApply(input: DomainInput, check: (state: CustomerState) => void): Reduction | Error {
    this.advanceTo(input.day);
    this.fireOwnChecks(input.customerId, clockDayOf(input));
    const owned = this.states.get(input.customerId);
    const before = owned === undefined ? undefined : cloneState(owned);
    const previousCheck = owned?.nextCheckDay ?? null;
    let reduction: Reduction;
    try {
      reduction = reduceInPlace(owned, input, this.ctx);
      if (reduction.applied) check(reduction.state);
    } catch (error) {
      if (before !== undefined) this.states.set(input.customerId, before);
      return error instanceof Error ? error : new Error(String(error));
    }
    this.record(input, reduction, previousCheck);
    return reduction;
  }

  /**
   * Applies an input without moving the watermark or firing other customers'
   * checks — for inputs routed from one just applied (the replay fires due checks
   * once the whole chain is done, as the repartition topic would deliver it).
   */
  reduce(input: DomainInput): Reduction {
    this.fireOwnChecks(input.customerId, clockDayOf(input));
    const owned = this.states.get(input.customerId);
    const previousCheck = owned?.nextCheckDay ?? null; // read before the in-place change
    const reduction = reduceInPlace(owned, input, this.ctx);
    this.record(input, reduction, previousCheck);
    return reduction;
  }

  /** Fires every check due by the watermark, in (day, customer) order. */
  fireDue(): void {
    const day = this.watermarkDay;
    if (day === null) return;
    for (let due = this.timers.popDue(day); due !== undefined; due = this.timers.popDue(day)) {
      const state = this.states.get(due.customerId);
      if (state === undefined || state.nextCheckDay !== due.day) continue; // stale entry
      // One check per entry: the next one it schedules goes back into the heap, so
      // checks fire in (day, customer) order across customers.
      this.record(null, onTimerInPlace(state, due.day, this.ctx), due.day);
    }
  }

  /** Fires the customer's checks due by `day`, oldest first (a check may schedule another). */
  private fireOwnChecks(customerId: string, day: number): void {
    for (let i = 0; i < MAX_CHAINED_CHECKS; i++) {
      const state = this.states.get(customerId);
      if (state === undefined || state.nextCheckDay === null || state.nextCheckDay > day) return;
      const previousCheck = state.nextCheckDay; // read before the in-place change
      this.record(null, onTimerInPlace(state, previousCheck, this.ctx), previousCheck);
    }
  }

  private record(input: DomainInput | null, reduction: Reduction, previousCheck: number | null): void {
    if (reduction.applied) {
      const { state } = reduction;
      this.states.set(state.customerId, state);
      if (reduction.nextCheckDay !== null && reduction.nextCheckDay !== previousCheck) {
        this.timers.push({ day: reduction.nextCheckDay, customerId: state.customerId });
      }
    }
    this.listener(input, reduction);
  }
}

/**
 * The day a customer's clock stands at when the input is applied: its own day,
 * or for a referral effect the day it takes hold (its checks due by then fire
 * first, wherever the partition's watermark is).
 */
function clockDayOf(input: DomainInput): number {
  if (input.kind === 'referral_attributed' || input.kind === 'referral_credit') return Math.max(input.day, input.applyDay);
  return input.day;
}
