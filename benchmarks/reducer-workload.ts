/**
 * The pure reducer's timed workload, shared by `npm run bench:reducer` and the
 * service bench's host-speed probe: purchases applied with `reduceInPlace` to
 * customers who already have three purchases each, seeded so runs compare.
 */
import { defaultDomainParameters } from '../src/domain/parameters.js';
import type { PurchaseInput } from '../src/domain/input.js';
import type { ModelSnapshot } from '../src/domain/model-snapshot.js';
import { seededRandom } from '../src/domain/models/simulate.js';
import { reduceInPlace, type ReduceContext } from '../src/domain/reducer.js';
import type { CustomerState } from '../src/domain/state.js';
import { DAY_MS } from '../src/domain/time.js';

function purchases(count: number, customers: number, startDay: number, seed: number, prefix: string): PurchaseInput[] {
  const random = seededRandom(seed);
  const out: PurchaseInput[] = [];
  for (let i = 0; i < count; i++) {
    const day = startDay + Math.floor((i / count) * 365);
    out.push({
      kind: 'purchase',
      eventId: `${prefix}-${i}`,
      customerId: `c${Math.floor(random() * customers)}`,
      at: day * DAY_MS + 3_600_000,
      day,
      orderId: `${prefix}-o${i}`,
      amountMinor: 500 + Math.floor(random() * 20_000),
      discountMinor: 0,
      marginMinor: null,
      costMinor: null,
    });
  }
  return out;
}

export interface ReducerPass {
  /** Purchases per second over the timed part. */
  readonly rate: number;
  readonly emitted: number;
}

/** One timed pass on fresh, warm state (warming is not timed). */
export function reducerPass(model: ModelSnapshot, customers: number, events: number): ReducerPass {
  const ctx: ReduceContext = { model, parameters: defaultDomainParameters };
  const states = new Map<string, CustomerState>();
  for (const e of purchases(customers * 3, customers, 19_000, 1, 'warm')) states.set(e.customerId, reduceInPlace(states.get(e.customerId), e, ctx).state);
  const measured = purchases(events, customers, 19_400, 2, 'hot');
  let emitted = 0;
  const start = process.hrtime.bigint();
  for (const e of measured) {
    const owned = states.get(e.customerId);
    const r = reduceInPlace(owned, e, ctx);
    if (owned === undefined) states.set(e.customerId, r.state);
    emitted += r.emits.length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { rate: events / seconds, emitted };
}
