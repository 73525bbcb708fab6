/**
 * The outbox's packed form: a commit appends one stream entry per destination
 * topic, holding that commit's records for the topic in one binary field (up
 * to 500 records per entry, store.ts), instead of one four-field entry per record. Redis then runs one XADD per
 * topic and commit rather than one per emission, the commit script gets three
 * arguments per topic rather than four per record, and the relay reads and
 * acknowledges a few large entries. Records of one topic keep their order inside
 * the entry, entries keep commit order in the stream.
 *
 *   version byte (1)
 *   uvarint  record count
 *   per record:
 *     uvarint length + UTF-8   id      deterministic record id
 *     uvarint length + UTF-8   key     Kafka message key
 *     uvarint length + bytes   value   Kafka message value
 *     byte                     flags   bit 0: an event time follows
 *     [zigzag varint           event time, epoch milliseconds]
 */
import { Reader, Writer } from './binary.js';
import { StateCodecError } from './errors.js';

export const OUTBOX_FORMAT_VERSION = 1;

const HAS_EVENT_TIME = 1;

/** One record of a packed outbox entry (the topic is the entry's). */
export interface PackedRecord {
  readonly id: string;
  readonly key: string;
  readonly value: string | Buffer;
  /** Event time of what caused the record (epoch ms), for the end-to-end delay metric; null when none. */
  readonly eventTimeMs?: number | null;
}

export interface UnpackedRecord {
  readonly id: string;
  readonly key: string;
  /** A view into the entry's buffer. */
  readonly value: Buffer;
  readonly eventTimeMs: number | null;
}

export function packOutboxRecords(records: readonly PackedRecord[]): Buffer {
  const w = new Writer();
  w.byte(OUTBOX_FORMAT_VERSION);
  w.uvarint(records.length);
  for (const r of records) {
    w.string(r.id);
    w.string(r.key);
    if (typeof r.value === 'string') w.string(r.value);
    else w.bytes(r.value);
    const at = r.eventTimeMs ?? null;
    if (at !== null && Number.isSafeInteger(at)) {
      w.byte(HAS_EVENT_TIME);
      w.svarint(at);
    } else {
      w.byte(0);
    }
  }
  return w.finish();
}

/** Decodes a packed entry; `where` names it in the error (CODEC_CORRUPT) when the bytes do not parse. */
export function unpackOutboxRecords(packed: Buffer, where: string): UnpackedRecord[] {
  try {
    const r = new Reader(packed);
    const version = r.byte();
    if (version !== OUTBOX_FORMAT_VERSION) throw new Error(`unknown format version ${version}`);
    // Each record takes at least 4 bytes (three empty lengths and the flags).
    const count = r.length(4, 'record');
    const out: UnpackedRecord[] = new Array<UnpackedRecord>(count);
    for (let i = 0; i < count; i++) {
      const id = r.string();
      const key = r.string();
      const value = r.bytes();
      const flags = r.byte();
      if ((flags & ~HAS_EVENT_TIME) !== 0) throw new Error(`unknown flags ${flags} in record ${i}`);
      const eventTimeMs = (flags & HAS_EVENT_TIME) !== 0 ? r.svarint() : null;
      out[i] = { id, key, value, eventTimeMs };
    }
    if (r.remaining !== 0) throw new Error(`${r.remaining} bytes after the last record`);
    return out;
  } catch (err) {
    const detail = (err as Error).message.replace(/^corrupt customer state: /, '');
    throw new StateCodecError('CODEC_CORRUPT', `${where}: corrupt outbox entry: ${detail}`, { cause: err });
  }
}
