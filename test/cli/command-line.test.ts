// The command line as a user meets it: one error prefix, usage errors exit 2
// with one line, a closed pipe ends quietly with 0.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = 'src/cli/main.ts';

function sh(script: string) {
  const result = spawnSync('bash', ['-c', `set -o pipefail; ${script}`], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, LOG_LEVEL: 'info' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
const clvstream = `"${process.execPath}" --import tsx ${MAIN}`;

describe('the command line', { timeout: 120_000 }, () => {
  it('a file argument that does not exist exits 2 with one line', () => {
    const run = sh(`${clvstream} replay missing.jsonl`);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('clvstream: missing.jsonl: no such file or directory\n');
  });

  it('an output file that cannot be created exits 2 with one line', () => {
    const run = sh(`${clvstream} import --preset cdnow data/cdnow/CDNOW_sample.txt --out /nonexistent-dir/x.jsonl`);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('clvstream: /nonexistent-dir/x.jsonl: no such file or directory\n');
  });

  it('a reader that closes the pipe early ends the command quietly with 0', () => {
    const imported = sh(`${clvstream} import --preset cdnow data/cdnow/CDNOW_sample.txt | head -1`);
    expect(imported.status).toBe(0);
    expect(imported.stdout).toMatch(/^\{"type":"purchase".*\}\n$/);
    expect(imported.stderr).toBe('');
    const replayed = sh(`${clvstream} import --preset cdnow data/cdnow/CDNOW_sample.txt 2>/dev/null | ${clvstream} replay - | head -2`);
    expect(replayed.status).toBe(0);
    expect(replayed.stderr).not.toMatch(/EPIPE|\n\s+at /);
  });
});
