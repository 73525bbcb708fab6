/**
 * The processing pipeline over an in-memory state store: what `clvstream replay`
 * runs, and the reference the streaming runtime is tested against.
 *
 * Time rule (shared with the runtime): the stream's watermark is the latest event
 * day seen; when it reaches a customer's next-check day, that check fires before
 * any event of the watermark's day is applied. A check that a late event schedules
 * on a day the watermark has already passed fires right after that event. Cross-customer inputs (referrals)
 * are applied right after the input that caused them, as the repartition topic
 * would deliver them.
 */
import type { OutboundEvent } from '../contracts/outbound.js';
import type { DomainInput } from '../domain/input.js';
import { evaluate, type Profile } from '../domain/profile.js';
import { onTimer, reduceInPlace, type ReduceContext, type Reduction } from '../domain/reducer.js';
import type { CustomerState } from '../domain/state.js';
import { TimerHeap } from './timer-heap.js';

/** Referral chains are one hop (referral → attribution → credit); a bound guards against loops. */
const MAX_ROUTED_PER_INPUT = 10_000;

export interface ProcessorObserver {
  onEmit?(event: OutboundEvent): void;
  onReduction?(input: DomainInput | null, reduction: Reduction): void;
}

export class MemoryProcessor {
  readonly states = new Map<string, CustomerState>();
  private readonly timers = new TimerHeap();
  private watermarkDay = Number.MIN_SAFE_INTEGER;

  constructor(
    private readonly ctx: ReduceContext,
    private readonly observer: ProcessorObserver = {},
  ) {}

  get watermark(): number {
    return this.watermarkDay;
  }

  /** Applies one validated input (and whatever it routes to other customers). */
  apply(input: DomainInput): void {
    this.advanceTo(input.day);
    const queue: DomainInput[] = [input];
    for (let routed = 0; queue.length > 0 && routed < MAX_ROUTED_PER_INPUT; routed++) {
      const next = queue.shift() as DomainInput;
      const owned = this.states.get(next.customerId);
      const previousCheck = owned?.nextCheckDay ?? null; // read before the in-place change
      const reduction = reduceInPlace(owned, next, this.ctx);
      this.record(next, reduction, previousCheck);
      queue.push(...reduction.internal);
    }
    // A late input may schedule a check the watermark has already passed.
    this.fireDue();
  }

  /** Moves the watermark forward to `day` (never back) and fires every check due by then. */
  advanceTo(day: number): void {
    if (day > this.watermarkDay) this.watermarkDay = day;
    this.fireDue();
  }

  private fireDue(): void {
    const day = this.watermarkDay;
    for (let due = this.timers.popDue(day); due !== undefined; due = this.timers.popDue(day)) {
      const state = this.states.get(due.customerId);
      if (state === undefined || state.nextCheckDay !== due.day) continue; // stale entry
      this.record(null, onTimer(state, due.day, this.ctx), due.day);
    }
  }

  /** Every customer's profile as of `day`. */
  profiles(day: number): Generator<[CustomerState, Profile]> {
    const { model, config } = this.ctx;
    return (function* (states: Map<string, CustomerState>) {
      for (const state of states.values()) yield [state, evaluate(state, Math.max(day, state.asOfDay), model, config)];
    })(this.states);
  }

  private record(input: DomainInput | null, reduction: Reduction, previousCheck: number | null): void {
    if (!reduction.applied) {
      this.observer.onReduction?.(input, reduction);
      return;
    }
    this.states.set(reduction.state.customerId, reduction.state);
    if (reduction.nextCheckDay !== null && reduction.nextCheckDay !== previousCheck) {
      this.timers.push({ day: reduction.nextCheckDay, customerId: reduction.state.customerId });
    }
    this.observer.onReduction?.(input, reduction);
    if (this.observer.onEmit) for (const event of reduction.emits) this.observer.onEmit(event);
  }
}
