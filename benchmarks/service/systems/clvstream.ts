/**
 * clvstream itself: N `node dist/cli/main.js run` processes (the compiled CLI,
 * built by `npm run build`) in one consumer group, configured through their
 * environment like a deployment.
 *
 * Progress is read from Redis, not from the processes: each partition's meta
 * hash holds `off:<topic>`, the next offset to consume, written in the same
 * atomic commit as the states (src/state/keys.ts). On fresh topics the sum over
 * partitions and inbound topics is exactly the number of events handled — and
 * handled means committed, the service's own definition of done. The
 * alternative, scraping /metrics, would need each process's HTTP port (it
 * listens on a random one, HTTP_PORT=0) and counts events when processed, not
 * when stored. Polling costs Redis one pipelined HMGET + XLEN per partition
 * every 20 ms; it resolves the end of a phase to 20 ms. The outboxes' lengths
 * (XLEN) tell when every emission has been published; when they are all empty,
 * a ZCOUNT per partition tells whether due checks are still waiting for the
 * sweeper (customers whose check day the partition's watermark has passed).
 * Both count as pending: the sweeper's rounds queue behind batches, and with a
 * relay that keeps up, the outboxes can be empty for a moment while the
 * backlog's due checks have yet to fire and emit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { INBOUND_TYPES } from '../../../src/contracts/inbound.js';
import { KeySpace, META_FIELDS, offsetField } from '../../../src/state/keys.js';
import { bounded, now, sleep } from '../clock.js';
import type { TopicOffset, TopicSet } from '../topics.js';
import { FETCH_MAX_WAIT_MS, GROUP_HEARTBEAT_INTERVAL_MS, GROUP_SESSION_TIMEOUT_MS, LogTail, type Progress, type RunningSystem, type StopOutcome } from './system.js';

export interface ClvstreamOptions {
  readonly root: string;
  readonly instances: number;
  readonly partitions: number;
  readonly topics: TopicSet;
  readonly brokers: readonly string[];
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly groupId: string;
  readonly clientId: string;
  /** Extra settings (the bench's --set), applied last. */
  readonly extra: Readonly<Record<string, string>>;
  /** Claims of every partition made before the processes start (the preload's back-fill): epochs above this + 1 mean a re-claim. */
  readonly claimsBefore?: number;
  /** Directory for a V8 CPU profile of each process (written when it exits); null: none. */
  readonly cpuProf: string | null;
}

/**
 * The processes' settings. Besides topics, group and key prefix, only what a
 * benchmark needs differs from the defaults: no HTTP port clash (0: a free
 * port, on the loopback address only), quiet logs, no wall-clock watermark (the workload's event times are in
 * the past: it would fire every due check at once), and the group timings the
 * mock broker needs to form a group quickly (test/support/infra.ts).
 */
export function clvstreamEnv(o: ClvstreamOptions, instance: number): Record<string, string> {
  return {
    KAFKA_BROKERS: o.brokers.join(','),
    KAFKA_CLIENT_ID: `${o.clientId}-${instance}`,
    KAFKA_GROUP_ID: o.groupId,
    REDIS_URL: o.redisUrl,
    REDIS_KEY_PREFIX: o.keyPrefix,
    ...o.topics.env,
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RUN_IDLE_WATERMARK_SECONDS: '0',
    KAFKA_SESSION_TIMEOUT_MS: String(GROUP_SESSION_TIMEOUT_MS),
    KAFKA_HEARTBEAT_INTERVAL_MS: String(GROUP_HEARTBEAT_INTERVAL_MS),
    KAFKA_FETCH_MAX_WAIT_MS: String(FETCH_MAX_WAIT_MS),
    RUN_SHUTDOWN_TIMEOUT_SECONDS: '15',
    ...o.extra,
  };
}

const STOP_TIMEOUT_MS = 25_000;

interface Instance {
  readonly child: ChildProcess;
  readonly log: LogTail;
  exited: { code: number | null; signal: string | null } | null;
}

/** SIGKILL, then wait (bounded) until every process is gone. */
async function killAll(instances: readonly Instance[]): Promise<void> {
  const gone = instances.map((x) => (x.exited !== null ? Promise.resolve() : new Promise<void>((resolve) => x.child.once('exit', () => resolve()))));
  for (const x of instances) if (x.exited === null) x.child.kill('SIGKILL');
  await bounded('clvstream kill', Promise.all(gone), STOP_TIMEOUT_MS);
}

