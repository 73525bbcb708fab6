/**
 * PartitionStore: the Redis state of the Kafka partitions this process owns.
 * One partition's keys share a hash tag (keys.ts), so every operation below is a
 * single-slot command or script and works the same on standalone Redis and on
 * Redis Cluster.
 *
 * The exactly-once cycle of a partition p:
 *   1. `claim(p)` on assignment: bumps the fencing epoch, returns the next offset
 *      per source topic (seek there) and the watermark.
 *   2. per batch: `loadStates(p, ids)` (one MGET), run the reducer, then
 *      `commit(p, epoch, batch)`: states, next offsets, watermark, outbox, timers in
 *      one atomic script; a FencedError means another owner took over: stop.
 *   3. the relay: `readOutbox(p, n)` → produce → `ackOutbox(p, streamIds)`.
 *   4. the sweeper: `dueTimers(p, day, n)` → reducer's timer path → `commit`.
 *
 * Do not give the ioredis client a `keyPrefix`: customer keys travel in script
 * arguments, which ioredis does not prefix; the prefix belongs to KeySpace.
 */
import type { Cluster, Redis } from 'ioredis';
import type { CustomerState } from '../domain/state.js';
import { decodeState, encodeState } from './codec.js';
import { StateCodecError, StateError, wrapRedisError } from './errors.js';
import { KeySpace, OUTBOX_FIELDS, META_FIELDS, assertPartition, offsetField, topicOfOffsetField } from './keys.js';
import { runScript } from './scripts.js';

export type RedisClient = Redis | Cluster;

export interface PartitionClaim {
  readonly partition: number;
  /** The epoch every commit of this ownership must carry. */
  readonly epoch: number;
  /** Next offset to consume per source topic (decimal strings: Kafka offsets are int64). */
  readonly nextOffsets: ReadonlyMap<string, string>;
  /** The partition's event-time watermark (day index), null before the first commit that set one. */
  readonly watermarkDay: number | null;
}

/** A record for the relay to produce. */
export interface OutboxRecord {
  /** Deterministic record id (e.g. the outbound event_id); subscribers drop repeats by it. */
  readonly id: string;
  readonly topic: string;
  /** Kafka message key (the customer id for every clvstream topic). */
  readonly key: string;
  readonly value: string | Buffer;
}

/** An outbox entry as read back: the record plus the stream id to acknowledge it with. */
export interface OutboxEntry {
  readonly streamId: string;
  readonly id: string;
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer;
}

export interface CommitBatch {
  /**
   * New state per customer id; null deletes the customer. The timer set follows
   * each state: ZADD at `nextCheckDay`, or ZREM when it is null or the customer is deleted.
   */
  readonly states?: ReadonlyMap<string, CustomerState | null>;
  /** Per source topic, the offset after the last record of the batch; stored only if it moves forward. */
  readonly nextOffsets?: ReadonlyMap<string, string | number | bigint>;
  /** The partition's watermark day after this batch; stored only if it moves forward. */
  readonly watermarkDay?: number | null;
  /** Records to emit, appended to the outbox in order. */
  readonly outbox?: readonly OutboxRecord[];
}

export interface CommitResult {
  /**
   * False when the batch carries offsets and none of them moves forward: it was
   * committed before (e.g. a retry after a lost reply), and nothing was written.
   */
  readonly applied: boolean;
  /** Topics of the batch whose stored offset was already at or past the batch's (left unchanged). */
  readonly staleTopics: readonly string[];
}

export interface DueTimer {
  readonly customerId: string;
  readonly day: number;
}

export interface MemorySample {
  /** Customer keys measured. */
  readonly samples: number;
  /** Mean `MEMORY USAGE` per customer key (key, value and Redis overhead), bytes. */
  readonly avgMemoryBytes: number;
  /** Mean packed state length (STRLEN), bytes. */
  readonly avgValueBytes: number;
  /** Mean key name length, bytes. */
  readonly avgKeyBytes: number;
  /**
   * The partition's timer set (MEMORY USAGE, sampled) divided by its size: what
   * each scheduled customer adds on top of its key, bytes (0 when the set is empty).
   */
  readonly timerBytesPerCustomer: number;
}

/** MGET at most this many keys per call (a batch normally fits in one). */
const MGET_CHUNK = 10_000;

function canonicalOffset(topic: string, value: string | number | bigint): string {
  let n: bigint;
  try {
    if (typeof value === 'string' && !/^\d+$/.test(value)) throw new Error('not a decimal');
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error('not a safe integer');
    n = BigInt(value);
  } catch {
    throw new StateError('BAD_ARGUMENTS', `next offset of topic ${topic} is not a non-negative integer: ${String(value)}`);
  }
  if (n < 0n) throw new StateError('BAD_ARGUMENTS', `next offset of topic ${topic} is negative: ${n}`);
  return n.toString();
}

