/**
 * The topics a processor reads, in the order that breaks event-time ties in the
 * partition merge: the five original inbound topics, the internal topic, then the
 * service-interaction topic. The order is part of the processing result (two
 * records with the same event time are applied purchase before return, ...), so
 * it is fixed here, not configurable. The interaction topic came later and is
 * last, so a deployment that has not created it keeps every other rank.
 *
 * The interaction topic is optional: a deployment that has not created it yet
 * runs without it (topology.ts), the others are required.
 */
import type { Settings } from '../config/settings.js';
import type { InboundType } from '../contracts/inbound.js';

export interface SourceTopic {
  readonly topic: string;
  /** Merge queue index: the tie-break rank. */
  readonly queue: number;
  /** The inbound type the topic carries, or 'internal' for the repartition topic. */
  readonly carries: InboundType | 'internal';
  /** Read when it exists; its absence is a warning, not a start-up failure. */
  readonly optional: boolean;
}

export type SourceTopicSettings = Pick<
  Settings,
  'TOPIC_PURCHASE' | 'TOPIC_RETURN' | 'TOPIC_REFERRAL' | 'TOPIC_CANCELLATION' | 'TOPIC_FEEDBACK' | 'TOPIC_INTERNAL' | 'TOPIC_INTERACTION'
>;

export function sourceTopicsOf(settings: SourceTopicSettings): SourceTopic[] {
  const list: [string, SourceTopic['carries']][] = [
    [settings.TOPIC_PURCHASE, 'purchase'],
    [settings.TOPIC_RETURN, 'return'],
    [settings.TOPIC_REFERRAL, 'referral'],
    [settings.TOPIC_CANCELLATION, 'cancellation'],
    [settings.TOPIC_FEEDBACK, 'feedback'],
    [settings.TOPIC_INTERNAL, 'internal'],
    [settings.TOPIC_INTERACTION, 'interaction'],
  ];
  const names = new Set(list.map(([topic]) => topic));
  if (names.size !== list.length) {
    throw new RangeError(`the six inbound topics and the internal topic must be seven different topics; got ${list.map(([t]) => t).join(', ')}`);
  }
  return list.map(([topic, carries], queue) => ({ topic, queue, carries, optional: carries === 'interaction' }));
}

/**
 * The sources without the optional ones the broker does not have. Only the
 * last ranks are optional, so the queue numbers of the rest stay dense.
 */
export function presentSources(sources: readonly SourceTopic[], missing: ReadonlySet<string>): SourceTopic[] {
  const present = sources.filter((s) => !(s.optional && missing.has(s.topic)));
  present.forEach((s, i) => {
    if (s.queue !== i) throw new RangeError(`source ${s.topic} has rank ${s.queue} after an absent optional topic`);
  });
  return present;
}
