// The Redis ACL of docs/operations.md against the code: every command a Lua
// script or the stores send must be allowed by it and probed by the start-up
// access check, or a least-privilege deployment fails on it only when that
// code path first runs (a re-score after a model change, say), retried for ever.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accessProbes } from '../../src/state/access-check.js';
import { KeySpace } from '../../src/state/keys.js';
import { REPO_ROOT } from '../support/infra-endpoints.js';
import { documentedRedisAcl } from '../support/secure-servers.js';

const STATE = join(REPO_ROOT, 'src', 'state');

/** The commands the documented ACL line allows (`+cmd`, `+cmd|sub` counted as `cmd|sub`). */
function allowed(): Set<string> {
  return new Set(documentedRedisAcl('x').split(/\s+/).filter((w) => w.startsWith('+')).map((w) => w.slice(1).toLowerCase()));
}

/** Commands called from the Lua scripts (redis.call / redis.pcall with a literal name). */
function luaCommands(): Set<string> {
  const out = new Set<string>();
  for (const file of readdirSync(join(STATE, 'lua')).filter((f) => f.endsWith('.lua'))) {
    const text = readFileSync(join(STATE, 'lua', file), 'utf8');
    for (const m of text.matchAll(/redis\.p?call\(\s*'([A-Za-z]+)'/g)) out.add(m[1]!.toLowerCase());
  }
  return out;
}

/** Commands sent as ioredis methods on a connection from src/state (`redis.cmd(`, `.redis.cmd(`, `node.cmd(`). */
function clientCommands(): Set<string> {
  const known = /^(get|set|mget|strlen|exists|type|renamenx|del|hset|hdel|hincrby|hget|hmget|hgetall|zadd|zrangebyscore|zrevrange|zrandmember|zrem|zcard|xadd|xrange|xlen|xdel|scan|eval|evalsha|lpush|rpush|lrange|llen|ltrim|lindex|expire|ping|info)$/;
  const out = new Set<string>();
  for (const file of readdirSync(STATE).filter((f) => f.endsWith('.ts') && f !== 'access-check.ts')) {
    const text = readFileSync(join(STATE, file), 'utf8');
    for (const m of text.matchAll(/\b(?:redis|node|client|pipeline|multi)\.([a-z]+)\(/g)) if (known.test(m[1]!)) out.add(m[1]!);
  }
  return out;
}

/** Sent only by PartitionStore.bytesPerCustomer, a measurement for benchmarks and tests run with an administrator's rights (with MEMORY USAGE). */
const MEASUREMENT_ONLY = new Set(['zcard']);

describe('the documented Redis ACL covers what the code sends', () => {
  const acl = allowed();
  const probed = new Set(accessProbes(new KeySpace('clv')).map(([command]) => command.toLowerCase()));

  it.each([...luaCommands()].sort())('%s (from a Lua script) is allowed and probed at start-up', (command) => {
    expect(acl.has(command), `+${command} in docs/operations.md's ACL`).toBe(true);
    expect(probed.has(command), `${command} among access-check.ts' probes`).toBe(true);
  });

  it.each([...clientCommands()].filter((c) => !MEASUREMENT_ONLY.has(c)).sort())('%s (from src/state) is allowed and probed at start-up', (command) => {
    expect(acl.has(command), `+${command} in docs/operations.md's ACL`).toBe(true);
    expect(probed.has(command), `${command} among access-check.ts' probes`).toBe(true);
  });
});
