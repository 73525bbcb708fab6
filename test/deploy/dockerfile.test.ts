// The container image recipe (Dockerfile, .dockerignore) checked without Docker:
// the stages and instructions it must have, that the build context carries what
// it copies, and that the pruned image has every package the compiled code imports.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');

/** Instructions with their arguments, continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
const all = (keyword: string) => instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

/** Whether .dockerignore lets a context path through (last matching pattern wins; enough for this file's patterns). */
function inContext(path: string): boolean {
  let included = true;
  for (const raw of dockerignore.split('\n').map((l) => l.trim())) {
    if (raw === '' || raw.startsWith('#')) continue;
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/\/$/, '');
    const top = path.split('/')[0] ?? path;
    const matches = pattern === '*' || pattern === path || pattern === top;
    if (matches) included = negated;
  }
  return included;
}

describe('Dockerfile', () => {
  it('builds in one stage and runs from another, both on a Node 24 slim image', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m);
    expect(all('FROM')).toEqual(['${NODE_IMAGE} AS build', '${NODE_IMAGE} AS runtime']);
  });

  it('installs with npm ci, builds, prunes the dev dependencies', () => {
    const run = all('RUN').join('\n');
    expect(run).toMatch(/npm ci\b/);
    expect(run).toMatch(/npm run build/);
    expect(run).toMatch(/npm prune --omit=dev/);
  });

  it('runs as a numeric non-root user, the one the Helm chart expects', () => {
    const user = all('USER');
    expect(user).toHaveLength(1);
    const [uid, gid] = (user[0] ?? '').split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    const values = parse(readFileSync(join(ROOT, 'helm/clvstream/values.yaml'), 'utf8')) as {
      podSecurityContext: { runAsUser: number; runAsGroup: number };
    };
    expect(values.podSecurityContext).toMatchObject({ runAsUser: uid, runAsGroup: gid });
  });

  it('starts `clvstream run` by default and checks /healthz on HTTP_PORT', () => {
    expect(all('ENTRYPOINT')).toEqual(['["node", "dist/cli/main.js"]']);
    expect(all('CMD')).toEqual(['["run"]']);
    const health = all('HEALTHCHECK').join(' ');
    expect(health).toContain('/healthz');
    expect(health).toContain('process.env.HTTP_PORT');
    expect(all('EXPOSE')).toEqual(['8080']);
  });

  it('the build context (.dockerignore) carries what the build copies, and not the rest', () => {
    const sources = all('COPY')
      .filter((args) => !args.includes('--from='))
      .flatMap((args) => args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(inContext(source.replace(/^\.\//, '')), source).toBe(true);
    for (const path of ['node_modules', 'dist', '.git', '.infra', 'out', 'test', 'helm', 'deploy', 'data']) {
      expect(inContext(path), path).toBe(false);
    }
  });
});

describe('the pruned image has every package the code imports', () => {
  function sourceFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
    });
  }

  it('every non-type import in src/ is a Node built-in or a production dependency', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const production = new Set(Object.keys(pkg.dependencies));
    const builtins = new Set(builtinModules);
    const problems: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      const specifiers = [
        ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]),
        ...[...text.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1]),
        ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]),
      ];
      for (const specifier of specifiers) {
        if (specifier === undefined || specifier.startsWith('.')) continue;
        if (specifier.startsWith('node:') || builtins.has(specifier)) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? specifier);
        if (!production.has(name)) problems.push(`${relative(ROOT, file)} imports ${specifier}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
