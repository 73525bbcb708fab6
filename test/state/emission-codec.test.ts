import { describe, expect, it } from 'vitest';
import { syntheticTraffic } from '../../src/app/generate.js';
import type { ChurnRisk, OutboundEvent, SegmentChanged } from '../../src/contracts/outbound.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { UNFITTED_MODEL, type ModelSnapshot } from '../../src/domain/model-snapshot.js';
import { decodeBytes } from '../../src/ingest/decode.js';
import { MemoryProcessor } from '../../src/pipeline/memory-processor.js';
import { StateCodecError } from '../../src/state/errors.js';
import { EMISSION_CODE_TABLES, JSON_ONLY_VALUES } from '../../src/state/emission-codec.js';
import { packOutboxRecords, unpackOutboxRecords, type PackedRecord } from '../../src/state/outbox-codec.js';
import { INBOUND_TYPES } from '../../src/contracts/inbound.js';
import { INTERNAL_KINDS } from '../../src/contracts/internal.js';
import { CHURN_REASONS, SEGMENT_DIMENSIONS } from '../../src/contracts/segments.js';
import { GENERATED_TRAFFIC_RULES } from '../support/ingest-rules.js';

const where = 'outbox entry 1-0 of partition 3';

/** CDNOW's published BG/NBD and Gamma-Gamma figures (days, cents): P(alive) and model CLV are real fractions. */
const FITTED: ModelSnapshot = {
  version: 'fitted-test',
  bgnbd: { r: 0.243, alpha: 4.414 * 7, a: 0.793, b: 2.426 },
  gammaGamma: { p: 6.25, q: 3.74, v: 1544 },
  cutPoints: null,
};

/** Every emission of `events` generated events, in the order the pipeline makes them. */
function emissionsOf(model: ModelSnapshot, events: number): OutboundEvent[] {
  const out: OutboundEvent[] = [];
  const processor = new MemoryProcessor({ model, parameters: defaultDomainParameters }, { onEmit: (e) => out.push(e) });
  const now = Date.parse('2026-01-01T00:00:00Z');
  let n = 0;
  for (const e of syntheticTraffic({ seed: 11, customers: 400, startMs: Date.parse('2020-01-02T00:00:00Z'), currency: 'USD', idPrefix: 'ec' })) {
    const decoded = decodeBytes(Buffer.from(JSON.stringify(e.event)), e.type, GENERATED_TRAFFIC_RULES, now);
    if (decoded.tag === 'input') processor.apply(decoded.input);
    if (++n === events) break;
  }
  return out;
}

/** What the relay gets back for emission records: JSON.stringify's bytes, the id, key and event time the runner used to store. */
function expectReadBackAsJson(records: readonly OutboundEvent[], packed: Buffer): void {
  const out = unpackOutboxRecords(packed, where);
  expect(out).toHaveLength(records.length);
  records.forEach((e, i) => {
    const r = out[i];
    expect(r?.value.toString('utf8')).toBe(JSON.stringify(e));
    expect(r?.id).toBe(e.event_id);
    expect(r?.key).toBe(e.customer_id);
    expect(r?.eventTimeMs).toBe(Date.parse(e.occurred_at));
  });
}

const snapshot = {
  recency_days: 12,
  frequency: 3,
  monetary_minor: 12_345,
  r_score: 4,
  f_score: 2,
  m_score: 3,
  clv_historic_minor: 4_567,
  clv_predicted_minor: 8_910,
  clv_total_minor: 13_477,
  p_alive: 0.8234567891234,
  p_alive_reason: null,
  churn_level: 'cooling',
  currency: 'USD',
} as const;

const changed: SegmentChanged = {
  type: 'segment-changed',
  event_id: 'seg:C-1:7',
  customer_id: 'C-1',
  occurred_at: '2026-03-04T05:06:07.089Z',
  dimension: 'rfm_segment',
  from: 'loyal_customers',
  to: 'at_risk',
  cause: { kind: 'event', event_id: 'e-9', event_type: 'purchase' },
  snapshot,
  model_version: 'm-1',
};

const churn: ChurnRisk = {
  type: 'churn-risk',
  event_id: 'churn:C-1:8',
  customer_id: 'C-1',
  occurred_at: '2026-03-05T00:00:00.000Z',
  level: 'at_risk',
  previous_level: 'cooling',
  direction: 'rising',
  reasons: ['inactivity', 'p_alive'],
  cause: { kind: 'timer', due_at: '2026-03-05T00:00:00.000Z' },
  snapshot: { ...snapshot, churn_level: 'at_risk' },
  model_version: 'm-1',
};

