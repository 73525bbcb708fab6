/**
 * A kafkajs partition assigner that keeps partition n of every subscribed topic on
 * one member. A customer's state lives with partition n (its key hashes there on
 * all five inbound topics and the internal topic), so one owner must see all of
 * them — kafkajs's default round-robin assigner spreads them across members
 * (Kafka Streams has its own assignor for the same reason).
 *
 * Partition numbers are dealt to the members sorted by id, so every member
 * computes the same answer. Topics with different partition counts are refused:
 * they cannot be co-partitioned (the service checks this at start-up too, with a
 * clearer message).
 */
import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

export const CO_PARTITION_ASSIGNER_NAME = 'ClvstreamCoPartition';

/** Pure core: partition numbers per member for `partitionCount` co-partitioned partitions. */
export function dealPartitions(memberIds: readonly string[], partitionCount: number): Map<string, number[]> {
  const members = [...memberIds].sort();
  const dealt = new Map<string, number[]>(members.map((m) => [m, []]));
  for (let p = 0; p < partitionCount; p++) {
    const owner = members[p % members.length];
    if (owner !== undefined) dealt.get(owner)?.push(p);
  }
  return dealt;
}

export const coPartitionAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITION_ASSIGNER_NAME,
  version: 1,
  assign({ members, topics }) {
    const counts = new Map(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).length]));
    const distinct = new Set(counts.values());
    if (distinct.size > 1) {
      const detail = [...counts].map(([t, n]) => `${t}=${n}`).join(', ');
      return Promise.reject(new Error(`topics are not co-partitioned (partition counts differ: ${detail})`));
    }
    const partitionCount = distinct.values().next().value ?? 0;
    const dealt = dealPartitions(
      members.map((m) => m.memberId),
      partitionCount,
    );
    return Promise.resolve(
      members.map(({ memberId }) => {
        const partitions = dealt.get(memberId) ?? [];
        const assignment = Object.fromEntries(topics.map((t) => [t, partitions]));
        return {
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment, userData: Buffer.alloc(0) }),
        };
      }),
    );
  },
  protocol({ topics }) {
    return {
      name: CO_PARTITION_ASSIGNER_NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    };
  },
});
