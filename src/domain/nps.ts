import type { NpsCategory } from '../contracts/segments.js';

/** Net Promoter categories: promoter 9–10, passive 7–8, detractor 0–6. */
export function npsCategory(score: number): NpsCategory {
  if (score >= 9) return 'promoter';
  if (score >= 7) return 'passive';
  return 'detractor';
}
