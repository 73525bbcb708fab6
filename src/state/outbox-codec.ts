/**
 * The outbox's packed form: a commit appends one stream entry per destination
 * topic, holding that commit's records for the topic in one binary field (up
 * to 500 records per entry, store.ts), instead of one four-field entry per record. Redis then runs one XADD per
 * topic and commit rather than one per emission, the commit script gets three
 * arguments per topic rather than four per record, and the relay reads and
 * acknowledges a few large entries. Records of one topic keep their order inside
 * the entry, entries keep commit order in the stream.
 *
 *   version byte (1; 2 when the entry carries emissions)
 *   uvarint  record count
 *   per record:
 *     [byte                    kind    version 2 only: 0 plain, 1 emission]
 *     plain:
 *     uvarint length + UTF-8   id      deterministic record id
 *     uvarint length + UTF-8   key     Kafka message key
 *     uvarint length + bytes   value   Kafka message value
 *     byte                     flags   bit 0: an event time follows
 *     [zigzag varint           event time, epoch milliseconds]
 *     emission (emission-codec.ts): id, key, value and event time all come
 *     from its compact form
 *
 * A version-1 entry is what every earlier release wrote, and still reads; an
 * earlier release cannot read a version-2 entry, so a downgrade must wait for
 * the outbox to drain (`clvstream_outbox_depth` at 0).
 */
import type { OutboundEvent } from '../contracts/outbound.js';
import { Reader, Writer } from './binary.js';
import { readEmission, writeEmission } from './emission-codec.js';
import { StateCodecError } from './errors.js';

export const OUTBOX_FORMAT_VERSION = 2;
const PLAIN_FORMAT_VERSION = 1;

const HAS_EVENT_TIME = 1;
const KIND_PLAIN = 0;
const KIND_EMISSION = 1;

/**
 * One record of a packed outbox entry (the topic is the entry's): a value as
 * it goes to Kafka, or a segment-changed / churn-risk event whose JSON the
 * reader makes (id = its event_id, key = its customer_id, event time = its occurred_at).
 */
export type PackedRecord = PlainRecord | EmissionRecord;

export interface PlainRecord {
  readonly id: string;
  readonly key: string;
  readonly value: string | Buffer;
  /** Event time of what caused the record (epoch ms), for the end-to-end delay metric; null when none. */
  readonly eventTimeMs?: number | null;
}

export interface EmissionRecord {
  readonly emission: OutboundEvent;
}

export interface UnpackedRecord {
  readonly id: string;
  readonly key: string;
  /** A view into the entry's buffer, or an emission's JSON. */
  readonly value: Buffer;
  readonly eventTimeMs: number | null;
}

export function packOutboxRecords(records: readonly PackedRecord[]): Buffer {
  const w = new Writer();
  const kinds = records.some((r) => 'emission' in r);
  w.byte(kinds ? OUTBOX_FORMAT_VERSION : PLAIN_FORMAT_VERSION);
  w.uvarint(records.length);
  for (const r of records) {
    if (!('emission' in r)) {
      if (kinds) w.byte(KIND_PLAIN);
      plain(w, r.id, r.key, r.value, r.eventTimeMs ?? null);
      continue;
    }
    const start = w.pos;
    w.byte(KIND_EMISSION);
    if (writeEmission(w, r.emission) === null) {
      w.pos = start;
      w.byte(KIND_PLAIN);
      plain(w, r.emission.event_id, r.emission.customer_id, JSON.stringify(r.emission), Date.parse(r.emission.occurred_at));
    }
  }
  return w.finish();
}

function plain(w: Writer, id: string, key: string, value: string | Buffer, at: number | null): void {
  w.string(id);
  w.string(key);
  if (typeof value === 'string') w.string(value);
  else w.bytes(value);
  if (at !== null && Number.isSafeInteger(at)) {
    w.byte(HAS_EVENT_TIME);
    w.svarint(at);
  } else {
    w.byte(0);
  }
}

/** Decodes a packed entry; `where` names it in the error (CODEC_CORRUPT) when the bytes do not parse. */
export function unpackOutboxRecords(packed: Buffer, where: string): UnpackedRecord[] {
  try {
    const r = new Reader(packed);
    const version = r.byte();
    if (version !== PLAIN_FORMAT_VERSION && version !== OUTBOX_FORMAT_VERSION) throw new Error(`unknown format version ${version}`);
    // Each record takes at least 4 bytes (three empty lengths and the flags; an emission more).
    const count = r.length(4, 'record');
    const out: UnpackedRecord[] = new Array<UnpackedRecord>(count);
    for (let i = 0; i < count; i++) {
      const kind = version === PLAIN_FORMAT_VERSION ? KIND_PLAIN : r.byte();
      if (kind === KIND_EMISSION) {
        const { event, atMs } = readEmission(r);
        out[i] = { id: event.event_id, key: event.customer_id, value: Buffer.from(JSON.stringify(event)), eventTimeMs: atMs };
        continue;
      }
      if (kind !== KIND_PLAIN) throw new Error(`unknown record kind ${kind} in record ${i}`);
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
