/**
 * The stream runner's observations as Prometheus metrics: the adapter between
 * `RunnerObserver` (what the runtime reports) and `RuntimeMetrics` (how it is
 * exposed), so neither knows the other's vocabulary.
 */
import type { RunnerObserver } from '../service/stream-runner.js';
import type { RuntimeMetrics } from './metrics.js';

export function runnerMetrics(metrics: RuntimeMetrics): RunnerObserver {
  return {
    assigned(partitions) {
      metrics.rebalanced();
      metrics.assignedPartitions(partitions.length);
    },
    revoked(partition) {
      metrics.forgetPartition(partition);
    },
    batchCommitted(_partition, records, outcome, seconds) {
      metrics.batchCommitted(records.length, seconds);
      for (const { decoded, topic } of records) {
        if ('kind' in decoded) metrics.processed(decoded.kind);
        else if (decoded.ok) metrics.processed(decoded.input.kind);
        else metrics.rejected(topic, decoded.rejection.code);
      }
      // A batch committed before (a retry after a lost reply) wrote nothing new.
      if (outcome.applied) for (const event of outcome.emissions) metrics.emitted(event);
    },
    swept(_partition, outcome) {
      for (const event of outcome.emissions) metrics.emitted(event);
    },
    fenced() {
      metrics.fenced();
    },
    lag(topic, partition, lag) {
      metrics.lag(topic, partition, lag);
    },
    // Relays are counted when the broker has acknowledged them (a record the
    // relay has to send twice after a crash is counted twice: at-least-once).
    relayed(_partition, records, ackedAtMs) {
      // Dead letters and internal records carry no event time: counted, no delay.
      for (const record of records) metrics.emissionRelayed(record.topic, record.eventTimeMs, ackedAtMs);
    },
    relayFailed() {
      metrics.relayError();
    },
  };
}
