/**
 * One chunk of a re-score after a model change, without I/O: every state is
 * scored again with the context's model as of its own latest evaluation day
 * (`onModelChange`), and what changed is emitted with cause `model_changed`.
 *
 * Each customer is re-scored at its own `asOfDay`, not at the partition's
 * watermark: a change that time alone brings (a due check not fired yet) stays
 * the sweep's, with cause `timer`, as it would have been without the model
 * change. So a re-score with the version the states were scored with changes
 * nothing and emits nothing, and one that is repeated is harmless.
 */
import type { OutboundEvent } from '../contracts/outbound.js';
import { onModelChangeInPlace, type ReduceContext } from '../domain/reducer.js';
import type { CustomerState } from '../domain/state.js';

export interface RescoredChunk {
  /** Every state of the chunk, re-scored (the caller owns them: they were changed in place). */
  readonly states: Map<string, CustomerState>;
  /** segment-changed and churn-risk events, customer after customer, in the chunk's order. */
  readonly emissions: OutboundEvent[];
}

/** Re-scores `states` (changed in place) with `ctx.model`. */
export function rescoreChunk(states: Iterable<CustomerState>, ctx: ReduceContext): RescoredChunk {
  const out: RescoredChunk = { states: new Map(), emissions: [] };
  for (const state of states) {
    const reduction = onModelChangeInPlace(state, state.asOfDay, ctx);
    out.states.set(state.customerId, reduction.state);
    for (const event of reduction.emits) out.emissions.push(event);
  }
  return out;
}
