import { AssignerProtocol } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { coPartitionAssigner, dealPartitions } from '../../src/kafka/co-partition-assigner.js';

describe('dealPartitions', () => {
  it('gives every partition number to exactly one member, evenly, whatever the member order', () => {
    const a = dealPartitions(['m2', 'm1', 'm3'], 8);
    expect(a).toEqual(
      new Map([
        ['m1', [0, 3, 6]],
        ['m2', [1, 4, 7]],
        ['m3', [2, 5]],
      ]),
    );
    expect(dealPartitions(['m3', 'm1', 'm2'], 8)).toEqual(a);
  });

  it('leaves extra members idle', () => {
    expect(dealPartitions(['a', 'b', 'c'], 2)).toEqual(new Map([['a', [0]], ['b', [1]], ['c', []]]));
  });
});

function clusterWith(counts: Record<string, number>) {
  return {
    findTopicPartitionMetadata: (topic: string) => Array.from({ length: counts[topic] ?? 0 }, (_, i) => ({ partitionId: i })),
  } as unknown as Parameters<typeof coPartitionAssigner>[0]['cluster'];
}

describe('coPartitionAssigner', () => {
  const members = [
    { memberId: 'b', memberMetadata: Buffer.alloc(0) },
    { memberId: 'a', memberMetadata: Buffer.alloc(0) },
  ];

  it('assigns partition n of every topic to the same member', async () => {
    const assigner = coPartitionAssigner({ cluster: clusterWith({ purchases: 4, returns: 4, internal: 4 }), groupId: 'g', logger: undefined as never });
    const result = await assigner.assign({ members, topics: ['purchases', 'returns', 'internal'] });
    const decoded = Object.fromEntries(
      result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment]),
    );
    expect(decoded).toEqual({
      a: { purchases: [0, 2], returns: [0, 2], internal: [0, 2] },
      b: { purchases: [1, 3], returns: [1, 3], internal: [1, 3] },
    });
  });

  it('refuses topics whose partition counts differ', async () => {
    const assigner = coPartitionAssigner({ cluster: clusterWith({ purchases: 4, returns: 6 }), groupId: 'g', logger: undefined as never });
    await expect(assigner.assign({ members, topics: ['purchases', 'returns'] })).rejects.toThrow(
      'topics are not co-partitioned (partition counts differ: purchases=4, returns=6)',
    );
  });
});
