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
 *   3. the relay: `readOutbox(p, n)` (XRANGE) → produce → `ackOutbox(p, refs)`;
 *      the outbox holds one entry per commit and topic, split at 500 records
 *      (outbox-codec.ts).
 *   4. the sweeper: `dueTimers(p, day, n)` → reducer's timer path → `commit`.
 *
 * Do not give the ioredis client a `keyPrefix`: customer keys travel in script
 * arguments, which ioredis does not prefix; the prefix belongs to KeySpace.
 */
import type { Cluster, Redis } from 'ioredis';
import type { CustomerState } from '../domain/state.js';
import { decodeState, encodeState } from './codec.js';
import { OffsetOverlapError, StateCodecError, StateError, wrapRedisError } from './errors.js';
import { KeySpace, META_FIELDS, OUTBOX_FIELDS, assertPartition, offsetField, topicOfOffsetField } from './keys.js';
import { packOutboxRecords, unpackOutboxRecords, type EmissionRecord, type PlainRecord, type UnpackedRecord } from './outbox-codec.js';
import { CommitOutcome } from './script-codes.js';
import { runScript } from './scripts.js';
import { splitByCountAndSize } from './split.js';

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
export interface OutboxRecord extends PlainRecord {
  readonly topic: string;
}

/** A segment-changed or churn-risk event for the relay to produce, stored compact and serialised by the relay (outbox-codec.ts). */
export interface OutboxEmission extends EmissionRecord {
  readonly topic: string;
}

export type OutboxItem = OutboxRecord | OutboxEmission;

/**
 * An outbox record as read back, with the stream id of the entry that holds it
 * (one entry holds a commit's records for one topic; acknowledging the entry
 * removes them all).
 */
export interface OutboxEntry extends UnpackedRecord {
  readonly streamId: string;
  readonly topic: string;
}

/** A stream entry as a read listed it: what `ackOutbox` takes to remove it. */
export interface OutboxEntryRef {
  readonly streamId: string;
  readonly topic: string;
  /** Records the entry holds. */
  readonly records: number;
}

/** What one `readOutbox` returns. */
export interface OutboxRead {
  /** Records in outbox order. */
  readonly entries: OutboxEntry[];
  /** The stream entries holding `entries`, in order. */
  readonly refs: OutboxEntryRef[];
  /** True when the read stopped at a limit and more entries were waiting. */
  readonly more: boolean;
}

export interface CommitBatch {
  /**
   * New state per customer id; null deletes the customer. The timer set follows
   * each state: ZADD at `nextCheckDay`, or ZREM when it is null or the customer is deleted.
   */
  readonly states?: ReadonlyMap<string, CustomerState | null>;
  /** Per source topic, the offset after the last record of the batch; stored only if it moves forward. */
  readonly nextOffsets?: ReadonlyMap<string, string | number | bigint>;
  /**
   * Per source topic of `nextOffsets`, the offset of the batch's first record.
   * With it the commit refuses a batch that repeats stored records (OffsetOverlapError),
   * not only one that is stored in full. A topic without one is checked as before.
   */
  readonly firstOffsets?: ReadonlyMap<string, string | number | bigint>;
  /** The partition's watermark day after this batch; stored only if it moves forward. */
  readonly watermarkDay?: number | null;
  /** Records to emit, appended to the outbox in order. */
  readonly outbox?: readonly OutboxItem[];
  /**
   * A re-score chunk (rescore-store.ts): the commit applies only while the
   * partition's re-score list is `version`'s and starts with `firstId`, and
   * then drops its first `count` ids, so the list advances with the states and
   * emissions the chunk produced, or not at all (CommitResult.applied false).
   */
  readonly rescore?: { readonly version: string; readonly firstId: string; readonly count: number };
}

