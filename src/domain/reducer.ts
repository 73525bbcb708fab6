/**
 * The customer reducer: (state, input, model, config) → (state', emissions,
 * cross-customer inputs, next check day). Pure: no I/O, no clock — time comes in
 * with the input (its event time) or the timer (its due day). The same function
 * runs in the service, in `clvstream replay` and in tests.
 */
import type { EmissionCause, OutboundEvent } from '../contracts/outbound.js';
import {
  applyCancellation,
  applyFeedback,
  applyPurchase,
  applyReferral,
  applyReferralAttributed,
  applyReferralCredit,
  applyReturn,
  type ApplyOutput,
  type CrossCustomerInput,
  type Flag,
} from './apply.js';
import type { DomainConfig } from './config.js';
import { emitChanges } from './emissions.js';
import type { DomainInput } from './input.js';
import type { ModelSnapshot } from './model-snapshot.js';
import { evaluate, type Profile } from './profile.js';
import { hashEventId, remember, seenRecently } from './recent-ids.js';
import { nextCheckDay } from './schedule.js';
import { cloneState, emptyState, type CustomerState } from './state.js';
import { dayToIso } from './time.js';

export interface ReduceContext {
  readonly model: ModelSnapshot;
  readonly config: DomainConfig;
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
  const before = previous ?? emptyState(input.customerId);
  const idHash = hashEventId(input.eventId);
  if (seenRecently(before.recentIds, idHash)) {
    return {
      state: before,
      emits: [],
      internal: [],
      nextCheckDay: before.nextCheckDay,
      applied: false,
      flags: ['duplicate'],
      profile: null,
    };
  }
  const s = cloneState(before);
  remember(s.recentIds, idHash, ctx.config.memory.recentEventIds);
  const out: ApplyOutput = { flags: [], internal: [] };
  switch (input.kind) {
    case 'purchase':
      applyPurchase(s, input, ctx.config, out);
      break;
    case 'return':
      applyReturn(s, input, ctx.config, out);
      break;
    case 'referral':
      applyReferral(s, input, ctx.config, out);
      break;
    case 'cancellation':
      applyCancellation(s, input);
      break;
    case 'feedback':
      applyFeedback(s, input);
      break;
    case 'referral_attributed':
      applyReferralAttributed(s, input, ctx.config, out);
      break;
    case 'referral_credit':
      applyReferralCredit(s, input);
      break;
  }
  const cause: EmissionCause = { kind: 'event', event_id: input.eventId, event_type: input.kind };
  return settle(s, Math.max(s.asOfDay, input.day), cause, new Date(input.at).toISOString(), ctx, out);
}

/**
 * A due check: time has passed `dueDay` without an event. Re-evaluates the
 * customer at that day (never before its latest evaluation) and emits what changed.
 */
export function onTimer(previous: CustomerState, dueDay: number, ctx: ReduceContext): Reduction {
  const s = cloneState(previous);
  const cause: EmissionCause = { kind: 'timer', due_at: dayToIso(dueDay) };
  return settle(s, Math.max(s.asOfDay, dueDay), cause, dayToIso(dueDay), ctx, { flags: [], internal: [] });
}

function settle(
  s: CustomerState,
  day: number,
  cause: EmissionCause,
  occurredAt: string,
  ctx: ReduceContext,
  out: ApplyOutput,
): Reduction {
  s.asOfDay = day;
  const profile = evaluate(s, day, ctx.model, ctx.config);
  const emits: OutboundEvent[] = [];
  emitChanges(s, profile, cause, occurredAt, ctx.config, emits);
  s.nextCheckDay = nextCheckDay(s, profile, ctx.model, ctx.config);
  return { state: s, emits, internal: out.internal, nextCheckDay: s.nextCheckDay, applied: true, flags: out.flags, profile };
}
