/**
 * Times every command of one ioredis client (standalone or Cluster) into
 * `clvstream_redis_command_duration_seconds{command}`.
 *
 * How: the client object's own `sendCommand` — the one method every command,
 * pipeline entry and script call goes through — is wrapped on that instance
 * (the prototype is not touched); the returned function puts the original back.
 * The clock starts when the command is issued and stops when its reply (or
 * error) arrives, so time spent in ioredis' offline queue during a reconnect
 * counts, and on a Cluster so do MOVED/ASK redirections. A command object seen
 * a second time (Cluster offline-queue flush, retries) is not timed twice.
 *
 * Labels: the lower-case command name; the clvstream Lua scripts (EVALSHA/EVAL
 * of a known script) are labelled `script:<name>` (`script:commit`, …), other
 * scripts `evalsha`.
 *
 * Why not the alternatives: ioredis 6 also publishes every command on the
 * diagnostics channel `ioredis:command`, but that channel is process-wide (every
 * client, every registry in a test process would see each other's commands) and
 * while anyone subscribes ioredis turns every argument of every command into a
 * string for the trace context — for a commit that is every packed customer
 * state. Explicit `RuntimeMetrics.observeRedis(command, promise)` at each call
 * site stays available for timing higher-level operations.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from './store.js';
import { scriptSources } from './scripts.js';

export interface RedisCommandObserver {
  redisCommand(command: string, seconds: number): void;
}

interface CommandLike {
  readonly name?: unknown;
  readonly args?: readonly unknown[];
}

type SendCommand = (this: unknown, command: CommandLike, ...rest: unknown[]) => unknown;

const instrumented = new WeakSet<object>();

/** `sha1(lua)` → `script:<name>` for the clvstream scripts (what EVALSHA carries as its first argument). */
function scriptLabels(): Map<string, string> {
  const labels = new Map<string, string>();
  for (const s of scriptSources().values()) {
    labels.set(createHash('sha1').update(s.lua).digest('hex'), `script:${s.name}`);
  }
  return labels;
}

function labelOf(command: CommandLike, scripts: ReadonlyMap<string, string>): string {
  const name = typeof command.name === 'string' ? command.name.toLowerCase() : 'unknown';
  if (name === 'evalsha' || name === 'eval') {
    const first = command.args?.[0];
    const sha = typeof first === 'string' ? first : Buffer.isBuffer(first) ? first.toString('latin1') : undefined;
    const script = sha === undefined ? undefined : scripts.get(sha);
    if (script !== undefined) return script;
  }
  return name;
}

/**
 * Starts timing the commands of `client`. Returns the function that stops it.
 * Instrumenting a client twice is refused (it would time every command twice).
 */
export function instrumentRedis(client: RedisClient, observer: RedisCommandObserver): () => void {
  if (instrumented.has(client)) throw new Error('this Redis client is already instrumented');
  const target = client as unknown as { sendCommand: SendCommand };
  const hadOwn = Object.prototype.hasOwnProperty.call(target, 'sendCommand');
  const original = target.sendCommand;
  const scripts = scriptLabels();
  const timing = new WeakSet<object>();

  const wrapped: SendCommand = function (this: unknown, command, ...rest) {
    if (typeof command !== 'object' || command === null || timing.has(command)) return original.call(this, command, ...rest);
    const label = labelOf(command, scripts); // before sending: ioredis may rewrite EVALSHA into EVAL
    const start = process.hrtime.bigint();
    const result = original.call(this, command, ...rest);
    if (!(result instanceof Promise)) return result;
    timing.add(command);
    const done = (): void => {
      observer.redisCommand(label, Number(process.hrtime.bigint() - start) / 1e9);
    };
    // A side branch: the caller's promise is returned untouched.
    result.then(done, done);
    return result;
  };

  target.sendCommand = wrapped;
  instrumented.add(client);
  return () => {
    if (target.sendCommand !== wrapped) return; // someone else wrapped it after us: leave theirs alone
    if (hadOwn) target.sendCommand = original;
    else delete (target as { sendCommand?: SendCommand }).sendCommand;
    instrumented.delete(client);
  };
}
