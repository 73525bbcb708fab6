/**
 * `npm run bench -- [--quick] [--duration s] [--customers n] [--partitions n] [--instances n] [--rate n] …`
 *
 * Four systems, one after another, against the same broker and Redis in one
 * run, each on its own fresh topics and Redis key prefix (bare reads clvstream's):
 *
 *   bare           kafkajs consumer group members whose eachBatch only counts (the consume path's ceiling)
 *   naive          kafkajs eachMessage: decode + validate, GET state, reduce, SET, await send per emission
 *   clvstream      `node dist/cli/main.js run`, the service itself
 *   kafka-streams  the peer a team would write instead (benchmarks/peers/kafka-streams): one JVM, exactly_once_v2, RocksDB
 *
 * Each consumes a pre-produced backlog of the workload (benchmarks/workload.ts)
 * as fast as it can (throughput, CPU), then — all but bare — live traffic at
 * fixed rates (end-to-end delay): a quarter and a half of the slower of
 * clvstream and kafka-streams. So that no system runs twice: clvstream's
 * backlog run comes first and it stops; the peer's backlog run sets the rates
 * and its live phases follow; then clvstream starts again on its topics and
 * key prefix for its live phases, after a few seconds of live traffic that
 * are not measured (the new process's JIT warm-up; the peer's live phases
 * follow its backlog in the same JVM). clvstream and the peer are then SIGKILLed
 * under live traffic at the lower rate and started again (recovery.ts), and
 * clvstream's stored states are checked against everything sent (exactly
 * once). bare reads clvstream's backlog (its own group) before clvstream
 * starts. clvstream reports Redis bytes per customer, kafka-streams its
 * RocksDB bytes on disk. The peer does not read the interaction topic: it gets
 * the same workload and ignores that topic (its figures are per backlog event,
 * and per event it reads). With --instances N bare, naive and clvstream run N
 * processes in one consumer group, and clvstream also runs with one (backlog
 * only), for the scaling ratio; the peer is one JVM with a stream thread per
 * core.
 *
 * Needs the test servers (`bash scripts/test-infra.sh start`, read from
 * .infra/env) or KAFKA_BROKERS / REDIS_URL (+ KAFKA_MOCK_CONTROL). Prints the
 * tables, the whole command's time (scripts/bench.sh passes when it began,
 * before the build) and writes benchmarks/results/bench-<timestamp>.json.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { KeySpace, META_FIELDS } from '../../src/state/keys.js';
import { brokerPid as testBrokerPid, infraVariables, repoRoot } from '../endpoints.js';
import { WorkloadReader, writeJsonLines, type WorkloadOptions, type WorkloadRecord } from '../workload.js';
import { bounded, now, sleep, waitFor } from './clock.js';
import { CpuMeter, machineBusy } from './measure/cpu.js';
import { EmissionObserver } from './measure/delay.js';
import { checkExactlyOnce, type ExactlyOnceCheck } from './measure/exactly-once.js';
import { hostSpeed, HOST_SPEED_WORKLOAD } from './measure/host-speed.js';
import { deleteByPrefix, meanMemoryUsage, scanKeys, totalMemoryUsage, usedMemory } from './measure/redis-memory.js';
import { CommanderError, parseOptions, type BenchOptions, type SystemKind } from './options.js';
import { connectProducer, delayPhase, LiveSender, produceBacklog, throughputPhase, type DelayResult, type ThroughputResult } from './phases.js';
import { preloadChunks, preloadState, type PreloadOptions, type PreloadResult } from './preload.js';
import { formatReport, mainClvstream, ratiosOf, targetsOf, writeReport, type BenchReport, type MemoryResult, type SystemResult } from './report.js';
import { startClvstream } from './systems/clvstream.js';
import type { WorkerConfig } from './systems/protocol.js';
import type { RunningSystem } from './systems/system.js';
import { liveRatesOf } from './live-rates.js';
import { recoveryPhase } from './recovery.js';
import { startKafkaStreams, type KafkaStreamsSystem } from './systems/kafka-streams.js';
import { startWorkers } from './systems/workers.js';
import { Topics, type TopicSet } from './topics.js';

/** The systems whose slower backlog throughput sets the live rates. */
const RATE_SETTERS: readonly SystemKind[] = ['clvstream', 'kafka-streams'];