export interface CommitResult {
  /**
   * False when the batch carries offsets and none of them moves forward: it was
   * committed before (e.g. a retry after a lost reply), and nothing was written.
   * (A batch stored only in part is refused with OffsetOverlapError.) Also
   * false for a re-score chunk whose list had moved on: nothing was written.
   */
  readonly applied: boolean;
  /** When not applied: the batch's topics (all stored already). */
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

/**
 * An outbox entry holds at most this many records, and records whose values
 * add up to at most OUTBOX_ENTRY_MAX_VALUE_UNITS (string length or bytes; at
 * least one record): a commit splits a topic's records over as many entries as
 * that takes. Capped entries are what let the relay read with a plain XRANGE
 * COUNT and still know how much it holds.
 */
export const OUTBOX_ENTRY_MAX_RECORDS = 500;
const OUTBOX_ENTRY_MAX_VALUE_UNITS = 512 * 1024;

/**
 * What an emission counts for against that cap: its JSON's length, generously
 * (about 500 characters; a customer id may be up to 200). Only the relay's reads
 * depend on the cap, and 500 emissions stay far below it either way.
 */
const EMISSION_VALUE_UNITS = 1024;

/** At most this many entries per read (with the cap above, a few MiB at the very most). */
const OUTBOX_READ_MAX_ENTRIES = 16;

/** A relay read returns no more entries than reach this many bytes of packed records (at least one entry). */
const OUTBOX_READ_MAX_BYTES = 4 * 1024 * 1024;

/** A topic's records of one commit, split into the entries the caps above allow. */
function outboxEntriesOf(records: readonly OutboxItem[]): OutboxItem[][] {
  return splitByCountAndSize(records, OUTBOX_ENTRY_MAX_RECORDS, OUTBOX_ENTRY_MAX_VALUE_UNITS, (r) => ('emission' in r ? EMISSION_VALUE_UNITS : r.value.length));
}

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

/** The fields of an outbox stream entry (OUTBOX_FIELDS), as commit-3.lua writes them. */
function outboxFields(fields: readonly Buffer[]): { topic: string; count: number; packed: Buffer | null } {
  let topic = '';
  let count = Number.NaN;
  let packed: Buffer | null = null;
  for (let f = 0; f + 1 < fields.length; f += 2) {
    const name = (fields[f] as Buffer).toString();
    const value = fields[f + 1] as Buffer;
    if (name === OUTBOX_FIELDS.topic) topic = value.toString();
    else if (name === OUTBOX_FIELDS.count) count = Number(value.toString());
    else if (name === OUTBOX_FIELDS.records) packed = value;
  }
  return { topic, count, packed };
}

export class PartitionStore {
  readonly redis: RedisClient;
  readonly keys: KeySpace;
  /** Records per entry in each partition's last outbox read: sizes the next read's COUNT. */
  private readonly outboxRecordsPerEntry = new Map<number, number>();

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
   * Sets customer `customerId`'s stored value aside under its quarantine key
   * (keys.ts) and drops its due check, in one transaction: the partition's next
   * batch then starts the customer afresh, as if it had never been seen, and
   * the bytes stay there for a person to look at. A state that cannot be
   * decoded holds its partition until this is done (docs/operations.md).
   * `occupied`: an earlier quarantined value is in the way (nothing moved).
   */
  async quarantine(p: number, customerId: string): Promise<{ outcome: 'moved' | 'absent' | 'occupied'; key: string; quarantineKey: string; bytes: number }> {
    const key = this.keys.customer(p, customerId);
    const quarantineKey = this.keys.quarantine(p, customerId);
    try {
      const bytes = await this.redis.strlen(key);
      if (bytes === 0 && (await this.redis.exists(key)) === 0) return { outcome: 'absent', key, quarantineKey, bytes };
      if ((await this.redis.exists(quarantineKey)) === 1) return { outcome: 'occupied', key, quarantineKey, bytes };
      const replies = await this.redis.multi().renamenx(key, quarantineKey).zrem(this.keys.timers(p), customerId).exec();
      const renamed = replies?.[0]?.[1];
      return { outcome: renamed === 1 ? 'moved' : 'occupied', key, quarantineKey, bytes };
    } catch (err) {
      throw wrapRedisError(err, `quarantining ${key}`);
    }
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
    for (const [topic, offset] of offsets) {
      const first = batch.firstOffsets?.get(topic);
      args.push(offsetField(topic), first === undefined ? '' : canonicalOffset(topic, first), canonicalOffset(topic, offset));
    }

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

    const byTopic = new Map<string, OutboxItem[]>();
    for (const r of batch.outbox ?? []) {
      const list = byTopic.get(r.topic);
      if (list === undefined) byTopic.set(r.topic, [r]);
      else list.push(r);
    }
    const entries: [string, OutboxItem[]][] = [];
    for (const [topic, records] of byTopic) for (const entry of outboxEntriesOf(records)) entries.push([topic, entry]);
    args.push(String(entries.length));
    for (const [topic, records] of entries) args.push(topic, String(records.length), packOutboxRecords(records));

    args.push(String(timerSet.length / 2), ...timerSet);
    args.push(String(timerDel.length), ...timerDel);
    if (batch.rescore !== undefined) {
      const { version, firstId, count } = batch.rescore;
      if (!Number.isSafeInteger(count) || count < 1) throw new StateError('BAD_ARGUMENTS', `re-score chunk size must be a positive integer: ${count}`);
      args.push(this.keys.rescore(p), version, firstId, String(count));
    }

    const { meta, outbox: outboxKey, timers } = this.keys.partitionKeys(p);
    const rest = await runScript(this.redis, 'commit', [meta, outboxKey, timers], args, { partition: p, epoch });
    const outcome = Number(rest[0]) as CommitOutcome;
    const topicOf = (field: unknown): string => topicOfOffsetField(String(field)) ?? String(field);
    switch (outcome) {
      case CommitOutcome.APPLIED:
        return { applied: true, staleTopics: [] };
      case CommitOutcome.ALREADY_COMMITTED:
        return { applied: false, staleTopics: rest.slice(1).map(topicOf) };
      case CommitOutcome.RESCORE_MOVED:
        return { applied: false, staleTopics: [] };
      case CommitOutcome.OVERLAP: {
        const stored = new Map<string, bigint>();
        for (let i = 1; i + 1 < rest.length; i += 2) stored.set(topicOf(rest[i]), BigInt(String(rest[i + 1])));
        throw new OffsetOverlapError(p, stored);
      }
      default:
        throw new StateError('UNKNOWN_SCRIPT_REPLY', `script commit: unknown outcome ${JSON.stringify(rest[0])}`);
    }
  }