describe('emissions in the outbox', () => {
  for (const [name, model] of [
    ['unfitted', UNFITTED_MODEL],
    ['fitted', FITTED],
  ] as const) {
    it(`read back as exactly JSON.stringify's bytes, for every emission of a generated workload (${name} model), in a fifth of the space`, () => {
      const emissions = emissionsOf(model, 6_000);
      // The sample must hold both kinds, both causes, first-time segments, several reasons, and real fractions.
      expect(emissions.some((e) => e.type === 'churn-risk' && e.reasons.length > 1)).toBe(true);
      expect(emissions.some((e) => e.type === 'segment-changed' && e.from === null)).toBe(true);
      expect(emissions.some((e) => e.cause.kind === 'timer')).toBe(true);
      expect(emissions.some((e) => e.cause.kind === 'event')).toBe(true);
      if (model === FITTED) expect(emissions.some((e) => e.snapshot.p_alive !== null && !Number.isInteger(e.snapshot.p_alive))).toBe(true);
      let packedBytes = 0;
      let jsonBytes = 0;
      for (let i = 0; i < emissions.length; i += 500) {
        const chunk = emissions.slice(i, i + 500);
        const packed = packOutboxRecords(chunk.map((emission) => ({ emission })));
        expect(packed[0]).toBe(2);
        expectReadBackAsJson(chunk, packed);
        packedBytes += packed.length;
        for (const e of chunk) jsonBytes += Buffer.byteLength(JSON.stringify(e)) + e.event_id.length + e.customer_id.length;
      }
      expect(packedBytes).toBeLessThan(jsonBytes * 0.3);
    });
  }

  it('keep awkward values exact: escapes and non-ASCII in ids, fractions, integers beyond 2^53, negative zero, nulls', () => {
    const id = '"quoted"\\back\u0001\u2028é😀';
    const odd: SegmentChanged = {
      ...changed,
      customer_id: id,
      event_id: `seg:${id}:123456789012345`,
      from: null,
      cause: { kind: 'event', event_id: 'e"\u0000', event_type: 'referral_credit' },
      snapshot: { ...snapshot, recency_days: 0.5, monetary_minor: -0, r_score: null, clv_predicted_minor: 1e21, clv_total_minor: 4_567 + 1e21, p_alive: 1e-300 },
      model_version: 'v"1',
    };
    const before = '1969-12-31T23:59:59.999Z';
    const old: ChurnRisk = { ...churn, occurred_at: before, cause: { kind: 'timer', due_at: before }, reasons: [], direction: 'recovering', snapshot: { ...churn.snapshot, p_alive: null, p_alive_reason: 'no_model', recency_days: null } };
    const records = [odd, old, changed, churn];
    const packed = packOutboxRecords(records.map((emission) => ({ emission })));
    expect(packed[0]).toBe(2);
    expectReadBackAsJson(records, packed);
  });

  it('read entries an earlier release wrote (no P(alive) reason, no total CLV): the reason is the only one a null had then, the total is historic + predicted', () => {
    // Written by the release before issue 26: a repeat buyer without a model, and a prospect, both with p_alive null.
    const earlier = Buffer.from(
      '0202010103432d310880b0dab497670180b0dab497670118010601f2c00101080104010601ae47019c8b0100020355534408756e6669747465640201000101' +
        '010103502d310180b0dab497670180b0dab4976700010001f2c00100000001ae47019c8b0100020355534408756e6669747465640201000101',
      'hex',
    );
    const [buyer, prospect] = unpackOutboxRecords(earlier, where).map((r) => JSON.parse(r.value.toString()) as ChurnRisk);
    expect(buyer!.snapshot).toMatchObject({ clv_total_minor: 4_567 + 8_910, p_alive: null, p_alive_reason: 'no_model' });
    expect(prospect!.snapshot).toMatchObject({ frequency: 0, p_alive: null, p_alive_reason: 'no_purchase' });
  });

  it('keep a model_changed cause with its version', () => {
    const rescored: SegmentChanged = { ...changed, cause: { kind: 'model_changed', model_version: 'fit-20260203T040506.789Z' } };
    const packed = packOutboxRecords([{ emission: rescored }]);
    expect(packed.length).toBeLessThan(Buffer.byteLength(JSON.stringify(rescored)) / 2);
    expectReadBackAsJson([rescored], packed);
  });

  it("keep a one-time buyer's null P(alive) with its reason", () => {
    const oneTime: ChurnRisk = { ...churn, snapshot: { ...churn.snapshot, frequency: 1, p_alive: null, p_alive_reason: 'one_time_buyer' } };
    const packed = packOutboxRecords([{ emission: oneTime }]);
    expect(packed[0]).toBe(2);
    expectReadBackAsJson([oneTime], packed);
  });

  it('stay JSON when the compact form could not reproduce them (ids not of the sequence form, times not as toISOString writes them, unknown enum values)', () => {
    const records: OutboundEvent[] = [
      { ...changed, event_id: 'custom-id' },
      { ...changed, event_id: 'seg:C-1:07' },
      { ...changed, event_id: 'seg:C-2:7' },
      { ...changed, event_id: 'seg:C-1x7' },
      { ...changed, event_id: 'seg:C-1:7x' },
      { ...changed, event_id: 'churn:C-1:7' },
      { ...changed, event_id: 'seg:C-1:1234567890123456' },
      // A lone surrogate: UTF-8 cannot carry it, JSON escapes it.
      { ...changed, model_version: 'm-\ud800' },
      // Values outside the contract's enums (a newer release's, say) cannot be indexed: JSON too.
      { ...changed, to: 'platinum' as SegmentChanged['to'] },
      { ...churn, reasons: ['inactivity', 'moon_phase' as ChurnRisk['reasons'][number]] },
      { ...changed, occurred_at: '2026-03-04T05:06:07Z' },
      { ...churn, cause: { kind: 'timer', due_at: '2026-03-05T00:00:00+00:00' } },
      changed,
    ];
    const packed = packOutboxRecords(records.map((emission) => ({ emission })));
    expectReadBackAsJson(records, packed);
    // Only the last one went compact: the others are stored as their JSON.
    expect(packed.length).toBeGreaterThan(records.slice(0, -1).reduce((n, e) => n + JSON.stringify(e).length, 0));
  });

  it('keep values newer than the compact form (an interaction cause, the complaints reason) as JSON, which earlier releases relay', () => {
    const byComplaints: ChurnRisk = { ...churn, reasons: ['complaints'] };
    const byInteraction: SegmentChanged = { ...changed, cause: { kind: 'event', event_id: 'i-1', event_type: 'interaction' } };
    for (const e of [byComplaints, byInteraction]) {
      const packed = packOutboxRecords([{ emission: e }]);
      expectReadBackAsJson([e], packed);
      // Stored as its JSON: at least as long as it.
      expect(packed.length).toBeGreaterThan(JSON.stringify(e).length);
    }
    const compact = packOutboxRecords([{ emission: { ...churn, reasons: ['detractor'] } }]);
    expect(compact.length).toBeLessThan(JSON.stringify(churn).length / 2);
  });

  it('keep their place among plain records of the same entry', () => {
    const records: PackedRecord[] = [
      { id: 'dlq:t:0:1', key: 'k', value: Buffer.from([0x7b, 0xff]) },
      { emission: changed },
      { id: 'x', key: '', value: 'plain', eventTimeMs: 5 },
      { emission: churn },
    ];
    const out = unpackOutboxRecords(packOutboxRecords(records), where);
    expect(out.map((r) => r.id)).toEqual(['dlq:t:0:1', changed.event_id, 'x', churn.event_id]);
    expect(out[0]?.value).toEqual(Buffer.from([0x7b, 0xff]));
    expect(out[2]).toMatchObject({ key: '', eventTimeMs: 5 });
    expect(out[2]?.value.toString()).toBe('plain');
    expect(out[3]?.value.toString()).toBe(JSON.stringify(churn));
  });

  it('code the contract enums with frozen tables that hold every value (segment values and churn levels: those of the state codec)', () => {
    expect([...EMISSION_CODE_TABLES.dimension].sort()).toEqual([...SEGMENT_DIMENSIONS].sort());
    expect([...EMISSION_CODE_TABLES.churnReason, ...JSON_ONLY_VALUES.churnReason].sort()).toEqual([...CHURN_REASONS].sort());
    expect([...EMISSION_CODE_TABLES.causeType, ...JSON_ONLY_VALUES.causeType].sort()).toEqual([...INBOUND_TYPES, ...INTERNAL_KINDS].sort());
    expect([...EMISSION_CODE_TABLES.direction].sort()).toEqual(['recovering', 'rising']);
  });

  it('leave an entry without emissions in the first format, which every earlier release reads', () => {
    expect(packOutboxRecords([{ id: 'a', key: 'k', value: 'v' }])[0]).toBe(1);
  });

  const compact = packOutboxRecords([{ emission: churn }]);
  const at = (offset: number, byte: number): Buffer => {
    const copy = Buffer.from(compact);
    copy[offset] = byte;
    return copy;
  };
  // Layout: version, count, kind, type, customer id (length + 3 bytes), ...
  it.each([
    ['an unknown record kind', at(2, 7), 'unknown record kind 7'],
    ['an unknown emission type', at(3, 9), 'unknown emission type 9'],
    ['an unknown churn level', at(compact.length - 6, 40), 'unknown churn level index 40'],
    ['an unknown churn reason', at(compact.length - 1, 40), 'unknown churn reason index 40'],
    ['a truncated emission', compact.subarray(0, compact.length - 3), 'truncated'],
  ])('reject %s with CODEC_CORRUPT naming the entry', (_name, bytes, detail) => {
    expect(() => unpackOutboxRecords(bytes, where)).toThrow(
      expect.objectContaining({ name: StateCodecError.name, code: 'CODEC_CORRUPT', message: expect.stringMatching(`^${where}: .*${detail}`) as unknown }),
    );
  });
});
