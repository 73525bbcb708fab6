// The package's `exports` point at real files: the package is built and packed
// the way `npm publish` would (`npm pack`, the "files" list), unpacked into a
// scratch node_modules, and every export is imported from it by name.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  engines: { node: string };
  exports: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
};

describe('the packed package', { timeout: 300_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'clvtest-pack-'));
  const app = join(scratch, 'app');

  beforeAll(() => {
    // Built into a staging copy, so the working tree's dist/ (which other tests serve) is left alone.
    const stage = join(scratch, 'stage');
    mkdirSync(stage);
    for (const entry of ['package.json', 'README.md', 'LICENSE', ...pkg.files.filter((f) => f !== 'dist')]) cpSync(join(ROOT, entry), join(stage, entry), { recursive: true });
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(stage, 'dist'), '--sourceMap', 'false', '--declarationMap', 'false'], { cwd: ROOT });
    cpSync(join(ROOT, 'src/state/lua'), join(stage, 'dist/state/lua'), { recursive: true });
    const tarball = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', scratch, stage], { cwd: scratch, encoding: 'utf8' }).trim().split('\n').at(-1)!;
    const installed = join(app, 'node_modules', pkg.name);
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', join(scratch, tarball), '-C', installed, '--strip-components=1']);
    // Its dependencies from this checkout (Node resolves theirs from where they really are).
    for (const dep of Object.keys(pkg.dependencies)) {
      const link = join(app, 'node_modules', dep);
      mkdirSync(join(link, '..'), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', dep), link, 'dir');
    }
  }, 300_000);

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.each(Object.keys(pkg.exports))('export %s resolves to a file in the tarball and loads', (subpath) => {
    const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
    const probe = join(app, `probe-${subpath === '.' ? 'root' : subpath.slice(2)}.mjs`);
    writeFileSync(probe, `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).sort()));\n`);
    const keys = JSON.parse(execFileSync(process.execPath, [probe], { cwd: app, encoding: 'utf8' })) as string[];
    expect(keys.length).toBeGreaterThan(0);
    if (subpath === '.') expect(keys).toEqual(expect.arrayContaining(['domain', 'MemoryProcessor', 'inboundSchemas']));
    if (subpath === './domain') expect(keys).toEqual(expect.arrayContaining(['reduce', 'evaluate', 'populationReport', 'models']));
  });

  it('runs its command line from the tarball', () => {
    const version = execFileSync(process.execPath, [join(app, 'node_modules', pkg.name, 'dist/cli/main.js'), '--version'], { encoding: 'utf8' });
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("the README's requirements name the Node version `engines` asks for", () => {
    const major = /^>=(\d+)/.exec(pkg.engines.node)?.[1];
    expect(major).toBeDefined();
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toMatch(new RegExp(`Node(\\.js)? ${major}\\b`));
    expect(readme).not.toMatch(/Node(\.js)? (1\d|20|21)\b/);
  });
});