/** The systems whose recovery after a SIGKILL is measured (naive and bare: see recoveryOf). */
const RECOVERING: readonly SystemKind[] = ['clvstream', 'kafka-streams'];

/** Why naive's recovery is not measured. */
const NAIVE_RECOVERY =
  'not measured: the naive processor commits its offsets apart from its Redis writes (at least once), so a kill replays events into its state; there is no exactly-once recovery to time';

/** One system's run: its topics, producer and key prefix, its processes and what its backlog phase measured. */
interface Stage {
  readonly kind: SystemKind;
  readonly instances: number;
  readonly label: string;
  readonly topics: Topics;
  readonly producer: Producer;
  readonly set: TopicSet;
  readonly prefix: string;
  produceSeconds: number;
  preload: PreloadResult | null;
  /** The running processes (null once stopped). */
  system: RunningSystem | null;
  throughput: ThroughputResult | null;
  memory: MemoryResult | null;
  afterBacklog: { emissions: number; deadLetters: number } | null;
  readonly notes: Record<string, unknown>;
  /** Runs on another stage's topics (bare): they are that stage's to delete. */
  readonly shared: boolean;
}

/** Order of the systems in the report. */
const REPORT_ORDER: readonly SystemKind[] = ['clvstream', 'kafka-streams', 'naive', 'bare'];

