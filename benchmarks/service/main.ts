/**
 * `npm run bench -- [--quick] [--duration s] [--customers n] [--partitions n] [--instances n] [--rate n] …`
 *
 * Four systems, one after another, against the same broker and Redis in one
 * run, each on its own fresh topics and Redis key prefix:
 *
 *   bare           kafkajs consumer group members whose eachBatch only counts (the consume path's ceiling)
 *   naive          kafkajs eachMessage: decode + validate, GET state, reduce, SET, await send per emission
 *   clvstream      `node dist/cli/main.js run`, the service itself
 *   kafka-streams  the peer a team would write instead (benchmarks/peers/kafka-streams): one JVM, exactly_once_v2, RocksDB
 *
 * Each consumes a pre-produced backlog of the workload (benchmarks/workload.ts)
 * as fast as it can (throughput, CPU), then — all but bare — live traffic at
 * fixed rates (end-to-end delay): a quarter and a half of the slower of
 * clvstream and kafka-streams, measured by a first backlog run of each
 * (calibration) before any live phase. clvstream reports Redis bytes per
 * customer, kafka-streams its RocksDB bytes on disk. With --instances N
 * bare, naive and clvstream run N processes in one consumer group, and
 * clvstream also runs with one, for the scaling ratio; the peer is one JVM
 * with a stream thread per core.
 *
 * Needs the test servers (`bash scripts/test-infra.sh start`, read from
 * .infra/env) or KAFKA_BROKERS / REDIS_URL (+ KAFKA_MOCK_CONTROL). Prints the
 * tables and writes benchmarks/results/bench-<timestamp>.json.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { KeySpace } from '../../src/state/keys.js';
import { brokerPid as testBrokerPid, infraVariables, repoRoot } from '../endpoints.js';
import { WorkloadReader, writeJsonLines, type WorkloadOptions, type WorkloadRecord } from '../workload.js';
import { bounded, now, sleep } from './clock.js';
import { CpuMeter, machineBusy } from './measure/cpu.js';
import { hostSpeed, HOST_SPEED_WORKLOAD } from './measure/host-speed.js';
import { deleteByPrefix, meanMemoryUsage, scanKeys, totalMemoryUsage, usedMemory } from './measure/redis-memory.js';
import { CommanderError, parseOptions, type BenchOptions, type SystemKind } from './options.js';
import { connectProducer, delayPhase, produceBacklog, throughputPhase, type DelayResult } from './phases.js';
import { preloadChunks, preloadState, type PreloadOptions, type PreloadResult } from './preload.js';
import { formatReport, mainClvstream, ratiosOf, targetsOf, writeReport, type BenchReport, type MemoryResult, type SystemResult } from './report.js';
import { startClvstream } from './systems/clvstream.js';
import type { WorkerConfig } from './systems/protocol.js';
import type { RunningSystem } from './systems/system.js';
import { liveRatesOf } from './live-rates.js';
import { startKafkaStreams, type KafkaStreamsSystem } from './systems/kafka-streams.js';
import { startWorkers } from './systems/workers.js';
import { Topics, type TopicSet } from './topics.js';

interface Run {
  readonly kind: SystemKind;
  readonly instances: number;
  readonly delay: boolean;
  /** A backlog-only run whose throughput sets the live rates (not a result of its own). */
  readonly calibration: boolean;
}

/** The systems whose slower throughput sets the live rates. */
const RATE_SETTERS: readonly SystemKind[] = ['clvstream', 'kafka-streams'];

/**
 * Runs in order: without --rate, a backlog run of clvstream and of kafka-streams
 * first (the slower sets the live rates), then clvstream, kafka-streams, naive, bare.
 */
function plan(o: BenchOptions): Run[] {
  const runs: Run[] = [];
  const instancesOf = (kind: SystemKind): number => (kind === 'kafka-streams' ? 1 : o.instances);
  if (o.rate === null) {
    for (const kind of RATE_SETTERS) if (o.systems.includes(kind)) runs.push({ kind, instances: instancesOf(kind), delay: false, calibration: true });
  }
  if (o.systems.includes('clvstream')) {
    if (o.instances > 1) runs.push({ kind: 'clvstream', instances: 1, delay: false, calibration: false });
    runs.push({ kind: 'clvstream', instances: o.instances, delay: true, calibration: false });
  }
  if (o.systems.includes('kafka-streams')) runs.push({ kind: 'kafka-streams', instances: 1, delay: true, calibration: false });
  if (o.systems.includes('naive')) runs.push({ kind: 'naive', instances: o.instances, delay: true, calibration: false });
  if (o.systems.includes('bare')) runs.push({ kind: 'bare', instances: o.instances, delay: false, calibration: false });
  return runs;
}

