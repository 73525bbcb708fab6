// The shipped alerting rules (deploy/prometheus/alerts.yml) are valid and do
// what they say: `promtool check rules` and the rule unit tests in
// deploy/prometheus/alerts.test.yml, run by promtool (Debian's `prometheus`
// package, installed by scripts/ensure-tools.sh when missing).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { METRIC_NAMES } from '../../src/ops/metric-names.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RULES = join(ROOT, 'deploy/prometheus/alerts.yml');

function promtool(args: string[]) {
  const result = spawnSync('promtool', args, { cwd: join(ROOT, 'deploy/prometheus'), encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('alerting rules', { timeout: 300_000 }, () => {
  beforeAll(() => {
    execFileSync('bash', ['scripts/ensure-tools.sh'], { cwd: ROOT, stdio: 'inherit' });
  }, 600_000);

  it('pass promtool check rules', () => {
    const run = promtool(['check', 'rules', RULES]);
    expect(run.output).toContain('SUCCESS: 9 rules found');
    expect(run.status).toBe(0);
  });

  it('pass their unit tests: each fires on its situation and stays quiet on the normal one', () => {
    const run = promtool(['test', 'rules', 'alerts.test.yml']);
    expect(run.output).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });

  it('cover what the issue asks for, on metrics clvstream exports', () => {
    const doc = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual([
      'ClvstreamInstanceDown',
      'ClvstreamNotReady',
      'ClvstreamConsumerLagGrowing',
      'ClvstreamCommitFailures',
      'ClvstreamRecordsSkippedForRetention',
      'ClvstreamOutboxGrowing',
      'ClvstreamPartitionWaiting',
      'ClvstreamDeadLetterRateHigh',
      'ClvstreamModelStale',
    ]);
    const used = new Set(rules.flatMap((r) => r.expr.match(/clvstream_[a-z_]+/g) ?? []));
    for (const name of used) expect(METRIC_NAMES as readonly string[], name).toContain(name);
  });

  it("docker-compose's Prometheus loads them", () => {
    const config = parse(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as { rule_files: string[] };
    expect(config.rule_files).toEqual(['alerts.yml']); // relative to prometheus.yml
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: { prometheus: { volumes: string[] } } };
    expect(compose.services.prometheus.volumes).toContain('./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro');
  });
});
