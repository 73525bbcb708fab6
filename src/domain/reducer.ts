/**
 * The customer reducer: (state, input, model, parameters) → (state', emissions,
 * cross-customer inputs, next check day). Pure: no I/O, no clock — time comes in
 * with the input (its event time) or the timer (its due day). The same function
 * runs in the service, in `clvstream replay` and in tests.
 */
import { effectiveModelVersion } from './model-version.js';
import type { EmissionCause, OutboundEvent } from '../contracts/outbound.js';
import {
  applyCancellation,
  applyFeedback,
  applyInteraction,
  applyPurchase,
  applyReferral,
  applyReferralAttributed,
  applyReferralCredit,
  applyReturn,
  isRepeatedCredit,
  type ApplyOutput,
  type CrossCustomerInput,
  type Flag,
} from './apply.js';
import type { DomainParameters } from './parameters.js';
import { emitChanges } from './emissions.js';
import type { DomainInput } from './input.js';
import type { ModelSnapshot } from './model-snapshot.js';
import { evaluate, type Profile } from './profile.js';
import { hashEventId, remember, seenRecently } from './recent-ids.js';
import { nextCheckDay } from './schedule.js';
import { cloneState, emptyState, type CustomerState } from './state.js';
import { DAY_MS, dayToIso } from './time.js';

export interface ReduceContext {
  readonly model: ModelSnapshot;
  readonly parameters: DomainParameters;
}

export interface Reduction {
  readonly state: CustomerState;
  /** segment-changed and churn-risk events, in order. */
  readonly emits: OutboundEvent[];
  /** Effects on other customers, to be routed to their owners. */
  readonly internal: CrossCustomerInput[];
  /** Day of the next time-driven check, or null. */
  readonly nextCheckDay: number | null;
  /** False when the input was a duplicate and nothing changed. */
  readonly applied: boolean;
  readonly flags: Flag[];
  readonly profile: Profile | null;
}

export function reduce(previous: CustomerState | undefined, input: DomainInput, ctx: ReduceContext): Reduction {
  return reduceWith(previous, input, ctx, cloneState);
}

/**
 * `reduce` for a caller that owns the state object and will not look at the old
 * value again (the runtime's freshly decoded states, the replay store): the
 * state is changed in place, saving a copy per event on the hot path.
 */
export function reduceInPlace(owned: CustomerState | undefined, input: DomainInput, ctx: ReduceContext): Reduction {
  return reduceWith(owned, input, ctx, (s) => s);
}

function reduceWith(
  previous: CustomerState | undefined,
  input: DomainInput,
  ctx: ReduceContext,
  draftOf: (s: CustomerState) => CustomerState,
): Reduction {
  const idHash = hashEventId(input.eventId);
  // Internal inputs take hold in their own order (applyAt), not with the
  // customer's events, so they leave no trace in the id memory; their repeats
  // are recognised by their own rule (a credit's sequence; the first attribution wins).
  const byId = input.kind === 'referral_credit' ? input.sequence === null : input.kind !== 'referral_attributed';
  if (previous !== undefined && (byId ? seenRecently(previous.recentIds, idHash) : isRepeatedInternal(previous, input))) {
    return {
      state: previous,
      emits: [],
      internal: [],
      nextCheckDay: previous.nextCheckDay,
      applied: false,
      flags: ['duplicate'],
      profile: null,
    };
  }
  const s = previous === undefined ? emptyState(input.customerId) : draftOf(previous);
  if (byId) remember(s.recentIds, idHash, ctx.parameters.memory.recentEventIds);
  const out: ApplyOutput = { flags: [], internal: [] };
  switch (input.kind) {
    case 'purchase':
      applyPurchase(s, input, idHash, ctx.parameters, out);
      break;
    case 'return':
      applyReturn(s, input, ctx.parameters, out);
      break;
    case 'referral':
      applyReferral(s, input, ctx.parameters, out);
      break;
    case 'cancellation':
      applyCancellation(s, input);
      break;
    case 'feedback':
      applyFeedback(s, input);
      break;
    case 'interaction':
      applyInteraction(s, input, ctx.parameters);
      break;
    case 'referral_attributed':
      applyReferralAttributed(s, input, ctx.parameters, out);
      break;
    case 'referral_credit':
      applyReferralCredit(s, input);
      break;
  }
  const cause: EmissionCause = { kind: 'event', event_id: input.eventId, event_type: input.kind };
  return settle(s, Math.max(s.asOfDay, input.day), cause, input.at, ctx, out);
}

/** An attribution after the first to take hold (a repeat, or a later referral), or a credit applied before. */
function isRepeatedInternal(s: CustomerState, input: DomainInput): boolean {
  if (input.kind === 'referral_attributed') return s.referredBy !== null;
  return input.kind === 'referral_credit' && isRepeatedCredit(s, input);
}

/**
 * A due check: time has passed `dueDay` without an event. Re-evaluates the
 * customer at that day (never before its latest evaluation) and emits what changed.
 */
export function onTimer(previous: CustomerState, dueDay: number, ctx: ReduceContext): Reduction {
  return onTimerInPlace(cloneState(previous), dueDay, ctx);
}

/** `onTimer` for a caller that owns the state object (as `reduceInPlace`): no copy per due check. */
export function onTimerInPlace(s: CustomerState, dueDay: number, ctx: ReduceContext): Reduction {
  const cause: EmissionCause = { kind: 'timer', due_at: dayToIso(dueDay) };
  return settle(s, Math.max(s.asOfDay, dueDay), cause, dueDay * DAY_MS, ctx, { flags: [], internal: [] });
}

/**
 * A new model version (parameters or RFM cut points): the customer is scored
 * again with it as of `day` (never before its latest evaluation) and what
 * changed is emitted with cause `model_changed` and the new version. Nothing
 * about the customer moves but the model, so scoring the same state twice with
 * the same version emits nothing the second time: a re-score that is repeated
 * (after a crash, or because a scan returned a customer twice) is harmless.
 */
export function onModelChange(previous: CustomerState, day: number, ctx: ReduceContext): Reduction {
  return onModelChangeInPlace(cloneState(previous), day, ctx);
}

/** `onModelChange` for a caller that owns the state object (as `reduceInPlace`). */
export function onModelChangeInPlace(s: CustomerState, day: number, ctx: ReduceContext): Reduction {
  const at = Math.max(s.asOfDay, day);
  const cause: EmissionCause = { kind: 'model_changed', model_version: effectiveModelVersion(ctx.model, ctx.parameters) };
  return settle(s, at, cause, at * DAY_MS, ctx, { flags: [], internal: [] });
}

function settle(
  s: CustomerState,
  day: number,
  cause: EmissionCause,
  occurredAtMs: number,
  ctx: ReduceContext,
  out: ApplyOutput,
): Reduction {
  s.asOfDay = day;
  const profile = evaluate(s, day, ctx.model, ctx.parameters);
  const emits: OutboundEvent[] = [];
  emitChanges(s, profile, cause, occurredAtMs, ctx.model, ctx.parameters, emits);
  s.nextCheckDay = nextCheckDay(s, profile, ctx.model, ctx.parameters);
  return { state: s, emits, internal: out.internal, nextCheckDay: s.nextCheckDay, applied: true, flags: out.flags, profile };
}
