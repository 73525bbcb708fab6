/**
 * RFM scores and the named RFM segment.
 *
 * Scores are 1–5 from four population cut points per measure (quintile bounds,
 * refreshed by the fitting job). A value equal to a cut point belongs to the lower
 * score. Recency scores the other way round: fewer days since the last purchase is
 * better. The segment is a cell of a 5 × 5 grid over R and FM = round((F + M) / 2),
 * so every buying customer has exactly one segment.
 */
import type { RfmSegment } from '../contracts/segments.js';
import type { CutPoints } from './parameters.js';

export type Score = 1 | 2 | 3 | 4 | 5;

function bucket(value: number, cuts: readonly number[]): Score {
  let above = 0;
  for (const cut of cuts) if (value > cut) above++;
  return Math.min(5, above + 1) as Score;
}

export function recencyScore(recencyDays: number, cuts: CutPoints): Score {
  return (6 - bucket(recencyDays, cuts.recency)) as Score;
}

export function frequencyScore(orders: number, cuts: CutPoints): Score {
  return bucket(orders, cuts.frequency);
}

export function monetaryScore(netMinor: number, cuts: CutPoints): Score {
  return bucket(netMinor, cuts.monetary);
}

export function rfmSegment(r: Score, f: Score, m: Score, grid: readonly (readonly RfmSegment[])[]): RfmSegment {
  const fm = Math.round((f + m) / 2);
  const segment = grid[r - 1]?.[fm - 1];
  if (segment === undefined) throw new Error(`RFM grid has no cell for R=${r}, FM=${fm}`);
  return segment;
}

/** Days after the last purchase at which the R score next drops, or null when it is already 1. */
export function nextRecencyDrop(recencyDays: number, cuts: CutPoints): number | null {
  for (const cut of cuts.recency) if (cut >= recencyDays) return cut + 1;
  return null;
}
