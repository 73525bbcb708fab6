/**
 * Loads the Lua scripts in ./lua (`<name>-<numKeys>.lua`) and registers them on
 * an ioredis client with `defineCommand` (EVALSHA, falling back to EVAL once per
 * connection). Command names carry the package version, so two versions of
 * clvstream sharing one client object never call each other's scripts; the
 * scripts themselves are identified by their SHA on the server anyway.
 *
 * A line `--- @include "<name>"` stands for `lua/include/<name>.lua` (the reply
 * codes and the helpers several scripts share), inlined when the scripts are
 * read, since Redis runs each script as one text and has no `require`.
 *
 * The .lua files are read from next to this module; when running from `dist/`
 * (where tsc does not copy them) the loader falls back to `src/state/lua`.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import { ScriptCode } from './script-codes.js';
import { StateError, scriptError, wrapRedisError, type ScriptContext } from './errors.js';

export const SCRIPT_NAMES = ['claim', 'commit', 'outbox-ack', 'due-timers', 'model-publish', 'rescore-stage'] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

export interface ScriptSource {
  readonly name: ScriptName;
  readonly numberOfKeys: number;
  readonly lua: string;
  readonly readOnly: boolean;
  /** The ioredis command name, e.g. `clvstream_commit_v0_1_0`. */
  readonly command: string;
}

const READ_ONLY: ReadonlySet<ScriptName> = new Set(['due-timers']);

/** The first of `candidates` (relative to this module) that exists: src/, dist/ and dist-bench/src/ layouts. */
function nearby(candidates: readonly string[], what: string): string {
  for (const candidate of candidates) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`clvstream ${what} not found next to the state module`);
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(nearby(['../../package.json', '../../../package.json'], 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string' || pkg.version === '') throw new Error('package.json has no version');
  return pkg.version;
}

function luaDirectory(): string {
  return nearby(['./lua/', '../../src/state/lua/', '../../../src/state/lua/'], 'state scripts (src/state/lua)');
}

export const SCRIPT_VERSION = packageVersion();

/** `clvstream_<name>_v<version>` with every character outside [A-Za-z0-9] as `_`. */
export function commandName(name: ScriptName, version: string = SCRIPT_VERSION): string {
  return `clvstream_${name}_v${version}`.replace(/[^A-Za-z0-9]/g, '_');
}

const INCLUDE = /^--- @include "([a-z][a-z-]*)"$/gm;

/** `lua` with each include line replaced by its file; an unknown or repeated include throws. */
export function inlineIncludes(lua: string, read: (name: string) => string, script: string): string {
  const seen = new Set<string>();
  return lua.replace(INCLUDE, (_line, name: string) => {
    if (seen.has(name)) throw new Error(`script ${script} includes '${name}' twice`);
    seen.add(name);
    const text = read(name);
    if (/^--- @include /m.test(text)) throw new Error(`include '${name}' includes another: one level only`);
    return text.trimEnd();
  });
}

function loadSources(): ReadonlyMap<ScriptName, ScriptSource> {
  const dir = luaDirectory();
  const sources = new Map<ScriptName, ScriptSource>();
  for (const file of readdirSync(dir)) {
    const match = /^([a-z][a-z-]*)-(\d+)\.lua$/.exec(file);
    if (!match) continue;
    const name = match[1] as ScriptName;
    if (!SCRIPT_NAMES.includes(name)) throw new Error(`unexpected script ${file} in ${dir}`);
    if (sources.has(name)) throw new Error(`two files for script '${name}' in ${dir}`);
    sources.set(name, {
      name,
      numberOfKeys: Number(match[2]),
      lua: inlineIncludes(readFileSync(`${dir}${file}`, 'utf8'), (include) => readFileSync(`${dir}include/${include}.lua`, 'utf8'), file),
      readOnly: READ_ONLY.has(name),
      command: commandName(name),
    });
  }
  for (const name of SCRIPT_NAMES) if (!sources.has(name)) throw new Error(`script '${name}' missing in ${dir}`);
  return sources;
}

let cachedSources: ReadonlyMap<ScriptName, ScriptSource> | undefined;

/** The scripts, read once per process. */
export function scriptSources(): ReadonlyMap<ScriptName, ScriptSource> {
  cachedSources ??= loadSources();
  return cachedSources;
}

function source(name: ScriptName): ScriptSource {
  const s = scriptSources().get(name);
  if (!s) throw new Error(`script '${name}' not loaded`);
  return s;
}

type RedisClient = Redis | Cluster;
type ScriptFunction = (...args: (string | Buffer | number)[]) => Promise<unknown>;

const registered = new WeakSet<RedisClient>();

/** Defines every script as a command on `client` (once per client object). */
export function registerScripts(client: RedisClient): void {
  if (registered.has(client)) return;
  for (const s of scriptSources().values()) {
    client.defineCommand(s.command, { lua: s.lua, numberOfKeys: s.numberOfKeys, readOnly: s.readOnly });
  }
  registered.add(client);
}

/**
 * Runs a script and returns the rest of an OK reply; a non-OK code becomes the
 * typed error (FencedError, ...) and Redis failures become StateErrors.
 */
export async function runScript(
  client: RedisClient,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | Buffer | number)[],
  ctx: Omit<ScriptContext, 'script'>,
  reply: 'strings' | 'buffers' = 'strings',
): Promise<readonly unknown[]> {
  const s = source(name);
  if (keys.length !== s.numberOfKeys) {
    throw new StateError('BAD_ARGUMENTS', `script ${name} takes ${s.numberOfKeys} keys, got ${keys.length}`);
  }
  registerScripts(client);
  // ioredis defines `<command>Buffer` next to each script command: bulk strings as Buffers (binary-safe).
  const fn = (client as unknown as Record<string, unknown>)[reply === 'buffers' ? `${s.command}Buffer` : s.command];
  if (typeof fn !== 'function') throw new StateError('BAD_ARGUMENTS', `script command ${s.command} is not defined`);
  let answer: unknown;
  try {
    answer = await (fn as ScriptFunction).apply(client, [...keys, ...args]);
  } catch (err) {
    throw wrapRedisError(err, `script ${name} on ${ctx.target ?? `partition ${ctx.partition}`}`);
  }
  if (!Array.isArray(answer) || typeof answer[0] !== 'number') {
    throw new StateError('UNKNOWN_SCRIPT_REPLY', `script ${name}: unexpected reply ${JSON.stringify(answer)}`);
  }
  const [code, ...rest] = answer as [number, ...unknown[]];
  if (code !== (ScriptCode.OK as number)) throw scriptError(code, rest[0], { ...ctx, script: name });
  return rest;
}
