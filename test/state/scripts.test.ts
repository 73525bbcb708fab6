import { describe, expect, it } from 'vitest';
import { FencedError, StateError, scriptError, wrapRedisError } from '../../src/state/errors.js';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SCRIPT_NAMES, SCRIPT_VERSION, commandName, inlineIncludes, scriptSources } from '../../src/state/scripts.js';
import { CommitOutcome, ScriptCode } from '../../src/state/script-codes.js';

const LUA = fileURLToPath(new URL('../../src/state/lua/', import.meta.url));

const CODE_NAMES = Object.keys(ScriptCode).filter((k) => Number.isNaN(Number(k))) as (keyof typeof ScriptCode)[];

describe('state scripts', () => {
  it('loads every script with its key count from the file name and a versioned command name', () => {
    const sources = scriptSources();
    expect([...sources.keys()].sort()).toEqual([...SCRIPT_NAMES].sort());
    expect(sources.get('claim')?.numberOfKeys).toBe(1);
    expect(sources.get('commit')?.numberOfKeys).toBe(3);
    expect(sources.get('outbox-ack')?.numberOfKeys).toBe(2);
    expect(sources.get('due-timers')?.numberOfKeys).toBe(1);
    expect(sources.get('due-timers')?.readOnly).toBe(true);
    expect(sources.get('model-publish')?.numberOfKeys).toBe(3);
    expect(SCRIPT_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(commandName('outbox-ack', '1.2.3-rc.1')).toBe('clvstream_outbox_ack_v1_2_3_rc_1');
    expect(sources.get('commit')?.command).toBe(commandName('commit'));
  });

  it('documents KEYS, ARGV and the reply in every script header', () => {
    for (const s of scriptSources().values()) {
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(s.lua)?.[1] ?? '';
      expect(header, s.name).toContain('KEYS[1]');
      expect(header, s.name).toContain('ARGV');
      expect(header, s.name).toContain('Returns');
    }
  });

  it('uses the ScriptCode numbers in every script that names a code', () => {
    for (const s of scriptSources().values()) {
      const decl = /^local ([A-Z_, ]+) = ([\d, ]+)$/m.exec(s.lua);
      expect(decl, s.name).not.toBeNull();
      const names = (decl?.[1] ?? '').split(',').map((x) => x.trim());
      const values = (decl?.[2] ?? '').split(',').map((x) => Number(x.trim()));
      expect(names.length).toBe(values.length);
      names.forEach((name, i) => {
        expect(CODE_NAMES, `${s.name}: ${name}`).toContain(name);
        expect(values[i], `${s.name}: ${name}`).toBe(ScriptCode[name as keyof typeof ScriptCode]);
      });
    }
  });

  it('gives the commit outcomes the CommitOutcome numbers', () => {
    const lua = scriptSources().get('commit')?.lua ?? '';
    const decl = /^local (ALREADY_COMMITTED[A-Z_, ]+) = ([\d, ]+)$/m.exec(lua);
    expect(decl).not.toBeNull();
    const names = (decl?.[1] ?? '').split(',').map((x) => x.trim());
    const values = (decl?.[2] ?? '').split(',').map((x) => Number(x.trim()));
    const enumNames = Object.keys(CommitOutcome).filter((k) => Number.isNaN(Number(k)));
    expect([...names].sort()).toEqual([...enumNames].sort());
    names.forEach((name, i) => expect(values[i], name).toBe(CommitOutcome[name as keyof typeof CommitOutcome]));
    for (const name of names) expect(lua, name).toMatch(new RegExp(`return (\\{OK, |not_applied\\()${name}\\b`));
  });

  it('inlines the shared helpers instead of copying them: no script file defines what an include defines', () => {
    const includes = readdirSync(`${LUA}include`).map((f) => readFileSync(`${LUA}include/${f}`, 'utf8'));
    const shared = includes.flatMap((text) => [...text.matchAll(/^local function ([a-z_]+)/gm)].map((m) => m[1]));
    expect(shared).toEqual(expect.arrayContaining(['bad', 'tag_of', 'meta_refusal', 'epoch_refusal']));
    for (const file of readdirSync(LUA).filter((f) => f.endsWith('.lua'))) {
      const own = readFileSync(`${LUA}${file}`, 'utf8');
      for (const name of shared) expect(own, `${file} defines ${name}`).not.toMatch(new RegExp(`^local function ${name}\\b`, 'm'));
      expect(own, file).not.toMatch(/^local OK\b/m);
    }
    for (const s of scriptSources().values()) expect(s.lua, s.name).not.toContain('--- @include');
  });

  it('refuses an include named twice or an include inside an include', () => {
    const read = (name: string): string => (name === 'nested' ? '--- @include "a"\n' : `-- ${name}\n`);
    expect(inlineIncludes('--- @include "a"\nreturn 1\n', read, 'x.lua')).toBe('-- a\nreturn 1\n');
    expect(() => inlineIncludes('--- @include "a"\n--- @include "a"\n', read, 'x.lua')).toThrow(/twice/);
    expect(() => inlineIncludes('--- @include "nested"\n', read, 'x.lua')).toThrow(/one level/);
  });

  it('maps every non-OK code to a typed, non-retriable error', () => {
    const ctx = { script: 'commit', partition: 4, epoch: 3 };
    const fenced = scriptError(ScriptCode.FENCED, '5', ctx);
    expect(fenced).toBeInstanceOf(FencedError);
    expect(fenced).toMatchObject({ code: 'FENCED', retriable: false, partition: 4, callerEpoch: 3, currentEpoch: 5 });
    expect(fenced.message).toContain('partition 4');
    expect(scriptError(ScriptCode.NOT_CLAIMED, undefined, ctx).code).toBe('NOT_CLAIMED');
    expect(scriptError(ScriptCode.BAD_ARGUMENTS, 'offsets section', ctx).message).toContain('offsets section');
    expect(scriptError(ScriptCode.WRONG_TYPE, 'timers', ctx).code).toBe('WRONG_TYPE');
    expect(scriptError(99, undefined, ctx).code).toBe('UNKNOWN_SCRIPT_REPLY');
    for (const name of CODE_NAMES) expect(scriptError(ScriptCode[name], undefined, ctx).retriable).toBe(false);
  });

  it('classifies Redis failures: connection trouble is retriable, the rest is not', () => {
    const down = wrapRedisError(new Error('connect ECONNREFUSED 127.0.0.1:6379'), 'commit');
    expect(down).toMatchObject({ code: 'REDIS_UNAVAILABLE', retriable: true });
    expect(down.cause).toBeInstanceOf(Error);
    expect(wrapRedisError(new Error('CLUSTERDOWN The cluster is down'), 'x').retriable).toBe(true);
    expect(wrapRedisError(new Error('WRONGTYPE Operation against a key'), 'x')).toMatchObject({ code: 'REDIS_ERROR', retriable: false });
    const typed = new StateError('FENCED', 'x');
    expect(wrapRedisError(typed, 'y')).toBe(typed);
  });
});
