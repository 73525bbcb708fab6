import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { avroSchemaFor, fromAvro } from '../../src/contracts/avro.js';
import { TOPIC_CONTRACTS, type TopicContract } from '../../src/contracts/topics.js';

const contract = (id: string) => TOPIC_CONTRACTS.find((c) => c.id === id) as TopicContract;
const roundTrip = (id: string, value: unknown) => {
  const type = avro.Type.forSchema(avroSchemaFor(contract(id)) as avro.Schema);
  return fromAvro(contract(id), type.fromBuffer(type.toBuffer(value)));
};
const at = '2023-01-01T00:00:00Z';

describe('Avro schemas from the contracts', () => {
  it.each(TOPIC_CONTRACTS.filter((c) => c.role !== 'internal').map((c) => c.id))('%s is a valid Avro record schema', (id) => {
    const type = avro.Type.forSchema(avroSchemaFor(contract(id)) as avro.Schema);
    expect(type.typeName).toBe('record');
  });

  it('carries a purchase with its amount as a string or a number, optional fields absent or set', () => {
    const minimal = { type: 'purchase', event_id: 'e', customer_id: 'c', occurred_at: at, amount: '12.50', currency: 'USD' };
    expect(roundTrip('purchase', minimal)).toEqual(minimal);
    const full = { ...minimal, amount: 12.5, order_id: 'o', discount: '1.00', margin: 3, quantity: 2, channel: 'web' };
    expect(roundTrip('purchase', full)).toEqual(full);
  });

  it('carries an interaction with its boolean, its optional cost and resolution, and a cost_to_serve on purchases and returns', () => {
    const minimal = { type: 'interaction', event_id: 'e', customer_id: 'c', occurred_at: at, kind: 'complaint', channel: 'phone', resolved: false };
    expect(roundTrip('interaction', minimal)).toEqual(minimal);
    const full = { ...minimal, kind: 'other', cost: '4.20', currency: 'EUR', order_id: 'o', case_id: 'T-1', resolved: true, resolved_at: at, reason: 'late' };
    expect(roundTrip('interaction', full)).toEqual(full);
    const purchase = { type: 'purchase', event_id: 'e', customer_id: 'c', occurred_at: at, amount: '12.50', currency: 'USD', cost_to_serve: 1.5 };
    expect(roundTrip('purchase', purchase)).toEqual(purchase);
    const refund = { type: 'return', event_id: 'r', customer_id: 'c', occurred_at: at, amount: '2.00', currency: 'USD', cost_to_serve: '0.80' };
    expect(roundTrip('return', refund)).toEqual(refund);
  });

  it('keeps a nullable field’s null and an emission cause of either kind', () => {
    const snapshot = { recency_days: null, frequency: 0, monetary_minor: 0, r_score: null, f_score: null, m_score: null, clv_historic_minor: 0, clv_predicted_minor: 0, clv_total_minor: 0, p_alive: null, p_alive_reason: 'no_purchase', churn_level: 'active', currency: 'USD' };
    const base = { type: 'segment-changed', event_id: 's', customer_id: 'c', occurred_at: at, dimension: 'rfm_segment', from: null, to: 'lost', snapshot, model_version: 'm' };
    for (const cause of [{ kind: 'timer', due_at: at }, { kind: 'event', event_id: 'e', event_type: 'purchase' }, { kind: 'model_changed', model_version: 'm2' }]) {
      expect(roundTrip('segment-changed', { ...base, cause })).toEqual({ ...base, cause });
    }
  });

  it('leaves fields the contract does not know for its unknown-field rule', () => {
    expect(fromAvro(contract('feedback'), { type: 'feedback', score: 3, locale: 'de', survey_id: null })).toEqual({ type: 'feedback', score: 3, locale: 'de' });
  });
});
