import { describe, expect, it } from 'vitest';
import { RFM_SEGMENTS } from '../../src/contracts/segments.js';
import { defaultDomainParameters, DEFAULT_RFM_GRID } from '../../src/domain/parameters.js';
import type { ModelSnapshot } from '../../src/domain/model-snapshot.js';
import { frequencyScore, monetaryScore, nextRecencyDrop, recencyScore, rfmSegment, type Score } from '../../src/domain/rfm.js';
import { ctxWith, fold, purchase, returned, timerAt } from './fixtures.js';

const cuts = defaultDomainParameters.defaultCutPoints; // recency [30, 90, 180, 365], F [1, 2, 3, 5], M [5000, 15000, 40000, 100000]

describe('RFM scores at the cut points (a value equal to a cut belongs to the lower score)', () => {
  it.each([
    [0, 5],
    [30, 5],
    [31, 4],
    [90, 4],
    [91, 3],
    [180, 3],
    [181, 2],
    [365, 2],
    [366, 1],
    [10_000, 1],
  ])('recency %i days → R %i (reversed: fewer days score higher)', (days, score) => {
    expect(recencyScore(days, cuts)).toBe(score);
  });

  it.each([
    [0, 1],
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
    [5, 4],
    [6, 5],
  ])('%i orders → F %i', (orders, score) => {
    expect(frequencyScore(orders, cuts)).toBe(score);
  });

  it.each([
    [-500, 1],
    [5000, 1],
    [5001, 2],
    [15_000, 2],
    [15_001, 3],
    [40_000, 3],
    [40_001, 4],
    [100_000, 4],
    [100_001, 5],
  ])('net %i minor → M %i', (minor, score) => {
    expect(monetaryScore(minor, cuts)).toBe(score);
  });
});

describe('RFM segment: grid[R − 1][round((F + M) / 2) − 1]', () => {
  it.each([
    [5, 1, 1, 'new_customers'], // FM = 1
    [5, 5, 5, 'champions'],
    [1, 1, 1, 'lost'],
    [1, 5, 5, 'cant_lose_them'],
    [2, 2, 3, 'at_risk'], // FM = round(2.5) = 3 → row R=2, column 3
    [3, 1, 2, 'need_attention'], // FM = round(1.5) = 2
    [4, 3, 4, 'loyal_customers'], // FM = round(3.5) = 4
    [4, 1, 1, 'promising'],
    [3, 1, 1, 'about_to_sleep'],
    [2, 1, 1, 'hibernating'],
    [2, 2, 1, 'about_to_sleep'], // FM = round(1.5) = 2
  ] as const)('R%i F%i M%i → %s', (r, f, m, segment) => {
    expect(rfmSegment(r, f, m, DEFAULT_RFM_GRID)).toBe(segment);
  });

  it('has a segment for every one of the 125 score combinations', () => {
    const scores: Score[] = [1, 2, 3, 4, 5];
    for (const r of scores) for (const f of scores) for (const m of scores) {
      expect(RFM_SEGMENTS).toContain(rfmSegment(r, f, m, DEFAULT_RFM_GRID));
    }
  });

  it('throws on a grid without the cell (a configuration error, never silent)', () => {
    expect(() => rfmSegment(5, 5, 5, [['lost']])).toThrow(/R=5, FM=5/);
  });
});

describe('next recency drop', () => {
  it.each([
    [0, 31],
    [30, 31],
    [31, 91],
    [364, 366],
    [365, 366],
  ])('at recency %i the R score next drops after %i days', (recency, drop) => {
    expect(nextRecencyDrop(recency, cuts)).toBe(drop);
  });

  it('is null once R is 1', () => {
    expect(nextRecencyDrop(366, cuts)).toBeNull();
  });
});

describe('scores in the profile', () => {
  it('use the fitted model cut points when it has them', () => {
    const model: ModelSnapshot = {
      version: 'cuts-1',
      bgnbd: null,
      gammaGamma: null,
      cutPoints: { recency: [1, 2, 3, 4], frequency: [0, 0, 0, 0], monetary: [0, 1, 2, 3] },
    };
    const { state } = fold([purchase('c', 0, 2)], ctxWith({}, model));
    // recency 3 → above cuts 1 and 2 → bucket 3 → R = 6 − 3 = 3; F: 1 order > all four 0s → 5;
    // M: 2 > 0 and 1 → 3
    const p = timerAt(state, 3, ctxWith({}, model)).profile;
    expect(p?.scores).toEqual({ r: 3, f: 5, m: 3 });
    expect(p?.modelVersion).toBe('cuts-1');
  });

  it('score monetary on net revenue (gross − refunds)', () => {
    const { last } = fold([
      purchase('c', 0, 15_001, { orderId: 'A' }), // M = 3 alone
      returned('c', 0, 2, 'A'),
    ]);
    // net = 15001 − 2 = 14999 → M = 2
    expect(last.profile?.monetaryMinor).toBe(14_999);
    expect(last.profile?.scores?.m).toBe(2);
  });
});
