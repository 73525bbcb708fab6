/** Command line of `npm run bench -- [options]`. */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

export { CommanderError };

export const SYSTEM_KINDS = ['clvstream', 'kafka-streams', 'naive', 'bare'] as const;
export type SystemKind = (typeof SYSTEM_KINDS)[number];

export interface BenchOptions {
  readonly quick: boolean;
  /** Backlog size (throughput phase). */
  readonly events: number;
  /** Seconds of live traffic (delay phase); also the longest throughput phase of the bare and naive consumers. */
  readonly duration: number;
  readonly customers: number;
  /** Workload events back-filled into clvstream's Redis before it starts (clvstream only); the backlog follows them. */
  readonly preload: number;
  /** Partitions of every topic; null: 8. */
  readonly partitions: number | null;
  readonly instances: number;
  /** Live traffic rate; null: a quarter and a half of the slower of clvstream and kafka-streams (their calibration runs). */
  readonly rate: number | null;
  /** Stream threads of the Kafka Streams job; null: the machine's cores (the job's default). */
  readonly peerThreads: number | null;
  readonly seed: number;
  readonly systems: readonly SystemKind[];
  /** Extra settings for the clvstream processes (KEY=VALUE), after the bench's own. */
  readonly set: Readonly<Record<string, string>>;
  /** Where the JSON result goes; null: benchmarks/results/bench-<timestamp>.json. */
  readonly out: string | null;
  /** Write the backlog as JSON lines here and exit. */
  readonly writeWorkload: string | null;
  /** Write a V8 CPU profile of every clvstream process into this directory. */
  readonly cpuProf: string | null;
}

const QUICK = { events: 20_000, duration: 4, customers: 20_000 };
const NORMAL = { events: 160_000, duration: 20, customers: 50_000 };

const integer = (what: string, min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${max}`);
  return n;
};

const positive = (what: string, max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`${what} must be a number above 0 and at most ${max}`);
  return n;
};

const systemList = (value: string): SystemKind[] => {
  const list = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = list.filter((s) => !(SYSTEM_KINDS as readonly string[]).includes(s));
  if (list.length === 0 || bad.length > 0) throw new InvalidArgumentError(`systems are a comma-separated subset of ${SYSTEM_KINDS.join(',')}`);
  return SYSTEM_KINDS.filter((k) => list.includes(k));
};

const setting = (value: string, previous: Record<string, string>): Record<string, string> => {
  const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(value);
  if (!m?.[1] || m[2] === undefined) throw new InvalidArgumentError('--set takes KEY=VALUE (a clvstream setting)');
  return { ...previous, [m[1]]: m[2] };
};

interface Flags {
  quick?: boolean;
  events?: number;
  duration?: number;
  customers?: number;
  preload: number;
  partitions?: number;
  instances: number;
  rate?: number;
  peerThreads?: number;
  seed: number;
  systems: SystemKind[];
  set: Record<string, string>;
  out?: string;
  writeWorkload?: string;
  cpuProf?: string;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const program = new Command('bench')
    .description(
      'Service benchmark: a do-nothing kafkajs consumer (bare), a typical eachMessage processor (naive), `clvstream run` and the Kafka Streams peer (benchmarks/peers/kafka-streams), on the same broker and Redis, in one run: throughput on a pre-produced backlog, end-to-end delay under live traffic, CPU, Redis memory and RocksDB bytes on disk.',
    )
    .option('--quick', `a short run (the aim: under two minutes with the build; on a loaded host longer, see benchmarks/RESULTS.md): defaults --events ${QUICK.events} --duration ${QUICK.duration} --customers ${QUICK.customers}`)
    .addOption(new Option('--events <n>', `backlog size (default ${NORMAL.events})`).argParser(integer('--events', 1, 5_000_000)))
    .addOption(new Option('--duration <s>', `seconds of live traffic per system; also the longest backlog phase of bare/naive (default ${NORMAL.duration})`).argParser(positive('--duration', 600)))
    .addOption(new Option('--customers <n>', `simulated customer population (default ${NORMAL.customers})`).argParser(integer('--customers', 100, 5_000_000)))
    .addOption(
      new Option('--preload <events>', 'back-fill the workload\'s first <events> into clvstream\'s Redis before it starts (the same partition step as the service), so the backlog meets that many stored customers; clvstream only').default(0).argParser(integer('--preload', 0, 5_000_000)),
    )
    .addOption(new Option('--partitions <n>', 'partitions of every topic (default 8)').argParser(integer('--partitions', 1, 64)))
    .addOption(new Option('--instances <n>', 'processes per system in one consumer group (clvstream also runs with 1 for the scaling ratio)').default(1).argParser(integer('--instances', 1, 8)))
    .addOption(new Option('--rate <events/s>', 'one live traffic rate (default: a quarter and a half of the slower of clvstream and kafka-streams, measured by a first backlog run of each)').argParser(positive('--rate', 10_000_000)))
    .addOption(new Option('--peer-threads <n>', 'stream threads of the Kafka Streams job (default: the number of cores)').argParser(integer('--peer-threads', 1, 64)))
    .addOption(new Option('--seed <n>', 'workload seed').default(7).argParser(integer('--seed', 0, 0xffffffff)))
    .addOption(new Option('--systems <list>', `which systems, in ${SYSTEM_KINDS.join(',')}`).default([...SYSTEM_KINDS]).argParser(systemList))
    .addOption(new Option('--set <KEY=VALUE>', 'extra clvstream setting (repeatable), e.g. --set RUN_BATCH_MAX_RECORDS=2000').default({}).argParser(setting))
    .option('--out <file>', 'JSON result file (default benchmarks/results/bench-<timestamp>.json)')
    .option('--write-workload <file>', 'write the backlog as JSON lines ("-": stdout) and exit')
    .option('--cpu-prof <dir>', 'write a CPU profile (.cpuprofile, open in Chrome DevTools or speedscope) of each clvstream process into <dir>')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const f = program.opts<Flags>();
  const base = f.quick === true ? QUICK : NORMAL;
  if (f.preload > 0 && f.systems.some((k) => k !== 'clvstream')) {
    program.error('error: --preload needs --systems clvstream (naive, bare and kafka-streams would start from an empty store)');
  }
  return {
    quick: f.quick === true,
    events: f.events ?? base.events,
    duration: f.duration ?? base.duration,
    customers: f.customers ?? base.customers,
    preload: f.preload,
    partitions: f.partitions ?? null,
    instances: f.instances,
    rate: f.rate ?? null,
    peerThreads: f.peerThreads ?? null,
    seed: f.seed,
    systems: f.systems,
    set: f.set,
    out: f.out ?? null,
    writeWorkload: f.writeWorkload ?? null,
    cpuProf: f.cpuProf ?? null,
  };
}
