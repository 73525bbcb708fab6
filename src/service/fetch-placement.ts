/**
 * Where a fetched batch of one topic-partition falls against the runner's own
 * position for it (`from`: the next offset the partition's merge has not yet
 * taken). The runner's position is the truth; kafkajs' fetch position only
 * follows it through seeks, and can be elsewhere for a while:
 *
 * - behind, after a rejoin or a consumer restart (kafkajs starts again from
 *   the group's committed offsets, which trail Redis), or when a fetch
 *   answered from an older position arrives after a seek (a partition whose
 *   leader moved has had fetches in flight to two brokers);
 * - ahead, when the broker no longer has [from, first) (retention) or the
 *   records there are not delivered (transaction markers), or when a fetch
 *   predates our own seek.
 *
 * The position never moves backwards: a batch wholly behind it carries
 * nothing new, and taking its end as the new position would make the records
 * after it be fetched, merged and applied a second time.
 */
export type Placement =
  /** Take the records at or after `from`; the position becomes `next`. */
  | { readonly kind: 'take'; readonly next: bigint; readonly gapSkipped: boolean }
  /**
   * Nothing new: leave the position and the merge as they are. `seek`: bring
   * kafkajs to `from`; false when `from` is past the log's end (a topic
   * recreated, a log that lost its tail), where a seek would only be reset to
   * the log start again: let kafkajs read on to `from` instead.
   */
  | { readonly kind: 'behind'; readonly seek: boolean }
  /** Starts past `from` (at `at`) for the first time: seek to `from` and take nothing yet. */
  | { readonly kind: 'ahead'; readonly at: bigint };

/**
 * @param from       the runner's position (next offset it has not taken)
 * @param first      offset of the batch's first delivered record (undefined: none delivered)
 * @param last       the batch's last offset, as kafkajs reports it
 * @param gapSeenAt  the first offset of an earlier batch that started past `from` (if any)
 * @param high       the partition's high watermark (log end) the fetch reported
 */
export function placeBatch(from: bigint, first: bigint | undefined, last: bigint, gapSeenAt: bigint | undefined, high: bigint): Placement {
  if (last < from) return { kind: 'behind', seek: from <= high };
  if (first !== undefined && first > from) {
    // The second batch in a row to start at the same place past `from`: the
    // broker does not have the gap (or will not deliver it); take what it has.
    if (gapSeenAt !== first) return { kind: 'ahead', at: first };
    return { kind: 'take', next: last + 1n, gapSkipped: true };
  }
  return { kind: 'take', next: last + 1n, gapSkipped: false };
}
