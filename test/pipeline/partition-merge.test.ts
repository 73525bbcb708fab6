import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionMerge, type MergeRecord } from '../../src/pipeline/partition-merge.js';

const rec = (queue: number, offset: number, time: number): MergeRecord<string> => ({
  queue,
  offset: BigInt(offset),
  time,
  item: `${queue}@${offset}`,
});

function drain(merge: PartitionMerge<string>, now = 0): string[] {
  const out: string[] = [];
  for (let r = merge.next(now); r !== undefined; r = merge.next(now)) out.push(r.item);
  return out;
}

describe('PartitionMerge', () => {
  it('takes the smallest (event time, queue, offset) among the heads', () => {
    const merge = new PartitionMerge<string>(3, 1000);
    merge.push(0, [rec(0, 10, 5), rec(0, 11, 9)], true);
    merge.push(1, [rec(1, 3, 5), rec(1, 4, 6)], true);
    merge.push(2, [rec(2, 0, 1)], true);
    expect(drain(merge)).toEqual(['2@0', '0@10', '1@3', '1@4', '0@11']);
  });

  it('waits for a queue that is neither buffered nor caught up, then passes it over after maxWaitMs', () => {
    const merge = new PartitionMerge<string>(2, 1000);
    merge.push(0, [rec(0, 0, 5)], true);
    expect(merge.next(0)).toBeUndefined();
    expect(merge.next(999)).toBeUndefined();
    expect(merge.next(1000)?.item).toBe('0@0');
    expect(merge.passedOver).toBe(1);
  });

  it('takes records without event time (rejections) as soon as they are at a head', () => {
    const merge = new PartitionMerge<string>(2, 1000);
    merge.push(0, [rec(0, 0, 50)], true);
    merge.push(1, [rec(1, 0, -Infinity), rec(1, 1, 60)], true);
    expect(drain(merge)).toEqual(['1@0', '0@0', '1@1']);
  });

  it('is deterministic: however the same records are split into fetches, the order is the same', () => {
    const queueContents = fc.array(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 12 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(queueContents, fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 8 }), (times, chunkSizes) => {
        const records = times.map((ts, q) => ts.map((_, i) => rec(q, i, Math.min(...ts.slice(0, i + 1)) + i)));
        const whole = new PartitionMerge<string>(records.length, 1e9);
        records.forEach((rs, q) => whole.push(q, rs, true));
        const expected = drain(whole);

        const chunked = new PartitionMerge<string>(records.length, 1e9);
        const cursors = records.map(() => 0);
        const out: string[] = [];
        for (let round = 0; out.length < expected.length && round < 1000; round++) {
          records.forEach((rs, q) => {
            const size = chunkSizes[(round + q) % chunkSizes.length] ?? 1;
            const chunk = rs.slice(cursors[q], (cursors[q] ?? 0) + size);
            cursors[q] = (cursors[q] ?? 0) + chunk.length;
            chunked.push(q, chunk, cursors[q] === rs.length);
          });
          out.push(...drain(chunked));
        }
        expect(out).toEqual(expected);
      }),
    );
  });
});
