import { describe, expect, it } from 'vitest';
import type { OutboundEvent } from '../../src/contracts/outbound.js';
import { RuntimeMetrics } from '../../src/ops/metrics.js';
import { StateCodecError, StateError } from '../../src/state/errors.js';
import { runnerMetrics } from '../../src/service/runner-metrics.js';
import type { BatchOutcome, BatchRecord, SweepOutcome } from '../../src/service/partition-processor.js';

const segment = { type: 'segment-changed', dimension: 'rfm_segment', to: 'champions' } as unknown as OutboundEvent;
const churn = { type: 'churn-risk', level: 'at_risk' } as unknown as OutboundEvent;

function outcome(applied: boolean, emissions: OutboundEvent[], timersFired = 0): BatchOutcome {
  return { applied, staleTopics: [], watermarkDay: null, outboxRecords: emissions.length, deadLetters: 0, forwarded: 0, timersFired, emissions, processingErrors: [] };
}

async function lines(m: RuntimeMetrics, name: string): Promise<string[]> {
  return (await m.render()).split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('runnerMetrics', () => {
  it('counts emissions once, when their batch or sweep is committed, not again on a repeated batch', async () => {
    const m = new RuntimeMetrics({ defaultMetrics: false });
    const observer = runnerMetrics(m);
    observer.batchCommitted?.(0, [], outcome(true, [segment, churn]), 0.01);
    observer.batchCommitted?.(0, [], outcome(false, [segment, churn]), 0.01); // committed before: nothing new
    const sweep: SweepOutcome = { customers: 1, timersFired: 1, outboxRecords: 1, emissions: [segment], more: false };
    observer.swept?.(0, sweep);
    expect(await lines(m, 'clvstream_segment_transitions_total')).toEqual(['clvstream_segment_transitions_total{dimension="rfm_segment",to="champions"} 2']);
    expect(await lines(m, 'clvstream_churn_risk_emitted_total')).toEqual(['clvstream_churn_risk_emitted_total{level="at_risk"} 1']);
  });

  it('counts the due checks fired by committed batches and by sweeps, not those of a repeated batch', async () => {
    const m = new RuntimeMetrics({ defaultMetrics: false });
    const observer = runnerMetrics(m);
    observer.batchCommitted?.(0, [], outcome(true, [segment], 3), 0.01);
    observer.batchCommitted?.(0, [], outcome(false, [segment], 3), 0.01); // committed before: nothing new
    observer.swept?.(0, { customers: 4, timersFired: 5, outboxRecords: 0, emissions: [], more: false });
    expect(await lines(m, 'clvstream_due_checks_fired_total')).toEqual(['clvstream_due_checks_fired_total 8']);
  });

  it('counts skipped input offsets by topic and reason', async () => {
    const m = new RuntimeMetrics({ defaultMetrics: false });
    const observer = runnerMetrics(m);
    observer.recordsSkipped?.('clv.purchases', 0, 'retention', 1_200);
    observer.recordsSkipped?.('clv.purchases', 1, 'retention', 300);
    observer.recordsSkipped?.('clv.returns', 0, 'already_stored', 2);
    observer.recordsSkipped?.('clv.returns', 0, 'already_stored', 0);
    expect(await lines(m, 'clvstream_records_skipped_total')).toEqual([
      'clvstream_records_skipped_total{topic="clv.purchases",reason="retention"} 1500',
      'clvstream_records_skipped_total{topic="clv.returns",reason="already_stored"} 2',
    ]);
  });

  it('counts failed commits by work and error code, anything not from the state layer as UNEXPECTED', async () => {
    const m = new RuntimeMetrics({ defaultMetrics: false });
    const observer = runnerMetrics(m);
    observer.batchFailed?.(0, new StateError('REDIS_UNAVAILABLE', 'down', { retriable: true }));
    observer.batchFailed?.(1, new StateError('REDIS_UNAVAILABLE', 'down', { retriable: true }));
    observer.batchFailed?.(0, new StateCodecError('CODEC_CORRUPT', 'bad bytes'));
    observer.sweepFailed?.(0, new TypeError('a bug'));
    expect(await lines(m, 'clvstream_commit_failures_total')).toEqual([
      'clvstream_commit_failures_total{work="batch",code="REDIS_UNAVAILABLE"} 2',
      'clvstream_commit_failures_total{work="batch",code="CODEC_CORRUPT"} 1',
      'clvstream_commit_failures_total{work="sweep",code="UNEXPECTED"} 1',
    ]);
  });

  it('counts the consumer restarts kafkajs makes after an error', async () => {
    const m = new RuntimeMetrics({ defaultMetrics: false });
    const observer = runnerMetrics(m);
    expect(await lines(m, 'clvstream_consumer_restarts_total')).toEqual(['clvstream_consumer_restarts_total 0']);
    observer.consumerRestarted?.(new Error('Connection error: connect ECONNREFUSED'));
    observer.consumerRestarted?.(new Error('Connection error: connect ECONNREFUSED'));
    expect(await lines(m, 'clvstream_consumer_restarts_total')).toEqual(['clvstream_consumer_restarts_total 2']);
  });

  it('counts relayed records by topic and observes the delay from their event time', async () => {
    const m = new RuntimeMetrics({ defaultMetrics: false });
    const observer = runnerMetrics(m);
    const ackedAt = Date.now();
    observer.relayed?.(0, [{ topic: 'clv.segment-changed', eventTimeMs: ackedAt - 2_000 }, { topic: 'clv.dead-letter', eventTimeMs: null }], ackedAt);
    expect(await lines(m, 'clvstream_outbox_relayed_total')).toEqual([
      'clvstream_outbox_relayed_total{topic="clv.segment-changed"} 1',
      'clvstream_outbox_relayed_total{topic="clv.dead-letter"} 1',
    ]);
    const [count] = await lines(m, 'clvstream_end_to_end_delay_seconds_count');
    expect(count).toBe('clvstream_end_to_end_delay_seconds_count 1');
    const [sum] = await lines(m, 'clvstream_end_to_end_delay_seconds_sum');
    // Measured to the broker's acknowledgement, not to when the metrics heard of it.
    expect(Number(sum?.split(' ')[1])).toBe(2);
  });

  it('adds up a batch: processed by type, rejections by topic and reason, transitions by dimension and target, relays by topic', async () => {
    const m = new RuntimeMetrics({ defaultMetrics: false });
    const observer = runnerMetrics(m);
    const input = (kind: string): BatchRecord => ({ topic: `clv.${kind}`, decoded: { tag: 'input', input: { kind } } }) as unknown as BatchRecord;
    const rejected = (topic: string, code: string): BatchRecord => ({ topic, decoded: { tag: 'rejected', rejection: { code } } }) as unknown as BatchRecord;
    const cross = { topic: 'clv.internal', decoded: { tag: 'routed', input: { kind: 'referral-credit' } } } as unknown as BatchRecord;
    const records = [input('purchase'), input('purchase'), input('return'), cross, input('purchase'), rejected('clv.purchases', 'SCHEMA_INVALID'), rejected('clv.purchases', 'SCHEMA_INVALID'), rejected('clv.returns', 'UNKNOWN_CURRENCY')];
    const loyal = { type: 'segment-changed', dimension: 'rfm_segment', to: 'loyal' } as unknown as OutboundEvent;
    const quadrant = { type: 'segment-changed', dimension: 'value_quadrant', to: 'champions' } as unknown as OutboundEvent;
    const lost = { type: 'churn-risk', level: 'lost' } as unknown as OutboundEvent;
    observer.batchCommitted?.(0, records, outcome(true, [segment, loyal, segment, quadrant, churn, lost, churn, segment]), 0.01);
    observer.relayed?.(0, [{ topic: 'a', eventTimeMs: null }, { topic: 'b', eventTimeMs: null }, { topic: 'a', eventTimeMs: null }], Date.now());
    expect(await lines(m, 'clvstream_events_processed_total')).toEqual([
      'clvstream_events_processed_total{type="purchase"} 3',
      'clvstream_events_processed_total{type="return"} 1',
      'clvstream_events_processed_total{type="referral-credit"} 1',
    ]);
    expect(await lines(m, 'clvstream_events_rejected_total')).toEqual([
      'clvstream_events_rejected_total{topic="clv.purchases",reason="SCHEMA_INVALID"} 2',
      'clvstream_events_rejected_total{topic="clv.returns",reason="UNKNOWN_CURRENCY"} 1',
    ]);
    expect(await lines(m, 'clvstream_segment_transitions_total')).toEqual([
      'clvstream_segment_transitions_total{dimension="rfm_segment",to="champions"} 3',
      'clvstream_segment_transitions_total{dimension="rfm_segment",to="loyal"} 1',
      'clvstream_segment_transitions_total{dimension="value_quadrant",to="champions"} 1',
    ]);
    expect(await lines(m, 'clvstream_churn_risk_emitted_total')).toEqual([
      'clvstream_churn_risk_emitted_total{level="at_risk"} 2',
      'clvstream_churn_risk_emitted_total{level="lost"} 1',
    ]);
    expect(await lines(m, 'clvstream_outbox_relayed_total')).toEqual(['clvstream_outbox_relayed_total{topic="a"} 2', 'clvstream_outbox_relayed_total{topic="b"} 1']);
    expect(await lines(m, 'clvstream_end_to_end_delay_seconds_count')).toEqual(['clvstream_end_to_end_delay_seconds_count 0']);
  });
});
