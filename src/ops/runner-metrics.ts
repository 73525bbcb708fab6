/**
 * The stream runner's observations as Prometheus metrics: the adapter between
 * `RunnerObserver` (what the runtime reports) and `RuntimeMetrics` (how it is
 * exposed), so neither knows the other's vocabulary.
 */
import type { OutboundEvent } from '../contracts/outbound.js';
import type { RunnerObserver } from '../service/stream-runner.js';
import type { RuntimeMetrics } from './metrics.js';

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
        // Dead letters and internal records are counted but have no cause time.
        const event = entry.topic === topics.segmentChanged || entry.topic === topics.churnRisk ? outboundEventOf(entry.value) : null;
        if (event !== null) metrics.emitted(event);
        metrics.emissionRelayed(entry.topic, event?.occurred_at ?? null, ackedAt);
      }
    },
    relayFailed() {
      metrics.relayError();
    },
  };
}

/** An outbox value on an emission topic, parsed once for the breakdown and the end-to-end delay. */
function outboundEventOf(value: Buffer): OutboundEvent | null {
  try {
    const parsed = JSON.parse(value.toString('utf8')) as OutboundEvent | null;
    return typeof parsed === 'object' && parsed !== null && typeof parsed.occurred_at === 'string' ? parsed : null;
  } catch {
    return null; // not an outbound event (cannot happen for records we wrote)
  }
}