  /**
   * The oldest outbox records: whole entries until at least `maxRecords` records
   * (or 4 MiB of them) are read, so a read returns at least one entry when any is
   * waiting and may exceed `maxRecords` by the rest of the last entry. After
   * `afterStreamId` when given.
   *
   * A plain XRANGE, sized from the records per entry the partition's last read
   * found, so the packed records are copied once, out of Redis; a script would
   * copy them into Lua first, and Lua hashes every byte of every string it makes.
   */
  async readOutbox(p: number, maxRecords: number, afterStreamId?: string): Promise<OutboxRead> {
    assertPartition(p);
    if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) throw new StateError('BAD_ARGUMENTS', `maxRecords must be a positive integer: ${maxRecords}`);
    const start = afterStreamId === undefined ? '-' : `(${afterStreamId}`;
    const perEntry = this.outboxRecordsPerEntry.get(p) ?? 1;
    const count = Math.min(OUTBOX_READ_MAX_ENTRIES, Math.max(1, Math.ceil(maxRecords / perEntry)));
    let page: [Buffer, Buffer[]][];
    try {
      page = await this.redis.xrangeBuffer(this.keys.outbox(p), start, '+', 'COUNT', count);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('WRONGTYPE')) throw new StateError('WRONG_TYPE', `the outbox key of partition ${p} is not a stream`, { cause: err });
      throw wrapRedisError(err, `reading the outbox of partition ${p}`);
    }
    const entries: OutboxEntry[] = [];
    const refs: OutboxEntryRef[] = [];
    let bytes = 0;
    let more = page.length === count;
    for (const [id, fields] of page) {
      if (entries.length >= maxRecords || bytes >= OUTBOX_READ_MAX_BYTES) {
        more = true;
        break;
      }
      const streamId = id.toString();
      const where = `outbox entry ${streamId} of partition ${p}`;
      const { topic, count: recordCount, packed } = outboxFields(fields);
      if (topic === '' || packed === null) throw new StateCodecError('CODEC_CORRUPT', `${where} lacks its topic or records`);
      const records = unpackOutboxRecords(packed, where);
      if (records.length !== recordCount) throw new StateCodecError('CODEC_CORRUPT', `${where}: holds ${records.length} records, its count says ${recordCount}`);
      refs.push({ streamId, topic, records: recordCount });
      // Fields named, not spread: V8's object spread cost more here than the decoding.
      for (const r of records) entries.push({ id: r.id, key: r.key, value: r.value, eventTimeMs: r.eventTimeMs, streamId, topic });
      bytes += packed.length;
    }
    if (refs.length > 0) this.outboxRecordsPerEntry.set(p, Math.max(1, entries.length / refs.length));
    return { entries, refs, more };
  }

  /** Removes delivered entries (as a read listed them); idempotent. Returns how many records they held (0 for entries already gone). */
  async ackOutbox(p: number, refs: readonly Pick<OutboxEntryRef, 'streamId' | 'records'>[]): Promise<number> {
    assertPartition(p);
    if (refs.length === 0) return 0;
    const args: string[] = [];
    const seen = new Set<string>();
    for (const { streamId, records } of refs) {
      if (seen.has(streamId)) continue;
      seen.add(streamId);
      args.push(streamId, String(records));
    }
    const rest = await runScript(this.redis, 'outbox-ack', [this.keys.outbox(p), this.keys.meta(p)], args, { partition: p });
    return Number(rest[1]);
  }

  /** Records waiting in the outbox (for metrics): the count commits and acks keep in the meta hash. */
  async outboxLength(p: number): Promise<number> {
    assertPartition(p);
    try {
      const [entries, records] = await Promise.all([this.redis.xlen(this.keys.outbox(p)), this.redis.hget(this.keys.meta(p), META_FIELDS.outboxRecords)]);
      // An empty stream has no records whatever the count says (a stream trimmed by hand).
      return entries === 0 ? 0 : Math.max(entries, Number(records ?? 0));
    } catch (err) {
      throw wrapRedisError(err, `measuring the outbox of partition ${p}`);
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
