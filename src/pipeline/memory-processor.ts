/**
 * The processing pipeline over an in-memory state store: what `clvstream replay`
 * runs, and the reference the streaming runtime is tested against.
 *
 * Time follows `TimedStates`, the rule the runtime's partition step shares.
 * Cross-customer inputs (referrals) take hold one settle delay after their
 * cause (`applyAt`): each is applied before the first input of that time or
 * later, in (applyAt, event id) order, which is the order the runtime's merge
 * gives them whatever the internal topic's timing. `settle` applies what is
 * still pending at the end.
 */
import type { OutboundEvent } from '../contracts/outbound.js';
import type { CrossCustomerInput } from '../domain/apply.js';
import type { DomainInput } from '../domain/input.js';
import { evaluate, type Profile } from '../domain/profile.js';
import type { ReduceContext, Reduction } from '../domain/reducer.js';
import type { CustomerState } from '../domain/state.js';
import { MinHeap } from './min-heap.js';
import { settlesBefore } from './settle-order.js';
import { TimedStates } from './timed-states.js';

export interface ProcessorObserver {
  onEmit?(event: OutboundEvent): void;
  onReduction?(input: DomainInput | null, reduction: Reduction): void;
}

export class MemoryProcessor {
  private readonly timed: TimedStates;
  /** Cross-customer inputs caused but not yet taken hold. */
  private readonly pending = new MinHeap<CrossCustomerInput>(settlesBefore);
  /** The latest input time applied: a late input goes after the effects that take hold by then (so does the merge). */
  private latestAt = -Infinity;

  constructor(
    private readonly ctx: ReduceContext,
    observer: ProcessorObserver = {},
  ) {
    this.timed = new TimedStates(ctx, (input, reduction) => {
      observer.onReduction?.(input, reduction);
      if (reduction.applied && observer.onEmit) for (const event of reduction.emits) observer.onEmit(event);
    });
  }

  get states(): ReadonlyMap<string, CustomerState> {
    return this.timed.states;
  }

  get watermark(): number {
    return this.timed.watermark ?? Number.MIN_SAFE_INTEGER;
  }

  /** Applies one validated input, after the cross-customer inputs that take hold before it. */
  apply(input: DomainInput): void {
    this.settleBefore(input);
    this.timed.advanceTo(input.day);
    this.hold(this.timed.reduce(input).internal);
    // A late input may schedule a check the watermark has already passed.
    this.timed.fireDue();
  }

  /**
   * `apply`, except that an input whose reduction throws is not applied (its
   * customer's state stays as before it) and the error is returned, as the
   * runtime dead-letters it (processing_error). A copy of the state per input:
   * for `clvstream replay`, where one bad input must not end the run.
   */
  tryApply(input: DomainInput): Error | null {
    this.settleBefore(input);
    const outcome = this.timed.tryApply(input, () => undefined);
    this.timed.fireDue();
    if (outcome instanceof Error) return outcome;
    this.hold(outcome.internal);
    return null;
  }

  /**
   * Applies the pending cross-customer inputs that take hold by `untilMs`
   * (all of them by default: the end of a replay), in order; what they cause
   * in turn takes hold later and is applied too when that is still by `untilMs`.
   */
  settle(untilMs = Infinity): void {
    this.settleWhile((next) => next.applyAt <= untilMs);
  }

  /** `settle` by calendar day: the pending inputs that take hold on `day` or before (a report as of that day). */
  settleThroughDay(day: number): void {
    this.settleWhile((next) => next.applyDay <= day);
  }

  /** Applies the pending inputs, earliest first, while `due` holds for the next one. */
  private settleWhile(due: (next: CrossCustomerInput) => boolean): void {
    let applied = false;
    for (let next = this.pending.peek(); next !== undefined && due(next); next = this.pending.peek()) {
      this.pending.pop();
      this.hold(this.timed.reduce(next).internal);
      applied = true;
    }
    if (applied) this.timed.fireDue();
  }

  /** What takes hold before `input`: the effects due by its time, or by the latest time applied when it is late. */
  private settleBefore(input: DomainInput): void {
    if (input.at > this.latestAt) this.latestAt = input.at;
    this.settle(this.latestAt);
  }

  private hold(internal: readonly CrossCustomerInput[]): void {
    for (const input of internal) this.pending.push(input);
  }

  /** Moves the watermark forward to `day` (never back) and fires every check due by then. */
  advanceTo(day: number): void {
    this.timed.advanceTo(day);
  }

  /** Every customer's profile as of `day`. */
  profiles(day: number): Generator<[CustomerState, Profile]> {
    const { model, parameters } = this.ctx;
    return (function* (states: ReadonlyMap<string, CustomerState>) {
      for (const state of states.values()) yield [state, evaluate(state, Math.max(day, state.asOfDay), model, parameters)];
    })(this.timed.states);
  }
}
