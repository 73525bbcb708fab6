// The command line as a user meets it: one error prefix, usage errors exit 2
// with one line, a closed pipe ends quietly with 0.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../../src/config/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = 'src/cli/main.ts';

function sh(script: string, env: Record<string, string> = {}) {
  const clean = { ...process.env };
  for (const name of Object.keys(settingsSchema.shape)) delete clean[name];
  delete clean['CLVSTREAM_CONFIG'];
  const result = spawnSync('bash', ['-c', `set -o pipefail; ${script}`], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...clean, ...env } });
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

  it('a Redis that cannot be reached ends the commands that read it with one line naming it, exit 1', () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const env = { REDIS_URL: 'redis://user:hunter2@127.0.0.1:1' };
    for (const command of ['export', 'fit --state --as-of 1998-06-30', 'inspect 0001 --partitions 4', 'serve --partitions 4']) {
      const run = sh(`${clvstream} ${command}`, { ...env, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'error' });
      expect(run.status, command).toBe(1);
      expect(run.stderr, command).toBe(
        'clvstream: cannot reach Redis at 127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1); check REDIS_URL or REDIS_CLUSTER_NODES, that Redis runs and that this host can reach it\n',
      );
    }
  });

  it('run --help lists every setting with its default; serve --help those serve reads', () => {
    const run = sh(`${clvstream} run --help`);
    expect(run.status).toBe(0);
    for (const name of Object.keys(settingsSchema.shape)) expect(run.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    expect(run.stdout).toMatch(/^ {2}KAFKA_BROKERS +127\.0\.0\.1:9092$/m);
    expect(run.stdout).toMatch(/^ {2}HTTP_BEARER_TOKEN +\(unset\)$/m);
    const serve = sh(`${clvstream} serve --help`);
    expect(serve.stdout).toMatch(/^ {2}REDIS_URL +redis:\/\/127\.0\.0\.1:6379$/m);
    expect(serve.stdout).toMatch(/^ {2}HTTP_PORT +8080$/m);
    expect(serve.stdout).not.toMatch(/KAFKA_BROKERS/);
  });

  it('the top-level help shows examples', () => {
    const help = sh(`${clvstream} --help`);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Examples:\n {2}# /m);
    expect(help.stdout).toContain('clvstream serve --partitions');
  });

  it('config check prints the effective settings with secrets masked, or every problem with exit 2', () => {
    const secret = 'token-that-must-not-show-0123';
    const ok = sh(`${clvstream} config check`, { HTTP_BEARER_TOKEN: secret, REDIS_URL: 'redis://user:hunter2@redis.internal:6380', HTTP_PORT: '9090' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^HTTP_PORT +9090$/m);
    expect(ok.stdout).toMatch(/^HTTP_HOST +0\.0\.0\.0 {2}\(default\)$/m);
    expect(ok.stdout).toMatch(/^HTTP_BEARER_TOKEN +\[redacted\]$/m);
    expect(ok.stdout).toMatch(/^REDIS_URL +redis:\/\/redis\.internal:6380$/m);
    expect(ok.stdout + ok.stderr).not.toMatch(/hunter2|token-that-must-not-show/);
    const bad = sh(`${clvstream} config check`, { HTTP_PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^clvstream: Invalid configuration:/);
    expect(bad.stderr).toContain('HTTP_PORT="eighty" is invalid');
    expect(bad.stderr).toContain('LOG_LEVEL="loud" is invalid');
  });
});
