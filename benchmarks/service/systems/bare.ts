/**
 * The ceiling of the consume path: a kafkajs consumer group member whose
 * eachBatch only counts the records. It does not even parse them.
 */
import type { EachBatchHandler } from 'kafkajs';
import type { Tracker } from './tracker.js';

export function bareEachBatch(tracker: Tracker): EachBatchHandler {
  return ({ batch }) => {
    if (!tracker.liveMode) {
      tracker.done(batch.messages.length);
    } else {
      let n = 0;
      for (const m of batch.messages) if (!tracker.skip(batch.topic, batch.partition, m.offset)) n++;
      tracker.done(n);
    }
    return Promise.resolve();
  };
}