const children = new Set<ChildProcess>();
const register = (child: ChildProcess): void => {
  children.add(child);
  child.once('exit', () => children.delete(child));
};
function killChildren(signal: NodeJS.Signals): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}
process.on('exit', () => killChildren('SIGKILL'));

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const root = repoRoot();
  const workloadOptions: WorkloadOptions = { seed: o.seed, customers: o.customers };
  if (o.writeWorkload !== null) {
    const summary = await writeJsonLines(workloadOptions, o.events, o.writeWorkload);
    process.stderr.write(JSON.stringify({ workload: summary }) + '\n');
    return;
  }
  if (o.systems.includes('clvstream') && !existsSync(join(root, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` (npm run bench does)');
  }
  const startedAt = new Date();
  const warnings: string[] = [];
  const vars = infraVariables(root);
  const brokers = (vars.KAFKA_BROKERS as string).split(',');
  const redisUrl = vars.REDIS_URL as string;
  for (const address of [...brokers, new URL(redisUrl).host]) {
    if (!/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(address)) warnings.push(`server ${address} is not on this machine: its CPU is not what the broker/Redis columns show`);
  }
  const stamp = Date.now().toString(36);
  const hex = randomBytes(3).toString('hex');
  const runId = `clvbench-${stamp}-${hex}`;
  // Every customer key carries the prefix: keep it about as short as the default 'clv'
  // so that bytes per customer measure clvstream, not the bench's naming.
  const short = `b${hex}`;
  const brokerPid = testBrokerPid(root);
  const kafka = new Kafka({ clientId: runId, brokers, logLevel: logLevel.NOTHING });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const cpu = new CpuMeter(redis, brokerPid);
  const prefixes: string[] = [];
  // The current system's Kafka clients and topics (one set per system: see topics.ts).
  let session: { topics: Topics; producer: Producer } | null = null;
  const endSession = async (): Promise<void> => {
    const current = session;
    session = null;
    if (current === null) return;
    await current.producer.disconnect().catch(() => undefined);
    await current.topics.close();
  };

  const cleanup = async (): Promise<void> => {
    killChildren('SIGTERM');
    await endSession();
    for (const prefix of prefixes) await deleteByPrefix(redis, prefix).catch(() => undefined);
    redis.disconnect();
  };
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    log('interrupted: stopping the processes and removing the run\'s topics and keys');
    void bounded('cleanup', cleanup(), 30_000)
      .catch(() => undefined)
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const infoServer = await redis.info('server');
    const environment = {
      node: process.version,
      cpus: cpus().length,
      load_average_at_start: loadavg().map((x) => Number(x.toFixed(2))),
      cpu_busy_before_start: null as number | null,
      kafka: `Apache Kafka at ${brokers.join(',')}${brokerPid ? ` (pid ${brokerPid})` : ' (not the test broker: no broker CPU)'}`,
      redis: `Redis ${/^redis_version:(\S+)/m.exec(infoServer)?.[1] ?? '?'} at ${new URL(redisUrl).host}`,
      host_speed_workload: HOST_SPEED_WORKLOAD,
      host_speed_at_start: Math.round(hostSpeed()),
    };
    const busy = await machineBusy(500);
    environment.cpu_busy_before_start = busy === undefined ? null : Number(busy.toFixed(3));
    if (busy !== undefined && busy > 0.25) {
      warnings.push(`${Math.round(busy * 100)} % of the machine's CPU was busy just before the start: something else is running; figures will be low and noisy`);
    }

    // The backlog: the same records for every system.
    const reader = new WorkloadReader(workloadOptions);
    // --preload: the events before the backlog, taken once for every clvstream run.
    const preloaded = o.preload > 0 ? preloadChunks(reader, o.preload) : [];
    const backlog = reader.take(o.events);
    if (backlog.length < o.events) throw new Error(`the workload reaches the present after ${backlog.length} events: use more --customers`);
    const workload = describeWorkload(backlog, o);
    const partitions = o.partitions ?? DEFAULT_PARTITIONS;
    log(`${runId}: ${backlog.length.toLocaleString('en-US')} backlog events over ${workload.customers_in_backlog.toLocaleString('en-US')} customers, ${partitions} partitions; ${environment.kafka}; ${environment.redis}`);

    const results: SystemResult[] = [];
    const calibrations: SystemResult[] = [];
    let liveRates: BenchReport['liveRates'] = null;
    for (const run of plan(o)) {
      const label = `${run.calibration ? 'cal-' : ''}${run.kind === 'clvstream' ? 'clv' : run.kind === 'kafka-streams' ? 'ks' : run.kind}${run.instances}`;
      const topics = await Topics.connect(kafka);
      const producer = await connectProducer(kafka);
      session = { topics, producer };
      const set = await topics.create(runId, label, partitions);
      const produceSeconds = await produceBacklog(producer, topics, set, backlog);
      log(`${run.kind} ×${run.instances}${run.calibration ? ' (calibration)' : ''}: backlog produced in ${produceSeconds.toFixed(1)} s; starting`);
      const prefix = run.kind === 'clvstream' ? `${short}${run.calibration ? 'k' : 'c'}${run.instances}` : `${short}n${run.instances}`;
      if (run.kind === 'clvstream' || run.kind === 'naive') prefixes.push(`${prefix}:`);
      const memoryBefore = await usedMemory(redis);
      const preload = run.kind === 'clvstream' && preloaded.length > 0 ? await preloadRun({ redisUrl, keyPrefix: prefix, partitions, topicEnv: set.env, chunks: preloaded }) : null;
      const spawnedAt = now();
      const system = await startSystem(run, { o, partitions, root, set, brokers, redisUrl, runId, label, prefix, redis, kafka, preloadChunks: preload === null ? 0 : preloaded.length });
      try {
        const capMs = run.kind === 'clvstream' || run.kind === 'kafka-streams' ? null : (o.quick ? Math.min(3, o.duration) : o.duration) * 1000;
        const throughput = await throughputPhase(system, backlog.length, capMs, cpu, spawnedAt);
        const afterBacklog = run.kind === 'bare' ? null : await outputCounts(topics, set);
        // Memory after the backlog: clvstream is idle then, its outboxes empty (the live phase may end with a relay backlog).
        const memory =
          run.kind === 'bare' || run.calibration
            ? null
            : run.kind === 'kafka-streams'
              ? rocksDbMemory((system as KafkaStreamsSystem).stateBytes(), workload.customers_in_backlog)
              : await measureMemory(redis, run.kind, prefix, partitions, memoryBefore);
        log(`${system.name}: ${Math.round(throughput.eventsPerSecond ?? 0).toLocaleString('en-US')} events/s over ${(throughput.windowSeconds ?? 0).toFixed(2)} s${throughput.complete ? '' : ' (time cap)'}`);
        if (run.calibration) {
          calibrations.push({ name: system.name, kind: run.kind, instances: run.instances, produceSeconds, throughput, delay: null, delays: [], memory: null, notes: {} });
          continue;
        }
        const delays: DelayResult[] = [];
        if (run.delay) {
          const rates = (liveRates ??= liveRatesOf(o, calibrations));
          const live = new WorkloadReader(workloadOptions);
          live.skip(o.preload + backlog.length);
          for (const [i, rate] of rates.entries()) {
            const delay = await delayPhase(system, set, topics, producer, live, cpu, {
              rate: rate.eventsPerSecond,
              durationMs: o.duration * 1000,
              drainMs: o.quick ? 2_000 : Math.max(10_000, o.duration * 1000),
              groupId: `${runId}-${label}-observer-${i}`,
              brokers,
            });
            delays.push(delay);
            log(`${system.name}: live ${delay.sent.toLocaleString('en-US')} events at ${delay.rate.toLocaleString('en-US')}/s, p99 ${delay.delay.p99Ms === null ? 'n/a' : Math.round(delay.delay.p99Ms)} ms${delay.keptUp ? '' : ' (fell behind)'} (output consumer joined in ${delay.observerJoinSeconds.toFixed(1)} s)`);
            if (delay.workloadExhausted) warnings.push(`${system.name}: the workload reached the present during the live phase (sent ${delay.sent}); use more --customers`);
          }
        }
        const delay = delays.length > 0 ? (delays[delays.length - 1] as DelayResult) : null;
        const notes: Record<string, unknown> = { ...(await system.notes()), ...(preload === null ? {} : { preload }) };
        if (afterBacklog !== null) {
          const atEnd = await outputCounts(topics, set);
          // Everything published to the output topics: emissions caused by events and by due checks (clvstream's timers).
          notes.backlog_emissions = afterBacklog.emissions;
          notes.backlog_emissions_per_event = throughput.handled > 0 ? afterBacklog.emissions / throughput.handled : null;
          // After the backlog phase: a capped naive processor keeps working on the backlog until the live phase starts.
          notes.emissions_after_backlog_phase = atEnd.emissions - afterBacklog.emissions;
          notes.dead_letters = atEnd.deadLetters;
          if (atEnd.deadLetters > 0) warnings.push(`${system.name}: ${atEnd.deadLetters} dead letters (events rejected): see the run's dead-letter topic`);
        }
        if (throughput.rebalanced) {
          const share = throughput.windowEvents / Math.max(1, throughput.handled);
          warnings.push(
            `${system.name}: the group changed after processing began (a member joined late); the rate is over the ${throughput.windowEvents} events handled after the change${share < 0.5 ? ' — under half the backlog: not reliable, run again or use more --events' : ''}`,
          );
        }
        if (notes.rebalanced === true && !throughput.rebalanced) {
          // The service logs a re-claim's cause (fenced, claim failed, revoked) at warn: keep what it said.
          const said = system.logTail().slice(-10).map((l) => l.slice(0, 300));
          warnings.push(
            `${system.name}: partitions were claimed more than once (epochs ${JSON.stringify(notes.partition_epochs)}): a rebalance or re-claim before the backlog phase's first commit or during the live phase; the service's last log lines: ${said.length === 0 ? 'none' : `\n      ${said.join('\n      ')}`}`,
          );
        }
        if (notes.one_generation === false) warnings.push(`${system.name}: the workers ended in different group generations (a rebalance during the run)`);
        results.push({ name: system.name, kind: run.kind, instances: run.instances, produceSeconds, throughput, delay, delays, memory, notes });
      } catch (error) {
        process.stderr.write(system.logTail().join('\n') + '\n');
        throw error;
      } finally {
        const stopping = now();
        const stopped = await system.stop();
        const stopSeconds = (now() - stopping) / 1000;
        log(`${system.name}: stopped in ${stopSeconds.toFixed(1)} s (exit ${stopped.exits.join(', ')})`);
        const result = results.find((r) => r.name === system.name);
        if (result) Object.assign(result.notes, { stop_seconds: Number(stopSeconds.toFixed(2)), exits: stopped.exits, killed_at_stop: stopped.killed });
        if (stopped.killed > 0 || stopped.exits.some((x) => x !== 0 && x !== null)) {
          const lines = stopped.killed > 0 ? stopped.killedLog : system.logTail().slice(-10);
          warnings.push(`${system.name}: ${stopped.killed} process(es) did not stop in time (clvstream: 25 s after SIGTERM, workers: 15 s) and were killed; exits ${JSON.stringify(stopped.exits)}; last log lines${stopped.killed > 0 ? ' of the killed' : ''}:\n      ${lines.map((l) => l.slice(0, 300)).join('\n      ')}`);
        }
        if (run.kind === 'clvstream' || run.kind === 'naive') await deleteByPrefix(redis, `${prefix}:`);
        await endSession();
      }
    }

    const hostSpeedAtEnd = Math.round(hostSpeed()); // every system has stopped
    const ratios = ratiosOf(results, o.instances);
    const targets = targetsOf(results, o.instances, ratios);
    if (o.systems.includes('clvstream') && mainClvstream(results, o.instances) === undefined) warnings.push('clvstream produced no result');
    const report: BenchReport = {
      tool: 'clvstream npm run bench',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options: o,
      partitions,
      environment: { ...environment, load_average_at_end: loadavg().map((x) => Number(x.toFixed(2))), host_speed_at_end: hostSpeedAtEnd },
      workload,
      liveRates,
      calibration: calibrations,
      systems: results,
      ratios,
      targets,
      warnings,
    };
    const header = `clvstream service benchmark, ${report.startedAt}${o.quick ? ' (--quick)' : ''}: ${partitions} partitions, ${o.instances} instance(s) per system; ${environment.kafka}; ${environment.redis}; ${environment.cpus} cores shared by everything`;
    const speedLine = `host speed (${HOST_SPEED_WORKLOAD}): ${environment.host_speed_at_start.toLocaleString('en-US')} events/s at the start, ${hostSpeedAtEnd.toLocaleString('en-US')} at the end — compare it before comparing the absolute figures of runs made at different times`;
    const workloadLine = `workload: ${backlog.length.toLocaleString('en-US')} backlog events (${Object.entries(workload.by_type).map(([t, n]) => `${t} ${((n / backlog.length) * 100).toFixed(1)} %`).join(', ')}) from a ${o.customers.toLocaleString('en-US')}-customer population (seed ${o.seed}), ${workload.customers_in_backlog.toLocaleString('en-US')} customers in the backlog${o.preload > 0 ? `, after ${o.preload.toLocaleString('en-US')} events preloaded into clvstream's Redis` : ''}`;
    console.log(`${header}\n${speedLine}\n${workloadLine}\n\n${formatReport(report)}`);
    const out = o.out ?? join(root, 'benchmarks', 'results', `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeReport(out, report);
    console.log(`\nresults: ${out.startsWith(root) ? out.slice(root.length + 1) : out}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!interrupted) await bounded('cleanup', cleanup(), 60_000).catch((error: Error) => log(`cleanup: ${error.message}`));
  }
}