function pairs(flat: readonly unknown[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), String(flat[i + 1])]);
  return out;
}

export class PartitionStore {
  readonly redis: RedisClient;
  readonly keys: KeySpace;

  constructor(redis: RedisClient, keys: KeySpace = new KeySpace()) {
    this.redis = redis;
    this.keys = keys;
  }

  /** Takes ownership of partition p: a new epoch, and where to resume. */
  async claim(p: number): Promise<PartitionClaim> {
    assertPartition(p);
    const rest = await runScript(this.redis, 'claim', [this.keys.meta(p)], [], { partition: p });
    const epoch = Number(rest[0]);
    if (!Number.isSafeInteger(epoch) || epoch < 1) {
      throw new StateError('UNKNOWN_SCRIPT_REPLY', `claim on partition ${p}: bad epoch ${String(rest[0])}`);
    }
    const nextOffsets = new Map<string, string>();
    let watermarkDay: number | null = null;
    for (const [field, value] of pairs(rest.slice(1))) {
      const topic = topicOfOffsetField(field);
      if (topic !== undefined) nextOffsets.set(topic, value);
      else if (field === META_FIELDS.watermark) watermarkDay = Number(value);
    }
    return { partition: p, epoch, nextOffsets, watermarkDay };
  }

  /** The stored states of `customerIds` (one MGET per 10,000 ids); customers without state are absent. */
  async loadStates(p: number, customerIds: Iterable<string>): Promise<Map<string, CustomerState>> {
    assertPartition(p);
    const ids = [...new Set(customerIds)];
    const states = new Map<string, CustomerState>();
    for (let start = 0; start < ids.length; start += MGET_CHUNK) {
      const chunk = ids.slice(start, start + MGET_CHUNK);
      const keys = chunk.map((id) => this.keys.customer(p, id));
      let values: (Buffer | null)[];
      try {
        values = await this.redis.mgetBuffer(...keys);
      } catch (err) {
        throw wrapRedisError(err, `loading ${keys.length} states of partition ${p}`);
      }
      for (let i = 0; i < chunk.length; i++) {
        const value = values[i];
        const id = chunk[i] as string;
        if (value === null || value === undefined) continue;
        try {
          states.set(id, decodeState(value, id));
        } catch (err) {
          if (err instanceof StateCodecError) {
            throw new StateCodecError(err.code, `${keys[i] ?? id}: ${err.message}`, { cause: err });
          }
          throw err;
        }
      }
    }
    return states;
  }

  /**
   * Applies a batch atomically if `epoch` is still the partition's epoch; throws
   * FencedError otherwise (nothing written). Safe to retry with the same batch
   * after a connection error (see CommitResult.applied).
   */
  async commit(p: number, epoch: number, batch: CommitBatch): Promise<CommitResult> {
    assertPartition(p);
    if (!Number.isSafeInteger(epoch) || epoch < 1) throw new StateError('BAD_ARGUMENTS', `invalid epoch ${epoch}`);
    const watermark = batch.watermarkDay ?? null;
    if (watermark !== null && !Number.isSafeInteger(watermark)) {
      throw new StateError('BAD_ARGUMENTS', `watermark day is not an integer: ${watermark}`);
    }
    const args: (string | Buffer)[] = [String(epoch), watermark === null ? '' : String(watermark)];

    const offsets = batch.nextOffsets ?? new Map<string, string>();
    args.push(String(offsets.size));
    for (const [topic, offset] of offsets) args.push(offsetField(topic), canonicalOffset(topic, offset));

    const states = batch.states ?? new Map<string, CustomerState | null>();
    const timerSet: string[] = [];
    const timerDel: string[] = [];
    args.push(String(states.size));
    for (const [id, state] of states) {
      if (state !== null && state.customerId !== id) {
        throw new StateError('BAD_ARGUMENTS', `state of customer '${state.customerId}' filed under id '${id}'`);
      }
      args.push(this.keys.customer(p, id), state === null ? '' : encodeState(state));
      if (state === null || state.nextCheckDay === null) timerDel.push(id);
      else timerSet.push(id, String(state.nextCheckDay));
    }

    const outbox = batch.outbox ?? [];
    args.push(String(outbox.length));
    for (const r of outbox) args.push(r.id, r.topic, r.key, r.value);

    args.push(String(timerSet.length / 2), ...timerSet);
    args.push(String(timerDel.length), ...timerDel);

    const { meta, outbox: outboxKey, timers } = this.keys.partitionKeys(p);
    const rest = await runScript(this.redis, 'commit', [meta, outboxKey, timers], args, { partition: p, epoch });
    const staleTopics = rest.slice(1).map((f) => topicOfOffsetField(String(f)) ?? String(f));
    return { applied: Number(rest[0]) === 1, staleTopics };
  }