export function startClvstream(o: ClvstreamOptions, redis: Redis, register: (child: ChildProcess) => void): RunningSystem {
  const keys = new KeySpace(o.keyPrefix);
  const cli = join(o.root, 'dist', 'cli', 'main.js');
  const fields = INBOUND_TYPES.map((t) => offsetField(o.topics.inbound[t]));
  const instances: Instance[] = [];
  for (let i = 0; i < o.instances; i++) {
    // A clean environment: only PATH and the settings (no stray CLVSTREAM_CONFIG or TOPIC_* from the caller).
    const profile = o.cpuProf === null ? [] : ['--cpu-prof', '--cpu-prof-dir', o.cpuProf];
    const child = spawn(process.execPath, [...profile, cli, 'run'], { env: { PATH: process.env.PATH ?? '', ...clvstreamEnv(o, i) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const instance: Instance = { child, log: new LogTail(`clvstream#${i}`), exited: null };
    register(child);
    child.stdout?.on('data', (chunk: Buffer) => instance.log.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => instance.log.push(chunk));
    child.on('exit', (code, signal) => (instance.exited = { code, signal }));
    instances.push(instance);
  }

  let first: Progress['first'] = null;
  let lastAt: number | null = null;
  // null until the first poll: what is stored then (a restart's earlier offsets) is the baseline, not progress.
  let lastHandled: number | null = null;
  let lastPollAt = now();
  let liveBase: number | null = null;

  const poll = async (): Promise<{ handled: number; pending: number; generation: number }> => {
    const pipeline = redis.pipeline();
    for (let p = 0; p < o.partitions; p++) {
      pipeline.hmget(keys.meta(p), META_FIELDS.epoch, META_FIELDS.watermark, ...fields);
      pipeline.xlen(keys.outbox(p));
    }
    let handled = 0;
    let pending = 0;
    let generation = 0;
    const watermarks: (string | null)[] = [];
    for (const [i, [error, value]] of ((await pipeline.exec()) ?? []).entries()) {
      if (error !== null) throw error;
      if (i % 2 === 1) {
        pending += value as number;
        continue;
      }
      // Every claim of a partition adds 1 to its epoch: their sum changes whenever partitions move.
      const [epoch, watermark, ...offsets] = value as (string | null)[];
      generation += epoch === null || epoch === undefined ? 0 : Number(epoch);
      watermarks.push(watermark ?? null);
      for (const v of offsets) handled += v === null ? 0 : Number(v);
    }
    if (pending === 0) pending = await dueChecks(watermarks);
    return { handled, pending, generation };
  };

  /** Customers whose next check is at or before their partition's stored watermark: the sweeper has yet to fire them. */
  const dueChecks = async (watermarks: readonly (string | null)[]): Promise<number> => {
    const pipeline = redis.pipeline();
    let asked = 0;
    watermarks.forEach((wm, p) => {
      if (wm === null) return;
      pipeline.zcount(keys.timers(p), '-inf', wm);
      asked++;
    });
    if (asked === 0) return 0;
    let due = 0;
    for (const [error, value] of (await pipeline.exec()) ?? []) {
      if (error !== null) throw error;
      due += value as number;
    }
    return due;
  };

  return {
    kind: 'clvstream',
    instances: o.instances,
    name: `clvstream ×${o.instances}`,
    reads: INBOUND_TYPES,
    pids: () => instances.flatMap((x) => (x.child.pid === undefined || x.exited !== null ? [] : [x.child.pid])),
    async progress() {
      for (const x of instances) {
        if (x.exited !== null) throw new Error(`clvstream process ${x.child.pid ?? '?'} exited (${x.exited.code ?? x.exited.signal})\n${x.log.tail().join('\n')}`);
      }
      const { handled, pending, generation } = await poll();
      const t = now();
      if (lastHandled === null) lastHandled = handled;
      else if (handled > lastHandled) {
        // Committed somewhere between the previous poll and this one.
        lastAt = (lastPollAt + t) / 2;
        if (first === null) first = { at: lastAt, handled };
        lastHandled = handled;
      }
      lastPollAt = t;
      return { handled, live: liveBase === null ? 0 : handled - liveBase, first, lastAt, pending, generation };
    },
    beginLive(offsets: readonly TopicOffset[]) {
      // clvstream has no backlog left here (the backlog phase waited for it): everything past these offsets is live.
      liveBase = offsets.reduce((n, x) => n + x.offset, 0);
      return Promise.resolve();
    },
    async notes() {
      // Every claim of a partition adds 1 to its epoch: above one claim of ours means it moved (a rebalance).
      const expected = (o.claimsBefore ?? 0) + 1;
      const epochs = await Promise.all(Array.from({ length: o.partitions }, (_, p) => redis.hget(keys.meta(p), META_FIELDS.epoch)));
      return { partition_epochs: epochs.map((e) => (e === null ? null : Number(e))), rebalanced: epochs.some((e) => e !== null && Number(e) > expected) };
    },
    logTail: () => instances.flatMap((x) => x.log.tail()),
    async kill() {
      await killAll(instances);
    },
    async stop(): Promise<StopOutcome> {
      for (const x of instances) if (x.exited === null) x.child.kill('SIGTERM');
      await bounded(
        'clvstream stop',
        Promise.all(instances.map((x) => (x.exited !== null ? Promise.resolve() : new Promise<void>((resolve) => x.child.once('exit', () => resolve()))))),
        STOP_TIMEOUT_MS,
      ).catch(() => undefined);
      let killed = 0;
      const killedLog: string[] = [];
      for (const x of instances) {
        if (x.exited === null) {
          killed++;
          killedLog.push(...x.log.tail().slice(-10));
          x.child.kill('SIGKILL');
        }
      }
      await sleep(50);
      return { exits: instances.map((x) => x.exited?.code ?? x.exited?.signal ?? null), killed, killedLog };
    },
  };
}