/** Back-fills the workload's first --preload events into the clvstream run's key space (preload.ts). */
async function preloadRun(target: Omit<PreloadOptions, 'onChunk'>): Promise<PreloadResult> {
  log(`preloading into ${target.keyPrefix} (not timed)`);
  const result = await preloadState({ ...target, onChunk: (done) => log(`  preloaded ${done.toLocaleString('en-US')}`) });
  log(`preloaded ${result.events.toLocaleString('en-US')} events in ${result.seconds.toFixed(1)} s (${result.timersFired.toLocaleString('en-US')} due checks fired, ${result.outboxDropped.toLocaleString('en-US')} outbox records dropped unpublished)`);
  return result;
}

interface StartContext {
  readonly o: BenchOptions;
  readonly partitions: number;
  readonly root: string;
  readonly set: TopicSet;
  readonly brokers: readonly string[];
  readonly redisUrl: string;
  readonly runId: string;
  readonly label: string;
  readonly prefix: string;
  readonly redis: Redis;
  readonly kafka: Kafka;
  readonly preloadChunks: number;
}

/** The Kafka Streams JVM's heap: RocksDB keeps its caches off-heap, so the heap holds little but records in flight. */
const PEER_HEAP = '512m';

/** Partitions of every topic when --partitions is not given. */
const DEFAULT_PARTITIONS = 8;

