// KEY=VALUE files such as .infra/env, written by scripts/test-infra.sh. No test
// runner imports: the benchmarks read the same file.

/** Parses KEY=VALUE lines; blank lines and # comments are ignored. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}
