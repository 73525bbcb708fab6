/**
 * The one place that builds Redis key names (and the field names of the
 * partition's meta hash). No other module writes a key string.
 *
 * Layout (prefix `clv`, partition 7; see docs/state.md):
 *
 *   clv:{p7}:c:<customerId>   string  packed CustomerState (codec.ts)
 *   clv:{p7}:meta             hash    epoch, off:<topic> (next offset), wm (watermark day),
 *                                     ob (records waiting in the outbox)
 *   clv:{p7}:outbox           stream  emitted records waiting for the relay: one entry
 *                                     per commit and topic (outbox-codec.ts)
 *   clv:{p7}:timers           zset    member customerId, score next-check day
 *   clv:{p7}:rescore          list    customers still to re-score with the model version
 *                                     in meta field rsv (rescore.ts); staged whole, then
 *                                     trimmed by the commit that re-scores its head
 *   clv:{model}:current       string  name of the current model version
 *   clv:{model}:v:<version>   hash    one published model version (model-store.ts)
 *   clv:{model}:versions      zset    member version, score fitted_at (epoch ms)
 *   clv:{access-check}:*      probe keys of the start-up access check, deleted at once
 *
 * Every key of partition p carries the hash tag `{p<p>}`: Redis Cluster hashes
 * only the text between the first `{` and the next `}`, so all of a partition's
 * keys live in one slot and one Lua script may touch them all atomically. The
 * model keys share the tag `{model}` for the same reason (one publish script).
 * The prefix therefore must not contain `{` or `}`; customer ids and version
 * names may (they come after the tag, which is already closed).
 */

export const DEFAULT_KEY_PREFIX = 'clv';

/** Field names of the meta hash. Also written literally in lua/*.lua. */
export const META_FIELDS = {
  epoch: 'epoch',
  watermark: 'wm',
  offsetPrefix: 'off:',
  /** Records in the outbox (the stream counts entries, each holding many records). */
  outboxRecords: 'ob',
  /** The model version the re-score list was staged for; absent while none is complete. */
  rescoreVersion: 'rsv',
  /** Customers the re-score list held when it was staged (progress = this − its length). */
  rescoreTotal: 'rst',
} as const;

/** Field names of an outbox stream entry. Also written literally in lua/*.lua. */
export const OUTBOX_FIELDS = {
  topic: 't',
  /** Number of records packed in the entry (decimal). */
  count: 'n',
  /** The records, packed (outbox-codec.ts). */
  records: 'r',
} as const;

/** Highest partition number accepted (Kafka partitions are int32; this is generous). */
export const MAX_PARTITION = 1_000_000;

export function assertPartition(p: number): void {
  if (!Number.isInteger(p) || p < 0 || p > MAX_PARTITION) {
    throw new RangeError(`invalid partition ${String(p)}: an integer between 0 and ${MAX_PARTITION}`);
  }
}

/** Meta-hash field holding the next offset to consume from `topic`. */
export function offsetField(topic: string): string {
  if (topic.length === 0) throw new RangeError('empty topic name');
  return `${META_FIELDS.offsetPrefix}${topic}`;
}

/** The topic of an offset field, or undefined if `field` is not one. */
export function topicOfOffsetField(field: string): string | undefined {
  return field.startsWith(META_FIELDS.offsetPrefix) && field.length > META_FIELDS.offsetPrefix.length
    ? field.slice(META_FIELDS.offsetPrefix.length)
    : undefined;
}

