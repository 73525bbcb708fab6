/**
 * The peer: the Kafka Streams job of benchmarks/peers/kafka-streams, one JVM
 * (its jar and classpath built once by scripts/kafka-streams-peer.sh), on the
 * same topics as clvstream would read and write, exactly_once_v2.
 *
 * Progress is the consumer group's committed offsets: under exactly-once the
 * offsets, the state changelog and the emissions are committed in one
 * transaction, so on fresh topics their sum is the number of events handled
 * and published — the same definition of done as clvstream's. The bench reads
 * them through the admin API at most every 50 ms (the job commits every 100 ms).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { INBOUND_TYPES, type InboundType } from '../../../src/contracts/inbound.js';
import { bounded, now, sleep } from '../clock.js';
import type { TopicOffset, TopicSet } from '../topics.js';
import { GROUP_HEARTBEAT_INTERVAL_MS, GROUP_SESSION_TIMEOUT_MS, LogTail, type Progress, type RunningSystem, type StopOutcome } from './system.js';

export interface KafkaStreamsOptions {
  readonly root: string;
  readonly topics: TopicSet;
  readonly brokers: readonly string[];
  readonly applicationId: string;
  /** Stream threads (default: the machine's cores, as the job's own default). */
  readonly threads: number | null;
  /** The JVM's heap, -Xms and -Xmx. */
  readonly heap: string;
  /** The state directory of an earlier process of the same job (a restart after a kill); default: a fresh one. */
  readonly stateDir?: string;
}

/**
 * What the job reads: not the interaction topic (it implements no service
 * interactions or activity costs, see its README). The bench still produces
 * the same workload for it, interactions included, on their own topic, which
 * its group never subscribes to.
 */
export const PEER_READS: readonly InboundType[] = INBOUND_TYPES.filter((t) => t !== 'interaction');

const STOP_TIMEOUT_MS = 25_000;
const POLL_MIN_MS = 50;

