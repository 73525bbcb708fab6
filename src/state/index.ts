export { CODEC_VERSION, CODE_TABLES, decodeState, encodeState, storedVersion } from './codec.js';
export { connectState, createRedisClient, type ConnectOptions, type RedisSettings, type StateConnection } from './connect.js';
export {
  FencedError,
  StateCodecError,
  StateError,
  scriptError,
  wrapRedisError,
  type CodecErrorCode,
  type ScriptContext,
  type StateErrorCode,
} from './errors.js';
export { DEFAULT_KEY_PREFIX, KeySpace, META_FIELDS, OUTBOX_FIELDS, offsetField, topicOfOffsetField } from './keys.js';
export { ScriptCode } from './script-codes.js';
export { SCRIPT_NAMES, SCRIPT_VERSION, commandName, registerScripts, runScript, scriptSources, type ScriptName } from './scripts.js';
export {
  PartitionStore,
  type CommitBatch,
  type CommitResult,
  type DueTimer,
  type MemorySample,
  type OutboxEntry,
  type OutboxRecord,
  type PartitionClaim,
  type RedisClient,
} from './store.js';