/** Escapes Redis glob metacharacters so `s` matches itself in SCAN MATCH. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export class KeySpace {
  /** The prefix without a trailing ':' (a test prefix like `clvtest:x:y:` is accepted). */
  readonly prefix: string;

  constructor(prefix: string = DEFAULT_KEY_PREFIX) {
    const p = prefix.endsWith(':') ? prefix.slice(0, -1) : prefix;
    if (p.length === 0 || p.length > 200 || /[{}\s]/.test(p)) {
      throw new RangeError(`invalid Redis key prefix '${prefix}': 1–200 characters, no '{', '}' or whitespace`);
    }
    this.prefix = p;
  }

  /** The hash tag shared by every key of partition p, e.g. `{p7}`. */
  tag(p: number): string {
    assertPartition(p);
    return `{p${p}}`;
  }

  private base(p: number): string {
    return `${this.prefix}:${this.tag(p)}:`;
  }

  customer(p: number, customerId: string): string {
    if (customerId.length === 0) throw new RangeError('empty customer id');
    return `${this.base(p)}c:${customerId}`;
  }

  /** SCAN MATCH pattern of every customer key of partition p. */
  customerPattern(p: number): string {
    return `${globEscape(this.base(p))}c:*`;
  }

  /** The customer id of a key built by `customer(p, id)`, else undefined. */
  customerIdOf(p: number, key: string): string | undefined {
    const head = `${this.base(p)}c:`;
    return key.startsWith(head) && key.length > head.length ? key.slice(head.length) : undefined;
  }

  /**
   * Where `clvstream state quarantine` sets aside a customer's stored value that
   * cannot be decoded: same partition (hash tag), outside the `c:` pattern, so
   * no scan, load or report reads it as a customer.
   */
  quarantine(p: number, customerId: string): string {
    if (customerId.length === 0) throw new RangeError('empty customer id');
    return `${this.base(p)}q:${customerId}`;
  }

  meta(p: number): string {
    return `${this.base(p)}meta`;
  }

  outbox(p: number): string {
    return `${this.base(p)}outbox`;
  }

  timers(p: number): string {
    return `${this.base(p)}timers`;
  }

  /** Customers of partition p still to re-score after a model change (a list). */
  rescore(p: number): string {
    return `${this.base(p)}rescore`;
  }

  /** Every fixed (non-customer) key of partition p. */
  partitionKeys(p: number): { meta: string; outbox: string; timers: string } {
    return { meta: this.meta(p), outbox: this.outbox(p), timers: this.timers(p) };
  }

  /** SCAN MATCH pattern of every customer key of every partition (parse hits with `parseCustomerKey`). */
  allCustomersPattern(): string {
    return `${globEscape(this.prefix)}:{p*}:c:*`;
  }

  /** Partition and customer id of a customer key of any partition, else undefined. */
  parseCustomerKey(key: string): { partition: number; customerId: string } | undefined {
    const head = `${this.prefix}:{p`;
    if (!key.startsWith(head)) return undefined;
    const close = key.indexOf('}', head.length);
    const digits = key.slice(head.length, close);
    if (close < 0 || !/^(0|[1-9]\d{0,6})$/.test(digits) || !key.startsWith(':c:', close + 1)) return undefined;
    const partition = Number(digits);
    const customerId = key.slice(close + 4);
    if (partition > MAX_PARTITION || customerId.length === 0) return undefined;
    return { partition, customerId };
  }

  /** SCAN MATCH pattern of every partition's meta hash (parse hits with `parseMetaKey`). */
  allMetaPattern(): string {
    return `${globEscape(this.prefix)}:{p*}:meta`;
  }

  /** The partition of a meta key built by `meta(p)`, else undefined. */
  parseMetaKey(key: string): number | undefined {
    const head = `${this.prefix}:{p`;
    if (!key.startsWith(head) || !key.endsWith('}:meta')) return undefined;
    const digits = key.slice(head.length, key.length - '}:meta'.length);
    if (!/^(0|[1-9]\d{0,6})$/.test(digits)) return undefined;
    const partition = Number(digits);
    return partition > MAX_PARTITION ? undefined : partition;
  }

  /** The hash tag shared by every model key: one slot, so a publish is one atomic script on a cluster too. */
  modelTag(): string {
    return '{model}';
  }

  /** The name of the current model version (a string key). */
  modelCurrent(): string {
    return `${this.prefix}:${this.modelTag()}:current`;
  }

  /** One published model version (a hash). */
  modelVersion(version: string): string {
    assertModelVersion(version);
    return `${this.prefix}:${this.modelTag()}:v:${version}`;
  }

  /** Every published version (zset, score = fitted_at in epoch ms). */
  modelVersions(): string {
    return `${this.prefix}:${this.modelTag()}:versions`;
  }

  /**
   * Keys of the start-up access check (access-check.ts): under the prefix, so
   * the ACL's key pattern covers them, with one hash tag of their own (one
   * cluster slot), outside every pattern a scan or report reads.
   */
  accessProbe(): { string: string; renamed: string; hash: string; sortedSet: string; stream: string; list: string } {
    const base = `${this.prefix}:{access-check}:`;
    return { string: `${base}s`, renamed: `${base}r`, hash: `${base}h`, sortedSet: `${base}z`, stream: `${base}x`, list: `${base}l` };
  }

  /** Every model key but the versions' hashes. */
  modelKeys(): { current: string; versions: string } {
    return { current: this.modelCurrent(), versions: this.modelVersions() };
  }
}

/** A model version name: 1–64 of A–Z a–z 0–9 . _ : - (it travels in every event's `model_version`). */
export const MODEL_VERSION_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

export function assertModelVersion(version: string): void {
  if (!MODEL_VERSION_PATTERN.test(version)) {
    throw new RangeError(`invalid model version '${version}': 1–64 of A–Z a–z 0–9 . _ : -`);
  }
}