async function startSystem(run: Run, c: StartContext): Promise<RunningSystem> {
  const groupId = `${c.runId}-${c.label}`;
  if (run.kind === 'clvstream') {
    return startClvstream(
      {
        root: c.root,
        instances: run.instances,
        partitions: c.partitions,
        topics: c.set,
        brokers: c.brokers,
        redisUrl: c.redisUrl,
        keyPrefix: c.prefix,
        groupId,
        clientId: groupId,
        extra: c.o.set,
        cpuProf: c.o.cpuProf,
        // Each chunk of the preload's back-fill claimed every partition once.
        claimsBefore: c.preloadChunks,
      },
      c.redis,
      register,
    );
  }
  if (run.kind === 'kafka-streams') {
    return startKafkaStreams({ root: c.root, topics: c.set, brokers: c.brokers, applicationId: groupId, threads: c.o.peerThreads, heap: PEER_HEAP }, c.kafka, register);
  }
  const configs: WorkerConfig[] = Array.from({ length: run.instances }, (_, index) => ({
    kind: run.kind as 'bare' | 'naive',
    index,
    brokers: c.brokers,
    clientId: `${groupId}-${index}`,
    groupId,
    inbound: c.set.inbound,
    ...(run.kind === 'naive' ? { segmentChanged: c.set.segmentChanged, churnRisk: c.set.churnRisk, redisUrl: c.redisUrl, keyPrefix: `${c.prefix}:` } : {}),
  }));
  return startWorkers(configs, register);
}

