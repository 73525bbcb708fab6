/**
 * The stream runner's observations as Prometheus metrics: the adapter between
 * `RunnerObserver` (what the runtime reports) and `RuntimeMetrics` (how it is
 * exposed), so neither knows the other's vocabulary.
 */
import type { OutboundEvent } from '../contracts/outbound.js';
import type { RunnerObserver } from '../service/stream-runner.js';
import { eventTimeOf, type RuntimeMetrics } from './metrics.js';

export interface RunnerMetricsTopics {
  readonly segmentChanged: string;
  readonly churnRisk: string;
}

export function runnerMetrics(metrics: RuntimeMetrics, topics: RunnerMetricsTopics): RunnerObserver {
  return {
    assigned(partitions) {
      metrics.rebalanced();
      metrics.assignedPartitions(partitions.length);
    },
    revoked(partition) {
      metrics.forgetPartition(partition);
    },
    batchCommitted(_partition, records, _outcome, seconds) {
      metrics.batchCommitted(records.length, seconds);
      for (const { decoded, topic } of records) {
        if ('kind' in decoded) metrics.processed(decoded.kind);
        else if (decoded.ok) metrics.processed(decoded.input.kind);
        else metrics.rejected(topic, decoded.rejection.code);
      }
    },
    fenced() {
      metrics.fenced();
    },
    lag(topic, partition, lag) {
      metrics.lag(topic, partition, lag);
    },
    // Emissions are counted when the broker has acknowledged them (a record the
    // relay has to send twice after a crash is counted twice: at-least-once).
    relayed(_partition, entries) {
      const ackedAt = Date.now();
      for (const entry of entries) {
        const emission = entry.topic === topics.segmentChanged || entry.topic === topics.churnRisk;
        if (emission) {
          try {
            metrics.emitted(JSON.parse(entry.value.toString('utf8')) as OutboundEvent);
          } catch {
            // not an outbound event (cannot happen for records we wrote); skip the breakdown
          }
        }
        // End-to-end delay only for emissions: dead letters and internal records have no cause time.
        metrics.emissionRelayed(entry.topic, emission ? eventTimeOf(entry.value) : null, ackedAt);
      }
    },
    relayFailed() {
      metrics.relayError();
    },
  };
}
