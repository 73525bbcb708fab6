import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../src/config/config-error.js';
import { domainParametersFrom } from '../../src/config/runtime-parameters.js';
import { loadSegmentRules, segmentRulesFrom } from '../../src/config/segment-rules.js';
import { loadSettings } from '../../src/config/load.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import { evaluate } from '../../src/domain/profile.js';
import { DAY0, fold, purchase } from '../domain/fixtures.js';

const SHIPPED = new URL('../../config/segment-rules.yaml', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'clvtest-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shipped = () => parseYaml(readFileSync(SHIPPED, 'utf8')) as { rfm_grid: string[][]; quadrant: Record<string, number>; ladder: Record<string, number> };

function refusal(value: unknown): string[] {
  try {
    segmentRulesFrom(value, 'rules.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('accepted');
}

describe('segment rules files', () => {
  it('ships the built-in rules as the default file', () => {
    const rules = loadSegmentRules(SHIPPED.pathname);
    expect(rules.rfmGrid).toEqual(defaultDomainParameters.rfmGrid);
    expect(rules.quadrant).toEqual(defaultDomainParameters.quadrant);
    expect(rules.ladder).toEqual(defaultDomainParameters.ladder);
  });

  it('refuses a broken rule naming the rule and the field', () => {
    const badShare = shipped();
    badShare.quadrant['max_return_rate'] = 2;
    expect(refusal(badShare)).toEqual(['SEGMENT_RULES_FILE rules.yaml: quadrant.max_return_rate: a share 0–1']);
    const badCell = shipped();
    badCell.rfm_grid[1]![2] = 'vip';
    expect(refusal(badCell)[0]).toMatch(/^SEGMENT_RULES_FILE rules\.yaml: rfm_grid R=2 FM=3: one of champions, /);
    const shortRow = shipped();
    shortRow.rfm_grid[4] = ['champions'];
    expect(refusal(shortRow)).toEqual(['SEGMENT_RULES_FILE rules.yaml: rfm_grid R=5: five segments, one per FM score 1–5']);
    const unknown = { ...shipped(), ladder: { partner_min_referrals: 3, partner_min_m_score: 5, partner_min_nps: 9 } };
    expect(refusal(unknown)[0]).toMatch(/^SEGMENT_RULES_FILE rules\.yaml: ladder: .*partner_min_nps/);
    const { quadrant: _dropped, ...missing } = shipped();
    expect(refusal(missing)[0]).toMatch(/^SEGMENT_RULES_FILE rules\.yaml: quadrant: /);
  });

  it('refuses a file that is not YAML or cannot be read', () => {
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, 'rfm_grid: [unclosed\n');
    expect(() => loadSegmentRules(path)).toThrow(/SEGMENT_RULES_FILE .*broken\.yaml: not YAML or JSON/);
    expect(() => loadSegmentRules(join(dir, 'missing.yaml'))).toThrow(/SEGMENT_RULES_FILE .*missing\.yaml: ENOENT/);
  });

  it('scores with the file’s rules, and their content joins the model version', () => {
    const changed = shipped();
    changed.rfm_grid[4]![0] = 'promising'; // R = 5, FM = 1: a new customer is "promising" here
    const path = join(dir, 'rules.json');
    writeFileSync(path, JSON.stringify(changed));
    const parameters = domainParametersFrom(loadSettings({ env: { SEGMENT_RULES_FILE: path } }));
    const { state } = fold([purchase('n', 0, 1_000)]);
    expect(evaluate(state, DAY0, UNFITTED_MODEL, defaultDomainParameters).segments.rfm_segment).toBe('new_customers');
    const p = evaluate(state, DAY0, UNFITTED_MODEL, parameters);
    expect(p.segments.rfm_segment).toBe('promising');
    expect(p.modelVersion).toMatch(/^unfitted\+rules-[0-9a-f]{12}$/);
    // The same rules in another layout (the shipped YAML with the same change) give the same version; other rules another.
    expect(segmentRulesFrom(changed, 'x').digest).toBe(p.modelVersion.slice('unfitted+rules-'.length));
    expect(segmentRulesFrom(shipped(), 'x').digest).not.toBe(segmentRulesFrom(changed, 'x').digest);
    // Without a file the version is the model's alone.
    expect(evaluate(state, DAY0, UNFITTED_MODEL, domainParametersFrom(loadSettings({ env: {} }))).modelVersion).toBe('unfitted');
  });

  it('stops start-up on an invalid file (exit 2 through ConfigError)', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, readFileSync(SHIPPED, 'utf8').replace('loyal_min_f_score: 3', 'loyal_min_f_score: 7'));
    expect(() => domainParametersFrom(loadSettings({ env: { SEGMENT_RULES_FILE: path } }))).toThrow(/quadrant\.loyal_min_f_score: a score 1–5/);
  });
});
