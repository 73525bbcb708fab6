/**
 * The bare and naive systems: N worker processes (child_process.fork of
 * worker.js) in one consumer group. They report their counters over IPC;
 * `progress()` adds them up.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { INBOUND_TYPES } from '../../../src/contracts/inbound.js';
import { bounded, sleep, waitFor } from '../clock.js';
import type { TopicOffset } from '../topics.js';
import type { FromWorker, ToWorker, WorkerConfig, WorkerCounters } from './protocol.js';
import { LogTail, type Progress, type RunningSystem, type StopOutcome } from './system.js';

const WORKER_PATH = fileURLToPath(new URL('./worker.js', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

interface Worker {
  readonly child: ChildProcess;
  readonly log: LogTail;
  counters: WorkerCounters | null;
  ready: boolean;
  liveAcked: boolean;
  exited: { code: number | null; signal: string | null } | null;
  fatal: string | null;
}

export async function startWorkers(configs: readonly WorkerConfig[], register: (child: ChildProcess) => void): Promise<RunningSystem> {
  const kind = configs[0]?.kind;
  if (kind === undefined) throw new Error('no workers to start');
  const workers: Worker[] = configs.map((config) => {
    const child = fork(WORKER_PATH, [JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { PATH: process.env.PATH ?? '' },
      execArgv: [],
    });
    const worker: Worker = { child, log: new LogTail(`${config.kind}#${config.index}`), counters: null, ready: false, liveAcked: false, exited: null, fatal: null };
    register(child);
    child.stdout?.on('data', (chunk: Buffer) => worker.log.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => worker.log.push(chunk));
    child.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'ready':
          worker.ready = true;
          break;
        case 'progress':
          worker.counters = message.counters;
          break;
        case 'live-ack':
          worker.liveAcked = true;
          break;
        case 'fatal':
          worker.fatal = message.message;
          worker.log.push(`fatal: ${message.message}\n`);
          break;
      }
    });
    child.on('exit', (code, signal) => (worker.exited = { code, signal }));
    return worker;
  });
  const tell = (w: Worker, message: ToWorker): void => {
    if (w.child.connected) w.child.send(message);
  };
  const check = (): void => {
    for (const w of workers) {
      if (w.fatal !== null || w.exited !== null) {
        throw new Error(`${kind} worker ${w.child.pid ?? '?'} failed: ${w.fatal ?? `exited (${w.exited?.code ?? w.exited?.signal})`}\n${w.log.tail().join('\n')}`);
      }
    }
  };

  const system: RunningSystem = {
    kind,
    instances: workers.length,
    name: `${kind} ×${workers.length}`,
    reads: INBOUND_TYPES,
    pids: () => workers.flatMap((w) => (w.child.pid === undefined || w.exited !== null ? [] : [w.child.pid])),
    progress() {
      check();
      let handled = 0;
      let live = 0;
      let first: Progress['first'] = null;
      let lastAt: number | null = null;
      let generation = 0;
      for (const w of workers) {
        const c = w.counters;
        if (c === null) continue;
        generation += c.joins;
        handled += c.handled;
        live += c.live;
        if (c.firstAt !== null && (first === null || c.firstAt < first.at)) first = { at: c.firstAt, handled: c.firstHandled };
        if (c.lastAt !== null && (lastAt === null || c.lastAt > lastAt)) lastAt = c.lastAt;
      }
      return Promise.resolve({ handled, live, first, lastAt, pending: 0, generation });
    },
    async beginLive(offsets: readonly TopicOffset[]) {
      for (const w of workers) tell(w, { cmd: 'live', offsets });
      await waitFor(`${kind} workers: live start`, () => (check(), workers.every((w) => w.liveAcked) ? true : undefined), 10_000);
    },
    notes() {
      const sum = (f: (c: WorkerCounters) => number): number => workers.reduce((n, w) => n + (w.counters ? f(w.counters) : 0), 0);
      return Promise.resolve({
        emitted: sum((c) => c.emitted),
        rejected: sum((c) => c.rejected),
        inputs_applied: sum((c) => c.applied),
        group_joins: sum((c) => c.joins),
        partitions_assigned: sum((c) => c.assigned),
        one_generation: workers.every((w) => w.counters?.joins === 1),
      });
    },
    logTail: () => workers.flatMap((w) => w.log.tail()),
    async kill() {
      const gone = workers.map((w) => exited(w));
      for (const w of workers) if (w.exited === null) w.child.kill('SIGKILL');
      await bounded('workers kill', Promise.all(gone), STOP_TIMEOUT_MS);
    },
    async stop(): Promise<StopOutcome> {
      for (const w of workers) tell(w, { cmd: 'stop' });
      await bounded('workers stop', Promise.all(workers.map((w) => exited(w))), STOP_TIMEOUT_MS).catch(() => undefined);
      let killed = 0;
      const killedLog: string[] = [];
      for (const w of workers) {
        if (w.exited === null && w.child.pid !== undefined) {
          killed++;
          killedLog.push(...w.log.tail().slice(-10));
          w.child.kill('SIGKILL');
        }
      }
      await sleep(50);
      return { exits: workers.map((w) => w.exited?.code ?? w.exited?.signal ?? null), killed, killedLog };
    },
  };

  // Start them together: each joins the group right away, so all land in one generation.
  await waitFor(`${kind} workers: ready`, () => (check(), workers.every((w) => w.ready) ? true : undefined), READY_TIMEOUT_MS);
  for (const w of workers) tell(w, { cmd: 'start' });
  return system;
}

function exited(w: Worker): Promise<void> {
  if (w.exited !== null) return Promise.resolve();
  return new Promise((resolve) => w.child.once('exit', () => resolve()));
}
