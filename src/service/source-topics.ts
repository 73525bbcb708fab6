/**
 * The topics a processor reads, in the order that breaks event-time ties in the
 * partition merge: the five inbound topics, then the internal topic. The order is
 * part of the processing result (two records with the same event time are
 * applied purchase before return, ...), so it is fixed here, not configurable.
 */
import type { Settings } from '../config/settings.js';
import type { InboundType } from '../contracts/inbound.js';

export interface SourceTopic {
  readonly topic: string;
  /** Merge queue index: the tie-break rank. */
  readonly queue: number;
  /** The inbound type the topic carries, or 'internal' for the repartition topic. */
  readonly carries: InboundType | 'internal';
}

export type SourceTopicSettings = Pick<
  Settings,
  'TOPIC_PURCHASE' | 'TOPIC_RETURN' | 'TOPIC_REFERRAL' | 'TOPIC_CANCELLATION' | 'TOPIC_FEEDBACK' | 'TOPIC_INTERNAL'
>;

export function sourceTopicsOf(settings: SourceTopicSettings): SourceTopic[] {
  const list: [string, SourceTopic['carries']][] = [
    [settings.TOPIC_PURCHASE, 'purchase'],
    [settings.TOPIC_RETURN, 'return'],
    [settings.TOPIC_REFERRAL, 'referral'],
    [settings.TOPIC_CANCELLATION, 'cancellation'],
    [settings.TOPIC_FEEDBACK, 'feedback'],
    [settings.TOPIC_INTERNAL, 'internal'],
  ];
  const names = new Set(list.map(([topic]) => topic));
  if (names.size !== list.length) {
    throw new RangeError(`the five inbound topics and the internal topic must be six different topics; got ${list.map(([t]) => t).join(', ')}`);
  }
  return list.map(([topic, carries], queue) => ({ topic, queue, carries }));
}
