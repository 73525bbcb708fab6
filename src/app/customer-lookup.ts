/**
 * One customer's current view from the Redis state: what `GET /customers/:id`
 * and `clvstream inspect` show. The customer lives in the partition its id
 * hashes to (the producers' murmur2 partitioner), so one MGET finds it.
 *
 * "Current" is the partition's event-time watermark (or the customer's own
 * latest day, if later): the time the service evaluates its checks at. A wall
 * clock would call every customer of a back-filled history "lost"; the watermark
 * shows what the service's own emissions say.
 */
import type { DomainParameters } from '../domain/parameters.js';
import type { ModelSnapshot } from '../domain/model-snapshot.js';
import { evaluate, type Profile } from '../domain/profile.js';
import type { CustomerState } from '../domain/state.js';
import { partitionOfKey } from '../kafka/key-partition.js';
import { wrapRedisError } from '../state/errors.js';
import { META_FIELDS } from '../state/keys.js';
import type { PartitionStore } from '../state/store.js';
import { customerView, type CustomerView } from './customer-view.js';

export interface CustomerLookupContext {
  readonly store: PartitionStore;
  /** Partitions of the co-partitioned input topics. */
  readonly partitionCount: number;
  readonly model: ModelSnapshot;
  readonly parameters: DomainParameters;
}

export interface CustomerLookup {
  readonly customerId: string;
  readonly partition: number;
  /** The day the view was evaluated at. */
  readonly day: number;
  readonly view: CustomerView;
  /** The stored state and what was derived from it at `day` (for the details the view leaves out). */
  readonly state: CustomerState;
  readonly profile: Profile;
}

/** The customer's view, or null when the partition holds no state for the id. */
export async function lookupCustomer(
  ctx: CustomerLookupContext,
  customerId: string,
  options: { /** Evaluate at this day instead of the watermark (not before the customer's latest day). */ readonly asOfDay?: number } = {},
): Promise<CustomerLookup | null> {
  if (!Number.isInteger(ctx.partitionCount) || ctx.partitionCount < 1) {
    throw new RangeError(`partition count must be a positive integer, got ${String(ctx.partitionCount)}`);
  }
  const partition = partitionOfKey(customerId, ctx.partitionCount);
  const [states, watermark] = await Promise.all([
    ctx.store.loadStates(partition, [customerId]),
    options.asOfDay === undefined ? watermarkDay(ctx.store, partition) : Promise.resolve(options.asOfDay),
  ]);
  const state = states.get(customerId);
  if (state === undefined) return null;
  // Time never moves backwards: never before the customer's own latest day.
  const day = Math.max(state.asOfDay, watermark ?? state.asOfDay);
  const profile = evaluate(state, day, ctx.model, ctx.parameters);
  return { customerId, partition, day, view: customerView(state, profile, ctx.model, ctx.parameters), state, profile };
}

/** The partition's stored watermark day (read-only: claiming would bump the fencing epoch). */
export async function watermarkDay(store: PartitionStore, partition: number): Promise<number | null> {
  let value: string | null;
  try {
    value = await store.redis.hget(store.keys.meta(partition), META_FIELDS.watermark);
  } catch (err) {
    throw wrapRedisError(err, `reading the watermark of partition ${partition}`);
  }
  if (value === null) return null;
  const day = Number(value);
  return Number.isSafeInteger(day) ? day : null;
}
