// The re-score's rate bound: after a chunk, the pause that keeps a partition
// at RESCORE_CUSTOMERS_PER_SECOND (the time the chunk itself took counts).
import { describe, expect, it } from 'vitest';
import { pauseAfterChunk } from '../../src/service/rescore.js';

describe('pauseAfterChunk', () => {
  it('spreads chunks so that customers per second stay at the bound', () => {
    expect(pauseAfterChunk(200, 1_000, 5_000, 5_000)).toBe(200);
    expect(pauseAfterChunk(200, 1_000, 5_000, 5_050)).toBe(150);
    expect(pauseAfterChunk(1, 4, 0, 0)).toBe(250);
  });

  it('does not pause after a chunk that took longer than its share', () => {
    expect(pauseAfterChunk(200, 1_000, 5_000, 5_300)).toBe(0);
    expect(pauseAfterChunk(0, 1_000, 5_000, 5_000)).toBe(0);
  });
});
