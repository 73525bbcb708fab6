export { CODEC_VERSION, CODE_TABLES, decodeState, encodeState, storedVersion } from './codec.js';
export { StateAccessError, checkStateAccess, isAccessRefusal } from './access-check.js';
export { connectState, createRedisClient, openState, type ConnectOptions, type RedisSettings, type StateConnection } from './connect.js';
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
export {
  DEFAULT_KEY_PREFIX,
  KeySpace,
  META_FIELDS,
  MODEL_VERSION_PATTERN,
  OUTBOX_FIELDS,
  assertModelVersion,
  offsetField,
  topicOfOffsetField,
} from './keys.js';
export { OUTBOX_FORMAT_VERSION, packOutboxRecords, unpackOutboxRecords, type EmissionRecord, type PackedRecord, type PlainRecord, type UnpackedRecord } from './outbox-codec.js';
export { MODEL_FIELDS, MODEL_FORMAT, ModelStore, type ModelDiagnostics, type PublishedModel } from './model-store.js';
export { scanCustomerStates, type ScanOptions, type ScanSummary } from './state-scan.js';
export { ScriptCode } from './script-codes.js';
export { SCRIPT_NAMES, SCRIPT_VERSION, commandName, registerScripts, runScript, scriptSources, type ScriptName } from './scripts.js';
export {
  PartitionStore,
  type CommitBatch,
  type CommitResult,
  type DueTimer,
  type MemorySample,
  type OutboxEntry,
  type OutboxEntryRef,
  type OutboxRead,
  type OutboxEmission,
  type OutboxItem,
  type OutboxRecord,
  type PartitionClaim,
  type RedisClient,
} from './store.js';