/** Short labels in topic names. */
const LABEL: Record<SystemKind, string> = { clvstream: 'clv', 'kafka-streams': 'ks', naive: 'naive', bare: 'bare' };

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
  // The systems' Kafka clients and topics (one set per system, see topics.ts; clvstream's stays open while the peer runs).
  const stages = new Set<Stage>();
  const closeStages = async (): Promise<void> => {
    for (const stage of [...stages]) {
      stages.delete(stage);
      await stage.producer.disconnect().catch(() => undefined);
      await stage.topics.close();
    }
  };

  const cleanup = async (): Promise<void> => {
    killChildren('SIGTERM');
    await closeStages();
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
    let liveRates: BenchReport['liveRates'] = null;
    const backlogRead = (system: RunningSystem): number => {
      const reads = new Set<string>(system.reads);
      return backlog.filter((r) => reads.has(r.type)).length;
    };
    const context = { o, partitions, root, brokers, redisUrl, runId, redis, kafka, preloadChunks: preloaded.length };

    /** Fresh topics with the backlog, and the stage's key prefix. */
    const prepareStage = async (kind: SystemKind, instances: number): Promise<Stage> => {
      const label = `${LABEL[kind]}${instances}`;
      const topics = await Topics.connect(kafka);
      const producer = await connectProducer(kafka);
      const set = await topics.create(runId, label, partitions);
      const prefix = `${short}${kind === 'clvstream' ? 'c' : 'n'}${instances}`;
      const stage: Stage = { kind, instances, label, topics, producer, set, prefix, produceSeconds: 0, system: null, throughput: null, memory: null, afterBacklog: null, notes: {}, preload: null, shared: false };
      stages.add(stage);
      if (kind === 'clvstream' || kind === 'naive') prefixes.push(`${prefix}:`);
      stage.produceSeconds = await produceBacklog(producer, topics, set, backlog);
      log(`${kind} ×${instances}: backlog produced in ${stage.produceSeconds.toFixed(1)} s`);
      return stage;
    };

    /**
     * bare on another stage's topics, before that system starts: it only reads (its own
     * group), so the backlog there is the same and producing it again would only cost time.
     */
    const bareOn = (host: Stage): Stage => ({ ...host, kind: 'bare', instances: o.instances, label: `${LABEL.bare}${o.instances}`, system: null, notes: {}, preload: null, shared: true });

    /** The system's start and its backlog phase; the system is left running. */
    const backlogStage = async (stageOrKind: Stage | SystemKind, instances: number): Promise<Stage> => {
      const stage = typeof stageOrKind === 'string' ? await prepareStage(stageOrKind, instances) : stageOrKind;
      const { kind, topics, set, prefix } = stage;
      log(`${kind} ×${instances}: starting`);
      const memoryBefore = await usedMemory(redis);
      stage.preload = kind === 'clvstream' && preloaded.length > 0 ? await preloadRun({ redisUrl, keyPrefix: prefix, partitions, topicEnv: set.env, chunks: preloaded }) : null;
      const spawnedAt = now();
      const system = await startSystem(stage, context, {});
      stage.system = system;
      try {
        // clvstream and the peer get through the whole backlog; bare and naive for a while: --quick
        // 3 s, or up to 10 s until naive has handled 1,500 events (a slow host once gave it 3 s and a
        // few hundred); a full run --duration.
        const cap =
          kind === 'clvstream' || kind === 'kafka-streams'
            ? null
            : o.quick
              ? { minMs: Math.min(3, o.duration) * 1000, minEvents: 1_500, maxMs: 10_000 }
              : { minMs: o.duration * 1000, minEvents: 0, maxMs: o.duration * 1000 };
        const throughput = await throughputPhase(system, { events: backlog.length, read: backlogRead(system) }, cap, cpu, spawnedAt);
        stage.throughput = throughput;
        stage.afterBacklog = kind === 'bare' ? null : await outputCounts(topics, set);
        // Memory after the backlog: clvstream is idle then, its outboxes empty (the live phase may end with a relay backlog).
        stage.memory =
          kind === 'bare'
            ? null
            : kind === 'kafka-streams'
              ? rocksDbMemory((system as KafkaStreamsSystem).stateBytes(), workload.customers_in_backlog)
              : await measureMemory(redis, kind, prefix, partitions, memoryBefore);
        const share = throughput.backlogRead < throughput.backlog ? ` (${Math.round(throughput.readEventsPerSecond ?? 0).toLocaleString('en-US')}/s of the ${throughput.backlogRead.toLocaleString('en-US')} events it reads)` : '';
        log(`${system.name}: ${Math.round(throughput.eventsPerSecond ?? 0).toLocaleString('en-US')} events/s${share} over ${(throughput.windowSeconds ?? 0).toFixed(2)} s${throughput.complete ? '' : ' (time cap)'}`);
      } catch (error) {
        process.stderr.write(system.logTail().join('\n') + '\n');
        throw error;
      }
      return stage;
    };

    /** Stops the stage's system (gracefully), noting how it stopped. */
    const stopStage = async (stage: Stage): Promise<void> => {
      const system = stage.system;
      if (system === null) return;
      stage.system = null;
      const stopping = now();
      const stopped = await system.stop();
      const stopSeconds = (now() - stopping) / 1000;
      log(`${system.name}: stopped in ${stopSeconds.toFixed(1)} s (exit ${stopped.exits.join(', ')})`);
      Object.assign(stage.notes, { stop_seconds: Number(stopSeconds.toFixed(2)), exits: stopped.exits, killed_at_stop: stopped.killed });
      if (stopped.killed > 0 || stopped.exits.some((x) => x !== 0 && x !== null)) {
        const lines = stopped.killed > 0 ? stopped.killedLog : system.logTail().slice(-10);
        warnings.push(`${system.name}: ${stopped.killed} process(es) did not stop in time (clvstream: 25 s after SIGTERM, workers: 15 s) and were killed; exits ${JSON.stringify(stopped.exits)}; last log lines${stopped.killed > 0 ? ' of the killed' : ''}:\n      ${lines.map((l) => l.slice(0, 300)).join('\n      ')}`);
      }
    };

    /** Stops the system, removes its keys and topics, and files its result. */
    const finishStage = async (stage: Stage, delays: DelayResult[], recovery: SystemResult['recovery'], exactlyOnce: ExactlyOnceCheck | null): Promise<void> => {
      try {
        await stopStage(stage);
        const throughput = stage.throughput as ThroughputResult;
        const name = `${stage.kind} ×${stage.instances}`;
        const notes = stage.notes;
        if (stage.preload !== null) notes.preload = stage.preload;
        if (stage.afterBacklog !== null) {
          const atEnd = await outputCounts(stage.topics, stage.set);
          // Everything published to the output topics: emissions caused by events and by due checks (timers).
          notes.backlog_emissions = stage.afterBacklog.emissions;
          notes.backlog_emissions_per_event = throughput.handled > 0 ? stage.afterBacklog.emissions / backlog.length : null;
          notes.emissions_after_backlog_phase = atEnd.emissions - stage.afterBacklog.emissions;
          notes.dead_letters = atEnd.deadLetters;
          if (atEnd.deadLetters > 0) warnings.push(`${name}: ${atEnd.deadLetters} dead letters (events rejected): see the run's dead-letter topic`);
        }
        if (throughput.rebalanced) {
          const share = throughput.windowEvents / Math.max(1, throughput.handled);
          warnings.push(
            `${name}: the group changed after processing began (a member joined late); the rate is over the ${throughput.windowEvents} events handled after the change${share < 0.5 ? ' — under half the backlog: not reliable, run again or use more --events' : ''}`,
          );
        }
        if (notes.one_generation === false) warnings.push(`${name}: the workers ended in different group generations (a rebalance during the run)`);
        if (exactlyOnce !== null && !exactlyOnce.ok) warnings.push(`${name}: the exactly-once check after the kill failed: ${JSON.stringify(exactlyOnce)}`);
        const delay = delays.length > 0 ? (delays[delays.length - 1] as DelayResult) : null;
        results.push({ name, kind: stage.kind, instances: stage.instances, produceSeconds: stage.produceSeconds, throughput, delay, delays, memory: stage.memory, recovery, exactlyOnce, notes });
      } finally {
        if (!stage.shared) {
          stages.delete(stage);
          if (stage.kind === 'clvstream' || stage.kind === 'naive') await deleteByPrefix(redis, `${stage.prefix}:`);
          await stage.producer.disconnect().catch(() => undefined);
          await stage.topics.close();
        }
      }
    };

    /** Live traffic at each rate, then (clvstream, kafka-streams) a SIGKILL and the recovery from it. */
    const liveStage = async (stage: Stage, rates: NonNullable<BenchReport['liveRates']>, warmUp = false): Promise<void> => {
      const system0 = stage.system as RunningSystem;
      const reader = new WorkloadReader(workloadOptions);
      reader.skip(o.preload + backlog.length);
      const observer = new EmissionObserver(brokers, [stage.set.segmentChanged, stage.set.churnRisk], `${runId}-${stage.label}-observer`);
      const delays: DelayResult[] = [];
      let recovery: SystemResult['recovery'] = null;
      let exactlyOnce: ExactlyOnceCheck | null = null;
      try {
        const joinStarted = now();
        await observer.start(60_000);
        stage.notes.observer_join_seconds = Number(((now() - joinStarted) / 1000).toFixed(2));
        const liveStart = await stage.topics.endOffsets(Object.values(stage.set.inbound));
        await system0.beginLive(liveStart);
        const sender = new LiveSender(system0, stage.set, stage.producer, reader, observer);
        const firstRate = rates[0];
        if (warmUp && firstRate !== undefined) {
          // A process started again has lost its compiled code; the peer's live phases follow its backlog
          // run in the same process. Live traffic, not measured, until it is warm again.
          const warm = await delayPhase(system0, sender, observer, cpu, { rate: firstRate.eventsPerSecond, durationMs: (o.quick ? 3 : 10) * 1000, drainMs: 10_000 });
          stage.notes.warm_up = { rate: warm.rate, sent: warm.sent, p99_ms: warm.delay.p99Ms, caught_up_seconds: warm.caughtUpSeconds };
          log(`${system0.name}: warm-up (not measured): ${warm.sent.toLocaleString('en-US')} events at ${warm.rate.toLocaleString('en-US')}/s, p99 ${warm.delay.p99Ms === null ? 'n/a' : Math.round(warm.delay.p99Ms)} ms`);
        }
        for (const rate of rates) {
          const delay = await delayPhase(system0, sender, observer, cpu, {
            rate: rate.eventsPerSecond,
            durationMs: o.duration * 1000,
            drainMs: o.quick ? 2_000 : Math.max(10_000, o.duration * 1000),
          });
          delays.push(delay);
          log(`${system0.name}: live ${delay.sent.toLocaleString('en-US')} events at ${delay.rate.toLocaleString('en-US')}/s, p99 ${delay.delay.p99Ms === null ? 'n/a' : Math.round(delay.delay.p99Ms)} ms${delay.keptUp ? '' : ' (fell behind)'}`);
          if (delay.workloadExhausted) warnings.push(`${system0.name}: the workload reached the present during the live phase (sent ${delay.sent}); use more --customers`);
        }
        Object.assign(stage.notes, await system0.notes());
        const first = delays[0];
        if (!RECOVERING.includes(stage.kind)) {
          recovery = { skipped: stage.kind === 'naive' ? NAIVE_RECOVERY : 'no emissions to recover' };
        } else if (first !== undefined) {
          const { result, system } = await recoveryPhase(system0, () => startSystem(stage, context, { restart: true }), sender, observer, {
            rate: first.rate,
            warmMs: o.quick ? 1_000 : 3_000,
            // The peer took 44-71 s to catch up on a host held busy by others (benchmarks/RESULTS.md).
            capMs: o.quick ? 60_000 : 120_000,
            drainMs: o.quick ? 15_000 : 30_000,
            delayThresholdMs: Math.max(1_000, 2 * (first.delay.p99Ms ?? 0)),
            liveStart,
          });
          stage.system = system;
          recovery = result;
          const above = `more than ${result.capSeconds}`;
          log(`${system0.name}: SIGKILL at ${first.rate}/s: back after ${result.backSeconds?.toFixed(1) ?? above} s, caught up after ${result.caughtUpSeconds?.toFixed(1) ?? above} s, delays under ${Math.round(result.delayThresholdMs)} ms after ${result.delayRecoveredSeconds?.toFixed(1) ?? 'n/a'} s${result.complete ? '' : ' (not drained)'}`);
          if (stage.kind === 'clvstream' && o.preload === 0 && result.complete) {
            const byType: Record<string, number> = { ...workload.by_type };
            for (const [type, n] of Object.entries(sender.byType)) byType[type] = (byType[type] ?? 0) + n;
            exactlyOnce = await checkExactlyOnce({ redisUrl, keyPrefix: stage.prefix, topicEnv: stage.set.env }, byType, (await outputCounts(stage.topics, stage.set)).emissions);
            log(`${system0.name}: exactly-once after the kill: ${exactlyOnce.ok ? 'held' : 'FAILED'} (lost ${exactlyOnce.lost}, doubled ${exactlyOnce.doubled}, emissions republished ${exactlyOnce.republished}, missing ${exactlyOnce.emissionsMissing})`);
          }
        }
      } catch (error) {
        process.stderr.write((stage.system ?? system0).logTail().join('\n') + '\n');
        throw error;
      } finally {
        await observer.stop();
      }
      await finishStage(stage, delays, recovery, exactlyOnce);
    };

    const ratesFrom = (measured: readonly Stage[]): NonNullable<BenchReport['liveRates']> =>
      liveRatesOf(
        o,
        measured.map((st) => ({ name: `${st.kind} ×${st.instances}`, throughput: st.throughput as ThroughputResult })),
      );

    // clvstream ×1 beside ×N, for the scaling ratio: backlog only.
    if (o.systems.includes('clvstream') && o.instances > 1) {
      const one = await backlogStage('clvstream', 1);
      await finishStage(one, [], null, null);
    }
    // clvstream and the peer: each one backlog run; the slower sets the live rates. clvstream
    // stops while the peer runs (its idle polling would take CPU from it) and starts again on
    // the same topics and key prefix for its live phases.
    const clvTopics = o.systems.includes('clvstream') ? await prepareStage('clvstream', o.instances) : null;
    if (clvTopics !== null && o.systems.includes('bare')) await finishStage(await backlogStage(bareOn(clvTopics), o.instances), [], { skipped: 'no emissions to recover' }, null);
    const clv = clvTopics === null ? null : await backlogStage(clvTopics, o.instances);
    const peerFirst = clv !== null && o.rate === null && o.systems.includes('kafka-streams');
    if (clv !== null && peerFirst) await stopStage(clv);
    if (clv !== null && !peerFirst) await liveStage(clv, (liveRates ??= ratesFrom([clv])));
    if (o.systems.includes('kafka-streams')) {
      const peer = await backlogStage('kafka-streams', 1);
      liveRates ??= ratesFrom([...(clv === null ? [] : [clv]), peer].filter((st) => RATE_SETTERS.includes(st.kind)));
      await liveStage(peer, liveRates);
    }
    if (clv !== null && peerFirst) {
      const claimed = await partitionEpochs(redis, clv.prefix, partitions);
      const spawnedAt = now();
      clv.system = await startSystem(clv, context, { restart: true });
      // Every partition claimed anew before the live traffic starts.
      await waitFor(`${clv.system.name}: partitions claimed after the restart`, async () => {
        await clv.system?.progress(); // throws when a process died
        const epochs = await partitionEpochs(redis, clv.prefix, partitions);
        return epochs.every((e, p) => e > (claimed[p] ?? 0)) ? true : undefined;
      }, 120_000);
      const restartSeconds = (now() - spawnedAt) / 1000;
      clv.notes.restart_before_live_seconds = Number(restartSeconds.toFixed(2));
      log(`${clv.system.name}: started again for the live phases; partitions claimed in ${restartSeconds.toFixed(1)} s`);
      await liveStage(clv, liveRates as NonNullable<BenchReport['liveRates']>, true);
    }
    liveRates ??= ratesFrom([]);
    if (o.systems.includes('naive')) await liveStage(await backlogStage('naive', o.instances), liveRates);
    if (clvTopics === null && o.systems.includes('bare')) await finishStage(await backlogStage('bare', o.instances), [], { skipped: 'no emissions to recover' }, null);
    results.sort((a, b) => REPORT_ORDER.indexOf(a.kind) - REPORT_ORDER.indexOf(b.kind) || a.instances - b.instances);

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
      systems: results,
      ratios,
      targets,
      warnings,
      totalSeconds: totalSeconds(),
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
    const total = totalSeconds();
    log(`done: ${total.command === null ? '' : `${total.command} s for the whole command, build included; `}${total.bench} s in the bench process, clean-up included`);
  }
}

