/**
 * The outbox relay on a thread of its own (relay-worker.ts). Producing a record
 * with kafkajs costs more CPU than consuming, reducing and committing the event
 * that caused it (benchmarks/RESULTS.md): on the runner's thread, that work
 * delays the next batch. On its own thread it runs beside the commits, and a
 * busy runner thread no longer holds up records that are ready to go.
 *
 * The thread opens its own Redis connection and producer; a pass there is the
 * in-process relay's pass (read → produce → ack), so delivery stays at least
 * once with deterministic ids. The runner asks for passes and halts them, as it
 * would the in-process relay; a thread that dies fails its passes and is
 * started again by the next one.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../ops/logger.js';
import type { RedisCommandObserver } from '../state/redis-timing.js';
import type { Relay, RelayObserver, RelayPassResult, RelayedRecord } from './outbox-relay.js';
import { PassQueue } from './pass-queue.js';
import type { RelayCommand, RelayThreadMessage, RelayThreadInit } from './relay-thread-protocol.js';

/** How long `close` waits for the thread to finish its passes and disconnect before ending it. */
const CLOSE_TIMEOUT_MS = 10_000;

export class RelayThreadError extends Error {
  constructor(message: string, name = 'RelayThreadError') {
    super(message);
    this.name = name;
  }
}

interface PendingPass {
  readonly partition: number;
  readonly promise: Promise<RelayPassResult>;
  resolve(result: RelayPassResult): void;
  reject(error: Error): void;
  stop?: AbortSignal;
  onAbort?: () => void;
}

/** Where the worker's code is: next to this module, compiled or (tests, tsx) as TypeScript. */
function workerEntry(): { url: URL; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './relay-worker.ts' : './relay-worker.js', import.meta.url);
  // TypeScript sources import each other as `.js`: the thread needs tsx's loader too.
  const execArgv = fromSource && !process.execArgv.some((a) => a.includes('tsx')) ? [...process.execArgv, '--import', 'tsx'] : process.execArgv;
  return { url, execArgv };
}

export class ThreadedRelay implements Relay {
  private worker: Worker | null = null;
  private nextPass = 1;
  private readonly passes = new Map<number, PendingPass>();
  /** One pass per partition on the thread at a time, one more queued behind it (pass-queue.ts). */
  private readonly queue = new PassQueue<RelayPassResult>();
  private closed = false;

  constructor(
    private readonly init: RelayThreadInit,
    private readonly observer: RelayObserver = {},
    private readonly logger?: Logger,
    /** Receives the timings of the thread's Redis commands (the service's metrics). */
    private readonly redisObserver?: RedisCommandObserver,
  ) {}

  relay(p: number, stop?: AbortSignal): Promise<RelayPassResult> {
    return this.queue.run(p, () => this.startPass(p, stop));
  }

  private startPass(p: number, stop?: AbortSignal): Promise<RelayPassResult> {
    if (this.closed) return Promise.reject(new RelayThreadError('the relay is closed'));
    if (stop?.aborted === true) return Promise.resolve({ relayed: 0, drained: false });
    const id = this.nextPass++;
    let resolve!: (r: RelayPassResult) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<RelayPassResult>((res, rej) => ((resolve = res), (reject = rej)));
    const pass: PendingPass = { partition: p, promise, resolve, reject, stop };
    this.passes.set(id, pass);
    const worker = this.started();
    // The thread handles messages in order: the halt must follow the pass it halts.
    this.send(worker, { kind: 'relay', pass: id, partition: p });
    if (stop !== undefined) {
      pass.onAbort = () => this.send(worker, { kind: 'halt', pass: id });
      stop.addEventListener('abort', pass.onAbort, { once: true });
    }
    return promise;
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Lets the passes in flight finish, then stops the thread (ended after CLOSE_TIMEOUT_MS). */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (worker === null) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.send(worker, { kind: 'close' });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_TIMEOUT_MS)));
    if ((await Promise.race([exited, late])) === 'late') {
      this.logger?.warn('relay thread did not stop in time; ending it');
      await worker.terminate();
    }
    clearTimeout(timer);
  }

  private started(): Worker {
    if (this.worker !== null) return this.worker;
    const { url, execArgv } = workerEntry();
    const worker = new Worker(url, { workerData: this.init, execArgv });
    worker.on('message', (report: RelayThreadMessage) => this.onThreadMessage(report));
    worker.on('error', (error: unknown) => {
      this.logger?.error({ err: error }, 'relay thread failed');
      this.lost(worker, error instanceof Error ? error : new RelayThreadError(String(error)));
    });
    worker.on('exit', (code) => this.lost(worker, new RelayThreadError(`the relay thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  /** The thread is gone: its passes fail (their entries stay in the outbox), the next pass starts a new one. */
  private lost(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    for (const id of [...this.passes.keys()]) {
      this.settle(id, (pass) => {
        this.observer.relayFailed?.(pass.partition, error);
        pass.reject(error);
      });
    }
  }

  private send(worker: Worker, command: RelayCommand): void {
    if (this.worker === worker) worker.postMessage(command);
  }

  private onThreadMessage(report: RelayThreadMessage): void {
    switch (report.kind) {
      case 'done':
        this.settle(report.pass, (pass) => pass.resolve({ relayed: report.relayed, drained: report.drained }));
        return;
      case 'failed': {
        const error = new RelayThreadError(report.message, report.name);
        this.settle(report.pass, (pass) => {
          this.observer.relayFailed?.(pass.partition, error);
          pass.reject(error);
        });
        return;
      }
      case 'redis':
        report.commands.forEach((command, i) => this.redisObserver?.redisCommand(command, report.seconds[i] as number));
        return;
      case 'relayed': {
        const records: RelayedRecord[] = new Array<RelayedRecord>(report.topicOf.length);
        for (let i = 0; i < records.length; i++) {
          const at = report.eventTimes[i] as number;
          records[i] = { topic: report.topics[report.topicOf[i] as number] as string, eventTimeMs: Number.isNaN(at) ? null : at };
        }
        this.observer.relayed?.(report.partition, records, report.ackedAtMs);
        return;
      }
    }
  }

  private settle(id: number, how: (pass: PendingPass) => void): void {
    const pass = this.passes.get(id);
    if (pass === undefined) return;
    this.passes.delete(id);
    if (pass.onAbort !== undefined) pass.stop?.removeEventListener('abort', pass.onAbort);
    how(pass);
  }
}
