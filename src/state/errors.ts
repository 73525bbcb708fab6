/**
 * Typed errors of the state layer. Every error carries a `code` (a literal union,
 * so callers switch on it exhaustively), a `retriable` flag and, where one exists,
 * the underlying `cause`.
 *
 * - `FENCED` is not retriable: another owner claimed the partition; the caller
 *   must drop the batch and stop processing the partition.
 * - `REDIS_UNAVAILABLE` (connection trouble) is retriable: the commit is atomic,
 *   so retrying the same batch with the same epoch is safe.
 * - Codec and argument errors are programmer or data errors: never retried.
 */
import { ScriptCode } from './script-codes.js';

export type StateErrorCode =
  | 'FENCED'
  | 'NOT_CLAIMED'
  | 'BAD_ARGUMENTS'
  | 'WRONG_TYPE'
  | 'OFFSET_OVERLAP'
  | 'UNKNOWN_SCRIPT_REPLY'
  | 'REDIS_ERROR'
  | 'REDIS_UNAVAILABLE'
  | 'CODEC_UNKNOWN_VERSION'
  | 'CODEC_CORRUPT'
  | 'CODEC_INVALID_STATE';

export class StateError extends Error {
  override readonly name: string = 'StateError';
  readonly code: StateErrorCode;
  readonly retriable: boolean;

  constructor(code: StateErrorCode, message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** The partition's fencing epoch moved on: this process no longer owns it. */
export class FencedError extends StateError {
  override readonly name = 'FencedError';
  readonly partition: number;
  readonly callerEpoch: number;
  /** The epoch stored in Redis (null if the partition was never claimed). */
  readonly currentEpoch: number | null;

  constructor(partition: number, callerEpoch: number, currentEpoch: number | null) {
    super(
      'FENCED',
      `partition ${partition} is fenced: commit with epoch ${callerEpoch}, current epoch ${currentEpoch ?? 'none'}`,
    );
    this.partition = partition;
    this.callerEpoch = callerEpoch;
    this.currentEpoch = currentEpoch;
  }
}

/**
 * A commit refused because part of its batch is stored already: some topic's
 * stored next offset is past the batch's first record of it (while the batch
 * is not wholly stored, which is a harmless retry). Applying it would count
 * those records twice. Nothing was written; the caller drops the records below
 * `storedNext` and commits the rest.
 */
export class OffsetOverlapError extends StateError {
  override readonly name = 'OffsetOverlapError';
  readonly partition: number;
  /** Per topic of the batch that is stored (in part or in full): its stored next offset. */
  readonly storedNext: ReadonlyMap<string, bigint>;

  constructor(partition: number, storedNext: ReadonlyMap<string, bigint>) {
    super(
      'OFFSET_OVERLAP',
      `partition ${partition}: the batch overlaps what is stored (${[...storedNext].map(([t, o]) => `${t} at ${o}`).join(', ')}); nothing was written`,
    );
    this.partition = partition;
    this.storedNext = storedNext;
  }
}

export type CodecErrorCode = Extract<StateErrorCode, `CODEC_${string}`>;

/** A stored customer state that cannot be decoded, or a state that cannot be encoded. */
export class StateCodecError extends StateError {
  override readonly name = 'StateCodecError';
  declare readonly code: CodecErrorCode;

  constructor(code: CodecErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

export interface ScriptContext {
  readonly script: string;
  readonly partition: number;
  readonly epoch?: number;
  /** What the script works on when it is not a partition (e.g. "the model keys"); replaces "partition n" in messages. */
  readonly target?: string;
}

/**
 * Maps a script's non-OK reply code to a typed error. `detail` is the second
 * element of the reply (e.g. the current epoch for FENCED), when there is one.
 */
export function scriptError(code: number, detail: unknown, ctx: ScriptContext): StateError {
  const where = `${ctx.script} on ${ctx.target ?? `partition ${ctx.partition}`}`;
  switch (code as ScriptCode) {
    case ScriptCode.OK:
      return new StateError('UNKNOWN_SCRIPT_REPLY', `${where}: OK reply treated as an error (bug)`);
    case ScriptCode.FENCED: {
      const current = detail === undefined || detail === null || detail === false ? null : Number(detail);
      return new FencedError(ctx.partition, ctx.epoch ?? Number.NaN, Number.isFinite(current) ? current : null);
    }
    case ScriptCode.NOT_CLAIMED:
      return new StateError('NOT_CLAIMED', `${where}: the partition was never claimed (no epoch stored)`);
    case ScriptCode.BAD_ARGUMENTS:
      return new StateError('BAD_ARGUMENTS', `${where}: malformed script arguments: ${String(detail)}`);
    case ScriptCode.WRONG_TYPE:
      return new StateError('WRONG_TYPE', `${where}: key holds the wrong Redis type: ${String(detail)}`);
    default:
      return new StateError('UNKNOWN_SCRIPT_REPLY', `${where}: unknown reply code ${code}`);
  }
}

/** Connection-level failures worth retrying (the operation is atomic and idempotent under the epoch). */
const TRANSIENT = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|Connection is closed|Stream isn't writeable|CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|Too many Cluster redirections|max retries per request|Failed to refresh slots cache/i;

/** Wraps an error thrown by ioredis (StateErrors pass through unchanged). */
export function wrapRedisError(err: unknown, what: string): StateError {
  if (err instanceof StateError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (TRANSIENT.test(message)) {
    return new StateError('REDIS_UNAVAILABLE', `${what}: ${message}`, { cause: err, retriable: true });
  }
  return new StateError('REDIS_ERROR', `${what}: ${message}`, { cause: err });
}
