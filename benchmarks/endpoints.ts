/**
 * Where the benchmarks' servers are: the environment (KAFKA_BROKERS, REDIS_URL)
 * wins, else `.infra/env` written by
 * `bash scripts/test-infra.sh start`. Shared by `npm run bench:runtime` and the
 * `npm run bench` service suite.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnvFile } from '../test/support/env-file.js';

const VARIABLES = ['KAFKA_BROKERS', 'REDIS_URL'] as const;

/**
 * The repository root: the nearest directory above this file whose package.json
 * is clvstream's (the compiled file lives in dist-bench/benchmarks/), else the
 * working directory.
 */
export function repoRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (let depth = 0; depth < 12; depth++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'clvstream') return dir;
      } catch {
        // not a readable manifest: keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return process.cwd();
}

/** KAFKA_BROKERS and REDIS_URL; throws without servers. */
export function infraVariables(root: string = repoRoot()): Record<string, string> {
  const env: Record<string, string> = {};
  const file = join(root, '.infra', 'env');
  if (existsSync(file)) {
    Object.assign(env, parseEnvFile(readFileSync(file, 'utf8')));
  }
  for (const key of VARIABLES) {
    const value = process.env[key];
    if (value) env[key] = value;
  }
  if (!env.KAFKA_BROKERS || !env.REDIS_URL) {
    throw new Error('no servers: run `bash scripts/test-infra.sh start` or set KAFKA_BROKERS and REDIS_URL');
  }
  return env;
}

/**
 * The test broker's process id from `.infra/kafka.pid` (scripts/test-infra.sh),
 * when that process is alive and runs kafka.Kafka (so a stale file is never read
 * as someone else's CPU). Undefined for a broker elsewhere or when it cannot be read.
 */
export function brokerPid(root: string = repoRoot()): number | undefined {
  try {
    const pid = Number(readFileSync(join(root, '.infra', 'kafka.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('kafka.Kafka') ? pid : undefined;
  } catch {
    return undefined;
  }
}