/** Records in a system's emission topics and its dead-letter topic (the topics are fresh: end offsets are counts). */
async function outputCounts(topics: Topics, set: TopicSet): Promise<{ emissions: number; deadLetters: number }> {
  const offsets = await topics.endOffsets([set.segmentChanged, set.churnRisk, set.deadLetter]);
  const sum = (topic: string): number => offsets.filter((x) => x.topic === topic).reduce((n, x) => n + x.offset, 0);
  return { emissions: sum(set.segmentChanged) + sum(set.churnRisk), deadLetters: sum(set.deadLetter) };
}

/** The peer's state: its customers' RocksDB store on disk over the customers of the backlog (every one has a record there). */
function rocksDbMemory(bytes: { stateDir: number | null; customerStore: number | null }, customers: number): MemoryResult {
  return {
    store: 'rocksdb-disk',
    customers,
    usedMemoryDelta: bytes.customerStore ?? 0,
    bytesPerCustomer: bytes.customerStore === null || customers === 0 ? null : bytes.customerStore / customers,
    stateKeyMeanBytes: null,
    stateKeysSampled: 0,
    timerBytesPerCustomer: null,
    stateDirBytesPerCustomer: bytes.stateDir === null || customers === 0 ? null : bytes.stateDir / customers,
  };
}