/** The java classpath of the built job (scripts/kafka-streams-peer.sh; builds it when its sources changed). */
export function peerClasspath(root: string): string {
  const file = execFileSync('bash', [join(root, 'scripts', 'kafka-streams-peer.sh'), 'classpath'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return readFileSync(file, 'utf8').trim();
}

export interface KafkaStreamsSystem extends RunningSystem {
  /** Bytes on disk of the job's state directory, and of the customers' RocksDB store alone. */
  stateBytes(): { readonly stateDir: number | null; readonly customerStore: number | null };
  /** Its state directory (to start the job again on it after a kill). */
  readonly stateDir: string;
}

export async function startKafkaStreams(o: KafkaStreamsOptions, kafka: Kafka, register: (child: ChildProcess) => void): Promise<KafkaStreamsSystem> {
  const classpath = peerClasspath(o.root);
  const stateDir = o.stateDir ?? mkdtempSync(join(tmpdir(), 'clv-peer-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    KAFKA_BROKERS: o.brokers.join(','),
    ...o.topics.env,
    PEER_APPLICATION_ID: o.applicationId,
    PEER_STATE_DIR: stateDir,
    PEER_SESSION_TIMEOUT_MS: String(GROUP_SESSION_TIMEOUT_MS),
    PEER_HEARTBEAT_INTERVAL_MS: String(GROUP_HEARTBEAT_INTERVAL_MS),
    ...(o.threads === null ? {} : { PEER_THREADS: String(o.threads) }),
  };
  const child = spawn('java', [`-Xms${o.heap}`, `-Xmx${o.heap}`, '-cp', classpath, 'dev.clvstream.peer.ClvPeer'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  register(child);
  const log = new LogTail('kafka-streams');
  const status: { exited: { code: number | null; signal: string | null } | null } = { exited: null };
  let rebalances = 0;
  let running = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    log.push(text);
    // The job prints its state changes: RUNNING after each (re)balance.
    running += (text.match(/"state":"RUNNING"/g) ?? []).length;
    rebalances += (text.match(/"state":"REBALANCING"/g) ?? []).length;
  });
  child.stderr?.on('data', (chunk: Buffer) => log.push(chunk));
  child.on('exit', (code, signal) => (status.exited = { code, signal }));

  const admin: Admin = kafka.admin();
  await admin.connect();
  const inbound = PEER_READS.map((t) => o.topics.inbound[t]);
  let first: Progress['first'] = null;
  let lastAt: number | null = null;
  // null until the first poll: what the group committed before (a restart) is the baseline, not progress.
  let lastHandled: number | null = null;
  let lastPollAt = now();
  let liveStart: Map<string, number> | null = null;
  let cached: { handled: number; live: number } = { handled: 0, live: 0 };

  const committed = async (): Promise<{ handled: number; live: number }> => {
    const groups = await admin.fetchOffsets({ groupId: o.applicationId, topics: inbound });
    let handled = 0;
    let live = 0;
    for (const g of groups) {
      for (const p of g.partitions) {
        const offset = Number(p.offset);
        if (offset < 0) continue;
        handled += offset;
        const start = liveStart?.get(`${g.topic}:${p.partition}`);
        if (start !== undefined) live += Math.max(0, offset - start);
      }
    }
    return { handled, live };
  };

  const system: KafkaStreamsSystem = {
    kind: 'kafka-streams',
    instances: 1,
    name: 'kafka-streams ×1',
    reads: PEER_READS,
    stateDir,
    pids: () => (child.pid === undefined || status.exited !== null ? [] : [child.pid]),
    async progress() {
      const gone = status.exited;
      if (gone !== null) throw new Error(`the Kafka Streams job exited (${gone.code ?? gone.signal})\n${log.tail().join('\n')}`);
      const t = now();
      if (t - lastPollAt >= POLL_MIN_MS || first === null) {
        cached = await committed();
        if (lastHandled === null) lastHandled = cached.handled;
        else if (cached.handled > lastHandled) {
          lastAt = (lastPollAt + t) / 2;
          if (first === null) first = { at: lastAt, handled: cached.handled };
          lastHandled = cached.handled;
        }
        lastPollAt = t;
      }
      return { handled: cached.handled, live: cached.live, first, lastAt, pending: 0, generation: Math.max(0, running - 1) };
    },
    beginLive(offsets: readonly TopicOffset[]) {
      liveStart = new Map(offsets.map((x) => [`${x.topic}:${x.partition}`, x.offset]));
      return Promise.resolve();
    },
    notes() {
      return Promise.resolve({ state_dir_bytes: directoryBytes(stateDir), rebalances, threads: o.threads ?? 'cores' });
    },
    stateBytes: () => ({ stateDir: directoryBytes(stateDir), customerStore: rocksDbBytes(stateDir, 'customers') }),
    logTail: () => log.tail(),
    async kill() {
      const gone = status.exited !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (status.exited === null) child.kill('SIGKILL');
      await bounded('kafka-streams kill', gone, STOP_TIMEOUT_MS);
      await admin.disconnect().catch(() => undefined);
    },
    async stop(): Promise<StopOutcome> {
      if (status.exited === null) child.kill('SIGTERM');
      await bounded('kafka-streams stop', status.exited !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve())), STOP_TIMEOUT_MS).catch(() => undefined);
      let killed = 0;
      const killedLog: string[] = [];
      if (status.exited === null) {
        killed = 1;
        killedLog.push(...log.tail().slice(-10));
        child.kill('SIGKILL');
      }
      await sleep(50);
      await admin.disconnect().catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
      const exit = status.exited;
      return { exits: [exit?.code ?? exit?.signal ?? null], killed, killedLog };
    },
  };
  return system;
}

/** Bytes on disk under a directory (du: allocated blocks, what RocksDB's files take). */
export function directoryBytes(dir: string): number | null {
  try {
    return Number(execFileSync('du', ['-s', '-B1', dir], { encoding: 'utf8' }).split(/\s/)[0]);
  } catch {
    return null;
  }
}

/** The RocksDB store of the customers under a Kafka Streams state directory, bytes on disk (all its tasks). */
export function rocksDbBytes(stateDir: string, store: string): number | null {
  try {
    const out = execFileSync('bash', ['-c', 'du -s -B1 -c "$1"/*/*/rocksdb/"$2" 2>/dev/null | tail -1', 'du', stateDir, store], { encoding: 'utf8' });
    return Number(out.split(/\s/)[0]);
  } catch {
    return null;
  }
}