/** The whole command's time (scripts/bench.sh passes when it started, before the build) and the bench process's. */
function totalSeconds(): BenchReport['totalSeconds'] {
  const t = now();
  const started = Number(process.env.BENCH_COMMAND_STARTED_MS);
  return { command: Number.isFinite(started) && started > 0 ? Number(((t - started) / 1000).toFixed(1)) : null, bench: Number(((t - performance.timeOrigin) / 1000).toFixed(1)) };
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
  readonly brokers: readonly string[];
  readonly redisUrl: string;
  readonly runId: string;
  readonly redis: Redis;
  readonly kafka: Kafka;
  readonly preloadChunks: number;
}

/** The Kafka Streams JVM's heap: RocksDB keeps its caches off-heap, so the heap holds little but records in flight. */
const PEER_HEAP = '512m';

/** Partitions of every topic when --partitions is not given. */
const DEFAULT_PARTITIONS = 8;

/**
 * Starts the stage's system on its topics, group and state. `restart`: once
 * more after it ran (stopped, or killed): clvstream on the same key prefix
 * (its partitions were claimed once more by then), the peer on the state
 * directory of the process before it.
 */
async function startSystem(stage: Stage, c: StartContext, how: { restart?: boolean }): Promise<RunningSystem> {
  const groupId = `${c.runId}-${stage.label}`;
  if (stage.kind === 'clvstream') {
    return startClvstream(
      {
        root: c.root,
        instances: stage.instances,
        partitions: c.partitions,
        topics: stage.set,
        brokers: c.brokers,
        redisUrl: c.redisUrl,
        keyPrefix: stage.prefix,
        groupId,
        clientId: groupId,
        extra: c.o.set,
        cpuProf: c.o.cpuProf,
        // Each chunk of the preload's back-fill claimed every partition once, and so did the first start.
        claimsBefore: c.preloadChunks + (how.restart === true ? 1 : 0),
      },
      c.redis,
      register,
    );
  }
  if (stage.kind === 'kafka-streams') {
    const before = how.restart === true ? (stage.system as KafkaStreamsSystem | null)?.stateDir : undefined;
    return startKafkaStreams(
      { root: c.root, topics: stage.set, brokers: c.brokers, applicationId: groupId, threads: c.o.peerThreads, heap: PEER_HEAP, ...(before === undefined ? {} : { stateDir: before }) },
      c.kafka,
      register,
    );
  }
  const kind = stage.kind;
  const configs: WorkerConfig[] = Array.from({ length: stage.instances }, (_, index) => ({
    kind,
    index,
    brokers: c.brokers,
    clientId: `${groupId}-${index}`,
    groupId,
    inbound: stage.set.inbound,
    ...(kind === 'naive' ? { segmentChanged: stage.set.segmentChanged, churnRisk: stage.set.churnRisk, redisUrl: c.redisUrl, keyPrefix: `${stage.prefix}:` } : {}),
  }));
  return startWorkers(configs, register);
}

/** The claim count (epoch) of every partition of a clvstream key space (0: never claimed). */
async function partitionEpochs(redis: Redis, prefix: string, partitions: number): Promise<number[]> {
  const keys = new KeySpace(prefix);
  const epochs = await Promise.all(Array.from({ length: partitions }, (_, p) => redis.hget(keys.meta(p), META_FIELDS.epoch)));
  return epochs.map((e) => (e === null ? 0 : Number(e)));
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
