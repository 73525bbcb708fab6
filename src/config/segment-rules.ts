/**
 * Segment rules from a file (SEGMENT_RULES_FILE, YAML or JSON): the RFM grid,
 * the value-quadrant thresholds and the relationship-ladder rules. The shipped
 * config/segment-rules.yaml holds the built-in defaults (a test keeps them
 * equal). A file that does not parse or breaks a rule is refused with the rule
 * and field named (ConfigError: exit code 2 at start-up). A digest of the
 * validated rules joins the model version (domain/model-version.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { RFM_SEGMENTS } from '../contracts/segments.js';
import type { DomainParameters, LadderRules, QuadrantRules } from '../domain/parameters.js';
import { ConfigError } from './config-error.js';

const score = z.number().int({ message: 'a whole score 1–5' }).min(1, { message: 'a score 1–5' }).max(5, { message: 'a score 1–5' });
const share = z.number().min(0, { message: 'a share 0–1' }).max(1, { message: 'a share 0–1' });

const rowSchema = z.array(z.enum(RFM_SEGMENTS, { message: `one of ${RFM_SEGMENTS.join(', ')}` })).length(5, { message: 'five segments, one per FM score 1–5' });

export const segmentRulesSchema = z.strictObject({
  rfm_grid: z.array(rowSchema).length(5, { message: 'five rows, one per R score 1–5' }),
  quadrant: z.strictObject({
    loyal_min_f_score: score,
    loyal_min_r_score: score,
    profitable_min_m_score: score,
    max_return_rate: share,
    max_discount_share: share,
  }),
  ladder: z.strictObject({
    partner_min_referrals: z.number().int({ message: 'a whole number' }).min(0, { message: 'a whole number ≥ 0' }),
    partner_min_m_score: score,
  }),
});

export type SegmentRulesFile = z.infer<typeof segmentRulesSchema>;

export interface SegmentRules {
  readonly rfmGrid: DomainParameters['rfmGrid'];
  readonly quadrant: QuadrantRules;
  readonly ladder: LadderRules;
  /** 12 hex digits of SHA-256 over the validated rules (canonical JSON): not the file's layout or comments. */
  readonly digest: string;
}

/** Where a zod issue points, as `rule.field` (rows and columns of the grid named as R and FM scores). */
function where(path: readonly PropertyKey[]): string {
  if (path[0] === 'rfm_grid' && path.length >= 2) return `rfm_grid R=${Number(path[1]) + 1}${path.length >= 3 ? ` FM=${Number(path[2]) + 1}` : ''}`;
  return path.map(String).join('.') || '(file)';
}

/** Validates parsed rules; throws ConfigError naming `source`, the rule and the field. */
export function segmentRulesFrom(value: unknown, source: string): SegmentRules {
  const parsed = segmentRulesSchema.safeParse(value);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `SEGMENT_RULES_FILE ${source}: ${where(i.path)}: ${i.message}`));
  }
  const r = parsed.data;
  return {
    rfmGrid: r.rfm_grid,
    quadrant: {
      loyalMinFScore: r.quadrant.loyal_min_f_score,
      loyalMinRScore: r.quadrant.loyal_min_r_score,
      profitableMinMScore: r.quadrant.profitable_min_m_score,
      maxReturnRate: r.quadrant.max_return_rate,
      maxDiscountShare: r.quadrant.max_discount_share,
    },
    ladder: { partnerMinReferrals: r.ladder.partner_min_referrals, partnerMinMScore: r.ladder.partner_min_m_score },
    digest: createHash('sha256').update(JSON.stringify([r.rfm_grid, r.quadrant, r.ladder])).digest('hex').slice(0, 12),
  };
}

/** Reads and validates a rules file (YAML, or JSON, which YAML reads too). */
export function loadSegmentRules(path: string): SegmentRules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`SEGMENT_RULES_FILE ${path}: ${(err as Error).message}`]);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`SEGMENT_RULES_FILE ${path}: not YAML or JSON: ${(err as Error).message}`]);
  }
  return segmentRulesFrom(value, path);
}

/** The configuration with the file's rules in place of the built-in ones. */
export function withSegmentRules(parameters: DomainParameters, rules: SegmentRules): DomainParameters {
  return { ...parameters, rfmGrid: rules.rfmGrid, quadrant: rules.quadrant, ladder: rules.ladder, rulesDigest: rules.digest };
}