async function measureMemory(redis: Redis, kind: SystemKind, prefix: string, partitions: number, before: number): Promise<MemoryResult> {
  // Let lazily freed memory of earlier runs settle (UNLINK frees in the background).
  await sleep(200);
  const after = await usedMemory(redis);
  const keys = new KeySpace(prefix);
  const stateKeys = await scanKeys(redis, kind === 'clvstream' ? keys.allCustomersPattern() : `${prefix}:c:*`);
  const usage = await meanMemoryUsage(redis, stateKeys);
  const timers = kind === 'clvstream' ? await totalMemoryUsage(redis, Array.from({ length: partitions }, (_, p) => keys.timers(p))) : null;
  const customers = stateKeys.length;
  return {
    store: 'redis',
    customers,
    usedMemoryDelta: after - before,
    bytesPerCustomer: customers > 0 ? (after - before) / customers : null,
    stateKeyMeanBytes: usage.meanBytes,
    stateKeysSampled: usage.sampled,
    timerBytesPerCustomer: timers === null || customers === 0 ? null : timers / customers,
    stateDirBytesPerCustomer: null,
  };
}

function describeWorkload(
  backlog: readonly WorkloadRecord[],
  o: BenchOptions,
): { by_type: Record<string, number>; customers_in_backlog: number; first_event_at: string | null; last_event_at: string | null; seed: number; population: number; preloaded_events: number } {
  const byType: Record<string, number> = {};
  const customers = new Set<string>();
  for (const r of backlog) {
    byType[r.type] = (byType[r.type] ?? 0) + 1;
    customers.add(r.key);
  }
  const first = backlog[0];
  const last = backlog[backlog.length - 1];
  return {
    by_type: byType,
    customers_in_backlog: customers.size,
    first_event_at: first ? new Date(first.atMs).toISOString() : null,
    last_event_at: last ? new Date(last.atMs).toISOString() : null,
    seed: o.seed,
    population: o.customers,
    preloaded_events: o.preload,
  };
}

await main().catch((error: Error) => {
  if (error instanceof CommanderError) {
    // --help (exit 0) or a bad command line (commander printed why): exit 2 like the CLI.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
    return;
  }
  log(`failed: ${error.stack ?? error.message}`);
  process.exitCode = 1;
});
