import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../src/ops/metric-names.js';
import { RuntimeMetrics } from '../../src/ops/metrics.js';

/** The sample lines of `name` in the text exposition (no HELP/TYPE). */
async function samples(m: RuntimeMetrics, name: string): Promise<string[]> {
  const text = await m.render();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('RuntimeMetrics', () => {
  it('registers exactly the published names (plus clvstream_-prefixed defaults) on its own registry', async () => {
    const m = new RuntimeMetrics();
    const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name);
    const own = names.filter((n) => !/^clvstream_(process|nodejs)_/.test(n));
    expect(new Set(own)).toEqual(new Set(METRIC_NAMES));
    expect(names.every((n) => n.startsWith('clvstream_'))).toBe(true);
    expect(names.some((n) => n === 'clvstream_process_cpu_user_seconds_total')).toBe(true);
    // Two instances never collide (no global registry).
    const other = new RuntimeMetrics({ defaultMetrics: false });
    expect((await other.registry.getMetricsAsJSON()).map((x) => x.name).sort()).toEqual([...METRIC_NAMES].sort());
  });

  it('reports readiness as asked at scrape time: NaN (prom-client writes Nan) before a check is set, then 1 or 0', async () => {
    const m = new RuntimeMetrics({ defaultMetrics: false });
    expect(await samples(m, 'clvstream_ready')).toEqual(['clvstream_ready Nan']);
    let ready = true;
    m.setReadinessCheck(() => Promise.resolve(ready));
    expect(await samples(m, 'clvstream_ready')).toEqual(['clvstream_ready 1']);
    ready = false;
    expect(await samples(m, 'clvstream_ready')).toEqual(['clvstream_ready 0']);
    m.setReadinessCheck(() => Promise.reject(new Error('redis down')));
    expect(await samples(m, 'clvstream_ready')).toEqual(['clvstream_ready 0']);
  });

  it('records lag per topic-partition and forgets a revoked partition', async () => {
    const m = new RuntimeMetrics({ defaultMetrics: false });
    m.lag('clv.purchases', 0, 12);
    m.lag('clv.returns', 0, 3n);
    m.lagFromOffsets('clv.purchases', 1, '1000', '990');
    m.lagFromOffsets('clv.returns', 1, 5n, 9n); // never negative
    m.outboxDepth(0, 7);
    m.outboxDepth(1, 2);
    m.waitingFor(0, 3);
    m.waitingFor(1, 0);
    expect(await samples(m, 'clvstream_consumer_lag')).toEqual([
      'clvstream_consumer_lag{topic="clv.purchases",partition="0"} 12',
      'clvstream_consumer_lag{topic="clv.returns",partition="0"} 3',
      'clvstream_consumer_lag{topic="clv.purchases",partition="1"} 10',
      'clvstream_consumer_lag{topic="clv.returns",partition="1"} 0',
    ]);
    m.forgetPartition(0);
    expect(await samples(m, 'clvstream_consumer_lag')).toEqual([
      'clvstream_consumer_lag{topic="clv.purchases",partition="1"} 10',
      'clvstream_consumer_lag{topic="clv.returns",partition="1"} 0',
    ]);
    expect(await samples(m, 'clvstream_outbox_depth')).toEqual(['clvstream_outbox_depth{partition="1"} 2']);
    expect(await samples(m, 'clvstream_partition_waiting_for')).toEqual(['clvstream_partition_waiting_for{partition="1"} 0']);
  });

  it('counts processed, rejected, emitted, relayed and group events', async () => {
    const m = new RuntimeMetrics({ defaultMetrics: false });
    m.processed('purchase', 3);
    m.processed('return');
    m.rejected('clv.purchases', 'SCHEMA_INVALID');
    m.emitted({ type: 'segment-changed', dimension: 'rfm_segment', to: 'champions' });
    m.emitted({ type: 'churn-risk', level: 'at_risk' });
    m.recordsRelayed('clv.segment-changed');
    m.relayError();
    m.rebalanced();
    m.fenced();
    m.assignedPartitions(4);
    expect(await samples(m, 'clvstream_events_processed_total')).toEqual([
      'clvstream_events_processed_total{type="purchase"} 3',
      'clvstream_events_processed_total{type="return"} 1',
    ]);
    expect(await samples(m, 'clvstream_events_rejected_total')).toEqual([
      'clvstream_events_rejected_total{topic="clv.purchases",reason="SCHEMA_INVALID"} 1',
    ]);
    expect(await samples(m, 'clvstream_segment_transitions_total')).toEqual([
      'clvstream_segment_transitions_total{dimension="rfm_segment",to="champions"} 1',
    ]);
    expect(await samples(m, 'clvstream_churn_risk_emitted_total')).toEqual(['clvstream_churn_risk_emitted_total{level="at_risk"} 1']);
    expect(await samples(m, 'clvstream_outbox_relayed_total')).toEqual(['clvstream_outbox_relayed_total{topic="clv.segment-changed"} 1']);
    expect(await samples(m, 'clvstream_outbox_relay_errors_total')).toEqual(['clvstream_outbox_relay_errors_total 1']);
    expect(await samples(m, 'clvstream_rebalances_total')).toEqual(['clvstream_rebalances_total 1']);
    expect(await samples(m, 'clvstream_fencing_rejections_total')).toEqual(['clvstream_fencing_rejections_total 1']);
    expect(await samples(m, 'clvstream_assigned_partitions')).toEqual(['clvstream_assigned_partitions 4']);
  });

  it('observes batches, end-to-end delay and Redis commands in histograms', async () => {
    const m = new RuntimeMetrics({ defaultMetrics: false, now: () => Date.parse('2025-03-01T00:00:10Z') });
    m.batchCommitted(120, 0.04);
    m.recordsRelayed('clv.churn-risk');
    m.relayDelay('2025-03-01T00:00:07Z');
    m.recordsRelayed('clv.dead-letter');
    m.relayDelay(null); // no event time: counted, no delay
    m.redisCommand('mget', 0.0007);
    const result = await m.observeRedis('script:commit', Promise.resolve(42));
    expect(result).toBe(42);
    await expect(m.observeRedis('get', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    const text = await m.render();
    expect(text).toContain('clvstream_batch_records_sum 120');
    expect(text).toContain('clvstream_batch_records_bucket{le="250"} 1');
    expect(text).toContain('clvstream_batch_duration_seconds_bucket{le="0.05"} 1');
    expect(text).toContain('clvstream_end_to_end_delay_seconds_sum 3');
    expect(text).toContain('clvstream_end_to_end_delay_seconds_count 1');
    expect(text).toContain('clvstream_redis_command_duration_seconds_count{command="mget"} 1');
    expect(text).toContain('clvstream_redis_command_duration_seconds_count{command="script:commit"} 1');
    expect(text).toContain('clvstream_redis_command_duration_seconds_count{command="get"} 1');
  });

  it('reports the model version and its age at scrape time', async () => {
    let now = Date.parse('2025-03-10T00:00:00Z');
    const m = new RuntimeMetrics({ defaultMetrics: false, now: () => now });
    expect(await samples(m, 'clvstream_model_age_seconds')).toEqual(['clvstream_model_age_seconds Nan']);
    m.modelLoaded('unfitted');
    expect(await samples(m, 'clvstream_model_version_info')).toEqual(['clvstream_model_version_info{version="unfitted"} 1']);
    m.modelLoaded('m-2025-03-09', '2025-03-09T00:00:00Z');
    expect(await samples(m, 'clvstream_model_version_info')).toEqual(['clvstream_model_version_info{version="m-2025-03-09"} 1']);
    expect(await samples(m, 'clvstream_model_age_seconds')).toEqual(['clvstream_model_age_seconds 86400']);
    now += 3_600_000;
    expect(await samples(m, 'clvstream_model_age_seconds')).toEqual(['clvstream_model_age_seconds 90000']);
  });

  it('ignores nonsense values instead of corrupting series', async () => {
    const m = new RuntimeMetrics({ defaultMetrics: false });
    m.lag('t', 0, -5);
    m.outboxDepth(0, Number.NaN);
    m.batchCommitted(-1, Number.POSITIVE_INFINITY);
    expect(await samples(m, 'clvstream_consumer_lag')).toEqual(['clvstream_consumer_lag{topic="t",partition="0"} 0']);
    expect(await samples(m, 'clvstream_outbox_depth')).toEqual(['clvstream_outbox_depth{partition="0"} 0']);
  });

  it('exposes the Prometheus content type', () => {
    expect(new RuntimeMetrics({ defaultMetrics: false }).contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
