// `clvstream generate` end to end in JSON-lines mode, through the real command
// line (the TypeScript sources run by tsx in a child process).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INBOUND_TYPES } from '../../src/contracts/inbound.js';
import { decodeBytes } from '../../src/ingest/decode.js';
import { GENERATED_TRAFFIC_RULES } from '../support/ingest-rules.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const scratch = mkdtempSync(join(tmpdir(), 'clvstream-generate-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function clvstream(args: string[]): Run {
  const env = { ...process.env };
  delete env['CLVSTREAM_CONFIG'];
  delete env['BASE_CURRENCY'];
  const result = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

type Run = { status: number | null; stdout: string; stderr: string };
const RUN = ['generate', '--customers', '250', '--rate', '400', '--duration', '5', '--seed', '11', '--end', '2035-01-01'];

// Each case starts one or more Node processes (about a second each).
describe('clvstream generate --out', { timeout: 60_000 }, () => {
  let first: Run;
  beforeAll(() => {
    first = clvstream([...RUN, '--out', '-']);
  }, 60_000);

  it('writes rate × duration valid events of every type as JSON lines, and a summary on stderr', () => {
    expect(first.stderr).toContain('"generate"');
    expect(first.status).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines).toHaveLength(2000);
    const types = new Set<string>();
    for (const line of lines) {
      const decoded = decodeBytes(Buffer.from(line), null, GENERATED_TRAFFIC_RULES, Date.parse('2100-01-01T00:00:00Z'));
      if (decoded.tag !== 'input') throw new Error(`${line}: ${decoded.rejection.message}`);
      types.add(decoded.event.type);
    }
    expect([...types].sort()).toEqual([...INBOUND_TYPES].sort());
    const summary = JSON.parse(first.stderr.trim().split('\n').at(-1) ?? '{}') as { generate: { events: number; stopped_by: string } };
    expect(summary.generate).toMatchObject({ events: 2000, stopped_by: 'count' });
  });

  it('is deterministic: the same seed writes the same file; another seed does not', () => {
    const file = join(scratch, 'events.jsonl');
    const again = clvstream([...RUN, '--out', file]);
    expect(again.status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(first.stdout);
    const other = clvstream([...RUN.slice(0, -4), '--seed', '12', '--end', '2035-01-01', '--out', '-']);
    expect(other.status).toBe(0);
    expect(other.stdout).not.toBe(first.stdout);
  });

  it('stops at --end', () => {
    const out = clvstream([...RUN.slice(0, -1), '2024-03-31', '--out', '-']);
    expect(out.status).toBe(0);
    const times = out.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { occurred_at: string }).occurred_at);
    expect(times.length).toBeGreaterThan(0);
    expect(times.length).toBeLessThan(2000);
    expect(times.every((t) => t < '2024-04-01')).toBe(true);
  });

  it('a wrong command line exits 2 with the reason', () => {
    const both = clvstream(['generate', '--out', '-', '--brokers', '127.0.0.1:1']);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/exactly one of --out/);
    expect(clvstream(['generate', '--out', '-', '--rate', 'fast']).status).toBe(2);
    expect(clvstream(['generate', '--out', '-', '--start', 'yesterday']).stderr).toMatch(/--start/);
  });
});
