/**
 * The stream runner's observations as Prometheus metrics: the adapter between
 * `RunnerObserver` (what the runtime reports) and `RuntimeMetrics` (how it is
 * exposed), so neither knows the other's vocabulary.
 */
import { ProcessingError } from './partition-processor.js';
import type { RunnerObserver } from './runner-observer.js';
import type { OutboundEvent } from '../contracts/outbound.js';
import { StateError } from '../state/errors.js';
import type { RuntimeMetrics } from '../ops/metrics.js';

export function runnerMetrics(metrics: RuntimeMetrics): RunnerObserver {
  return {
    assigned(partitions) {
      metrics.rebalanced();
      metrics.assignedPartitions(partitions.length);
    },
    revoked(partition) {
      metrics.forgetPartition(partition);
    },
    // Counters are added to once per label set and batch, not per event: a
    // labelled inc costs prom-client a label hash each time. Rejections are
    // rare and counted as they come.
    batchCommitted(_partition, records, outcome, seconds) {
      metrics.batchCommitted(records.length, seconds);
      const processed = new Tally<string>();
      for (const { decoded, topic } of records) {
        if (decoded.tag === 'rejected') metrics.rejected(topic, decoded.rejection.code);
        else processed.add(decoded.input.kind, decoded.input.kind);
      }
      for (const failure of outcome.applied ? outcome.processingErrors : []) {
        processed.remove(failure.kind);
        metrics.rejected(failure.topic, 'processing_error');
        metrics.processingFailed(failure.topic);
      }
      for (const [kind, count] of processed) metrics.processed(kind, count);
      // A batch committed before (a retry after a lost reply) wrote nothing new.
      if (outcome.applied) {
        countEmitted(metrics, outcome.emissions);
        metrics.dueChecksFired(outcome.timersFired);
      }
    },
    swept(_partition, outcome) {
      countEmitted(metrics, outcome.emissions);
      metrics.dueChecksFired(outcome.timersFired);
    },
    rescored(partition, customers, emissions, remaining) {
      countEmitted(metrics, emissions);
      metrics.rescored(partition, customers, remaining);
    },
    rescoreFailed(_partition, error) {
      metrics.commitFailed('rescore', failureCode(error));
    },
    batchFailed(_partition, error) {
      metrics.commitFailed('batch', failureCode(error));
    },
    sweepFailed(_partition, error) {
      metrics.commitFailed('sweep', failureCode(error));
    },
    fenced() {
      metrics.fenced();
    },
    consumerRestarted() {
      metrics.consumerRestarted();
    },
    recordsSkipped(topic, _partition, reason, count) {
      metrics.recordsSkipped(topic, reason, count);
    },
    lag(topic, partition, lag) {
      metrics.lag(topic, partition, lag);
    },
    waitingFor(partition, partitions) {
      metrics.waitingFor(partition, partitions);
    },
    // Relays are counted when the broker has acknowledged them (a record the
    // relay has to send twice after a crash is counted twice: at-least-once).
    relayed(_partition, records, ackedAtMs) {
      // Dead letters and internal records carry no event time: counted, no delay.
      const topics = new Tally<string>();
      for (const record of records) {
        topics.add(record.topic, record.topic);
        metrics.relayDelay(record.eventTimeMs, ackedAtMs);
      }
      for (const [topic, count] of topics) metrics.recordsRelayed(topic, count);
    },
    relayFailed() {
      metrics.relayError();
    },
  };
}

/**
 * The state layer's error code, or UNEXPECTED for anything else (a bug in
 * the reducer or the runner): a small, fixed label set either way.
 */
function failureCode(error: unknown): string {
  if (error instanceof StateError) return error.code;
  return error instanceof ProcessingError ? error.code : 'UNEXPECTED';
}

/** Counts per key, keeping the first item seen for each key (to read its labels from). */
class Tally<T> {
  private readonly counts = new Map<string, { item: T; count: number }>();

  add(key: string, item: T): void {
    const entry = this.counts.get(key);
    if (entry === undefined) this.counts.set(key, { item, count: 1 });
    else entry.count++;
  }

  /** Takes one back from `key` (an item counted that turned out not to apply). */
  remove(key: string): void {
    const entry = this.counts.get(key);
    if (entry === undefined) return;
    if (--entry.count === 0) this.counts.delete(key);
  }

  *[Symbol.iterator](): IterableIterator<[T, number]> {
    for (const { item, count } of this.counts.values()) yield [item, count];
  }
}

function countEmitted(metrics: RuntimeMetrics, emissions: readonly OutboundEvent[]): void {
  const tally = new Tally<OutboundEvent>();
  for (const event of emissions) {
    tally.add(event.type === 'segment-changed' ? `s\0${event.dimension}\0${event.to}` : `c\0${event.level}`, event);
  }
  for (const [event, count] of tally) metrics.emitted(event, count);
}