  /** Up to `limit` outbox entries, oldest first; after `afterStreamId` when given. */
  async readOutbox(p: number, limit: number, afterStreamId?: string): Promise<OutboxEntry[]> {
    assertPartition(p);
    const start = afterStreamId === undefined ? '-' : `(${afterStreamId}`;
    let raw: [Buffer, Buffer[]][];
    try {
      raw = await this.redis.xrangeBuffer(this.keys.outbox(p), start, '+', 'COUNT', limit);
    } catch (err) {
      throw wrapRedisError(err, `reading the outbox of partition ${p}`);
    }
    return raw.map(([streamId, fields]) => {
      const f = new Map<string, Buffer>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set((fields[i] as Buffer).toString('utf8'), fields[i + 1] as Buffer);
      const text = (name: string): string => {
        const v = f.get(name);
        if (v === undefined) throw new StateError('CODEC_CORRUPT', `outbox entry ${streamId.toString()} of partition ${p} lacks field '${name}'`);
        return v.toString('utf8');
      };
      return {
        streamId: streamId.toString('utf8'),
        id: text(OUTBOX_FIELDS.id),
        topic: text(OUTBOX_FIELDS.topic),
        key: text(OUTBOX_FIELDS.key),
        value: f.get(OUTBOX_FIELDS.value) ?? Buffer.alloc(0),
      };
    });
  }

  /** Removes delivered entries by stream id; idempotent. Returns how many were still there. */
  async ackOutbox(p: number, streamIds: readonly string[]): Promise<number> {
    assertPartition(p);
    if (streamIds.length === 0) return 0;
    const rest = await runScript(this.redis, 'outbox-ack', [this.keys.outbox(p)], streamIds, { partition: p });
    return Number(rest[0]);
  }

  /** Entries waiting in the outbox (for metrics). */
  async outboxLength(p: number): Promise<number> {
    assertPartition(p);
    try {
      return await this.redis.xlen(this.keys.outbox(p));
    } catch (err) {
      throw wrapRedisError(err, `XLEN outbox of partition ${p}`);
    }
  }

  /** Up to `limit` customers whose next check day is ≤ `day`, earliest first. */
  async dueTimers(p: number, day: number, limit: number): Promise<DueTimer[]> {
    assertPartition(p);
    if (!Number.isSafeInteger(day)) throw new StateError('BAD_ARGUMENTS', `day is not an integer: ${day}`);
    if (!Number.isSafeInteger(limit) || limit < 1) throw new StateError('BAD_ARGUMENTS', `limit must be a positive integer: ${limit}`);
    const rest = await runScript(this.redis, 'due-timers', [this.keys.timers(p)], [String(day), String(limit)], { partition: p });
    return pairs(rest).map(([customerId, d]) => ({ customerId, day: Number(d) }));
  }

  /**
   * Redis memory per customer, measured with MEMORY USAGE on `customerIds`, or on
   * up to `sampleSize` random customers of the timer set when no ids are given.
   */
  async bytesPerCustomer(p: number, customerIds?: readonly string[], sampleSize = 100): Promise<MemorySample> {
    assertPartition(p);
    try {
      const ids = customerIds ?? (await this.redis.zrandmember(this.keys.timers(p), sampleSize));
      const keys = ids.map((id) => this.keys.customer(p, id));
      const pipeline = this.redis.pipeline();
      pipeline.memory('USAGE', this.keys.timers(p));
      pipeline.zcard(this.keys.timers(p));
      for (const key of keys) {
        pipeline.memory('USAGE', key, 'SAMPLES', 0);
        pipeline.strlen(key);
      }
      const replies = (await pipeline.exec()) ?? [];
      const [zsetErr, zsetBytes] = replies.shift() ?? [null, null];
      const [zcardErr, zcard] = replies.shift() ?? [null, null];
      if (zsetErr) throw zsetErr;
      if (zcardErr) throw zcardErr;
      const timerBytesPerCustomer = Number(zcard) > 0 ? Math.round((Number(zsetBytes) / Number(zcard)) * 10) / 10 : 0;
      let memory = 0;
      let value = 0;
      let keyBytes = 0;
      let samples = 0;
      for (let i = 0; i < keys.length; i++) {
        const [memErr, mem] = replies[2 * i] ?? [null, null];
        const [lenErr, len] = replies[2 * i + 1] ?? [null, null];
        if (memErr) throw memErr;
        if (lenErr) throw lenErr;
        if (mem === null) continue; // no such key
        samples++;
        memory += Number(mem);
        value += Number(len);
        keyBytes += Buffer.byteLength(keys[i] as string);
      }
      const avg = (x: number): number => (samples === 0 ? 0 : Math.round((x / samples) * 10) / 10);
      return { samples, avgMemoryBytes: avg(memory), avgValueBytes: avg(value), avgKeyBytes: avg(keyBytes), timerBytesPerCustomer };
    } catch (err) {
      throw wrapRedisError(err, `measuring memory of partition ${p}`);
    }
  }
}
