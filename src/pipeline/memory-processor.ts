/**
 * The processing pipeline over an in-memory state store: what `clvstream replay`
 * runs, and the reference the streaming runtime is tested against.
 *
 * Time follows `TimedStates`, the rule the runtime's partition step shares.
 * Cross-customer inputs (referrals) are applied right after the input that
 * caused them, as the repartition topic would deliver them.
 */
import type { OutboundEvent } from '../contracts/outbound.js';
import type { DomainInput } from '../domain/input.js';
import { evaluate, type Profile } from '../domain/profile.js';
import type { ReduceContext, Reduction } from '../domain/reducer.js';
import type { CustomerState } from '../domain/state.js';
import { TimedStates } from './timed-states.js';

/** Referral chains are one hop (referral → attribution → credit); a bound guards against loops. */
const MAX_ROUTED_PER_INPUT = 10_000;

export interface ProcessorObserver {
  onEmit?(event: OutboundEvent): void;
  onReduction?(input: DomainInput | null, reduction: Reduction): void;
}

export class MemoryProcessor {
  private readonly timed: TimedStates;

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

  /** Applies one validated input (and whatever it routes to other customers). */
  apply(input: DomainInput): void {
    this.timed.advanceTo(input.day);
    this.route([input]);
  }

  /**
   * `apply`, except that an input whose reduction throws is not applied (its
   * customer's state stays as before it) and the error is returned, as the
   * runtime dead-letters it (processing_error). A copy of the state per input:
   * for `clvstream replay`, where one bad input must not end the run.
   */
  tryApply(input: DomainInput): Error | null {
    const outcome = this.timed.tryApply(input, () => undefined);
    if (outcome instanceof Error) {
      this.timed.fireDue();
      return outcome;
    }
    this.route([...outcome.internal]);
    return null;
  }

  private route(queue: DomainInput[]): void {
    for (let routed = 0; queue.length > 0 && routed < MAX_ROUTED_PER_INPUT; routed++) {
      queue.push(...this.timed.reduce(queue.shift() as DomainInput).internal);
    }
    // A late input may schedule a check the watermark has already passed.
    this.timed.fireDue();
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
