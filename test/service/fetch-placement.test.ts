import { describe, expect, it } from 'vitest';
import { placeBatch } from '../../src/service/fetch-placement.js';

describe('placeBatch: a fetched batch against the runner position', () => {
  // Regression: a batch wholly behind the position (kafkajs fetching from the
  // group's committed offsets after a rejoin, or a fetch answered from before a
  // seek) used to set the position to its end, backwards. The records after it
  // were then fetched and merged again, and a batch mixing them with new records
  // of another topic was committed: counted twice (CI, the broker-faults test).
  it('takes nothing from a batch wholly behind the position and leaves the position', () => {
    expect(placeBatch(1_000n, 800n, 899n, undefined, 1_200n)).toEqual({ kind: 'behind', seek: true });
    expect(placeBatch(1_000n, 999n, 999n, undefined, 1_000n)).toEqual({ kind: 'behind', seek: true });
    expect(placeBatch(1_000n, undefined, 950n, undefined, 1_200n)).toEqual({ kind: 'behind', seek: true });
  });

  it('reads on instead of seeking when the position is past the log end (a seek there would be reset to the log start)', () => {
    expect(placeBatch(1_000n, 0n, 99n, undefined, 400n)).toEqual({ kind: 'behind', seek: false });
  });

  it('takes a batch that starts at or before the position and reaches it, up to its end', () => {
    expect(placeBatch(1_000n, 1_000n, 1_099n, undefined, 2_000n)).toEqual({ kind: 'take', next: 1_100n, gapSkipped: false });
    expect(placeBatch(1_000n, 900n, 1_000n, undefined, 2_000n)).toEqual({ kind: 'take', next: 1_001n, gapSkipped: false });
    // No record delivered, but the batch ends at or after the position (filtered markers).
    expect(placeBatch(1_000n, undefined, 1_004n, undefined, 2_000n)).toEqual({ kind: 'take', next: 1_005n, gapSkipped: false });
  });

  it('seeks back once for a batch past the position; the same start twice is a gap the broker does not have', () => {
    expect(placeBatch(1_000n, 1_200n, 1_299n, undefined, 2_000n)).toEqual({ kind: 'ahead', at: 1_200n });
    expect(placeBatch(1_000n, 1_200n, 1_299n, 1_200n, 2_000n)).toEqual({ kind: 'take', next: 1_300n, gapSkipped: true });
    // A different start is a different situation: seek back again.
    expect(placeBatch(1_000n, 1_250n, 1_299n, 1_200n, 2_000n)).toEqual({ kind: 'ahead', at: 1_250n });
  });

  it('never moves the position backwards, whatever the batch', () => {
    const offsets = [0n, 1n, 5n, 9n, 10n, 11n, 20n];
    for (const from of offsets)
      for (const first of [undefined, ...offsets])
        for (const last of offsets) {
          if (first !== undefined && last < first) continue;
          for (const seen of [undefined, first]) {
            const placement = placeBatch(from, first, last, seen, 15n);
            if (placement.kind === 'take') expect(placement.next, `from ${from}, batch ${first}..${last}`).toBeGreaterThan(from);
          }
        }
  });
});
