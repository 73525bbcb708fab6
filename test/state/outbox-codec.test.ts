import { describe, expect, it } from 'vitest';
import { StateCodecError } from '../../src/state/errors.js';
import { packOutboxRecords, unpackOutboxRecords, type PlainRecord } from '../../src/state/outbox-codec.js';

const where = 'outbox entry 1-0 of partition 3';

describe('outbox codec', () => {
  it('round-trips ids, keys, string and binary values and event times in order', () => {
    const records: PlainRecord[] = [
      { id: 'seg:C-1:1', key: 'C-1', value: '{"type":"segment-changed","to":"champions"}', eventTimeMs: 1_767_225_600_000 },
      { id: 'dlq:clv.purchases:0:9', key: '', value: Buffer.from([0x7b, 0xff, 0x00, 0x22]) },
      { id: 'churn:Ünïcødé-☃:2', key: 'Ünïcødé-☃', value: 'é'.repeat(300), eventTimeMs: -62_135_596_800_000 },
      { id: 'x', key: 'k', value: '', eventTimeMs: null },
    ];
    const out = unpackOutboxRecords(packOutboxRecords(records), where);
    expect(out.map((r) => ({ ...r, value: r.value.toString('latin1') }))).toEqual(
      records.map((r) => ({ id: r.id, key: r.key, value: Buffer.from(r.value).toString('latin1'), eventTimeMs: r.eventTimeMs ?? null })),
    );
  });

  it('packs an empty list', () => {
    expect(unpackOutboxRecords(packOutboxRecords([]), where)).toEqual([]);
  });

  it('drops an event time that is not a safe integer rather than writing a wrong one', () => {
    const [r] = unpackOutboxRecords(packOutboxRecords([{ id: 'a', key: 'b', value: 'c', eventTimeMs: Number.NaN }]), where);
    expect(r?.eventTimeMs).toBeNull();
  });

  it.each([
    ['an unknown format version', Buffer.from([3, 0]), 'unknown format version 3'],
    ['a truncated record', packOutboxRecords([{ id: 'abc', key: 'k', value: 'v' }]).subarray(0, 6), 'truncated'],
    ['bytes after the last record', Buffer.concat([packOutboxRecords([{ id: 'a', key: 'k', value: 'v' }]), Buffer.from([0])]), '1 bytes after the last record'],
    ['a count larger than the data', Buffer.from([1, 50, 0, 0, 0, 0]), 'record length 50 exceeds'],
    ['unknown flags', Buffer.from([1, 1, 0, 0, 0, 4]), 'unknown flags 4'],
    ['an empty buffer', Buffer.alloc(0), 'truncated'],
  ])('rejects %s with CODEC_CORRUPT naming the entry', (_name, bytes, detail) => {
    let error: unknown;
    try {
      unpackOutboxRecords(bytes, where);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StateCodecError);
    expect((error as StateCodecError).code).toBe('CODEC_CORRUPT');
    expect((error as Error).message).toContain(where);
    expect((error as Error).message).toContain(detail);
  });
});
