/** The run's results: the printed tables, the targets with met/missed, and the JSON document. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ExactlyOnceCheck } from './measure/exactly-once.js';
import type { DelayResult, ThroughputResult } from './phases.js';
import type { RecoveryResult } from './recovery.js';
import type { BenchOptions, SystemKind } from './options.js';

export interface MemoryResult {
  /** Where the state is: Redis memory (clvstream, naive) or the RocksDB store's files on disk (kafka-streams). */
  readonly store: 'redis' | 'rocksdb-disk';
  /** Customer state keys stored at the end (kafka-streams: the backlog's customers). */
  readonly customers: number;
  /** Redis: used_memory growth; RocksDB: bytes on disk of the customers' store. */
  readonly usedMemoryDelta: number;
  readonly bytesPerCustomer: number | null;
  /** MEMORY USAGE of sampled state keys (the states alone). */
  readonly stateKeyMeanBytes: number | null;
  readonly stateKeysSampled: number;
  /** clvstream: the timer sets' MEMORY USAGE per customer. */
  readonly timerBytesPerCustomer: number | null;
  /** kafka-streams: the whole state directory (customers, timers, checkpoints) per customer. */
  readonly stateDirBytesPerCustomer: number | null;
}

export interface SystemResult {
  readonly name: string;
  readonly kind: SystemKind;
  readonly instances: number;
  readonly produceSeconds: number;
  readonly throughput: ThroughputResult;
  /** The live phase at the highest rate (the last of `delays`). */
  readonly delay: DelayResult | null;
  /** One live phase per rate, in the order of the report's liveRates. */
  readonly delays: readonly DelayResult[];
  readonly memory: MemoryResult | null;
  /** After a SIGKILL under live traffic at the lower rate (or why not measured). */
  readonly recovery: RecoveryResult | { readonly skipped: string } | null;
  /** clvstream: its stored states and published emissions checked against what was sent, after the recovery. */
  readonly exactlyOnce: ExactlyOnceCheck | null;
  readonly notes: Record<string, unknown>;
}

export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  readonly status: 'met' | 'missed' | 'n/a';
  readonly value: number | null;
}

export interface BenchReport {
  readonly tool: 'clvstream npm run bench';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly options: BenchOptions;
  /** Partitions of every topic (chosen when --partitions was not given). */
  readonly partitions: number;
  readonly environment: Record<string, unknown>;
  readonly workload: Record<string, unknown>;
  /** Live traffic rates of the delay phases, and how each was chosen. */
  readonly liveRates: readonly { readonly eventsPerSecond: number; readonly source: string }[] | null;
  readonly systems: readonly SystemResult[];
  readonly ratios: Record<string, number | null>;
  readonly targets: readonly Target[];
  readonly warnings: readonly string[];
  /** Seconds of the whole command (`npm run bench`'s build included when it started the bench), and of the bench process alone. */
  readonly totalSeconds: { readonly command: number | null; readonly bench: number };
}

const int = (n: number | null | undefined): string => (n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : Math.round(n).toLocaleString('en-US'));
const fixed = (n: number | null | undefined, digits = 1): string => (n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits));
const ms = (n: number | null | undefined): string => (n === null || n === undefined ? 'n/a' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));

/** The system the targets are about: clvstream with the requested instance count. */
export function mainClvstream(systems: readonly SystemResult[], instances: number): SystemResult | undefined {
  return systems.find((s) => s.kind === 'clvstream' && s.instances === instances);
}

export function ratiosOf(systems: readonly SystemResult[], instances: number): Record<string, number | null> {
  const rate = (s: SystemResult | undefined): number | null => s?.throughput.eventsPerSecond ?? null;
  const div = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : a / b);
  const clv = rate(mainClvstream(systems, instances));
  const out: Record<string, number | null> = {
    clvstream_over_bare: div(clv, rate(systems.find((s) => s.kind === 'bare'))),
    clvstream_over_naive: div(clv, rate(systems.find((s) => s.kind === 'naive'))),
    clvstream_over_kafka_streams: div(clv, rate(systems.find((s) => s.kind === 'kafka-streams'))),
  };
  if (instances > 1) out[`clvstream_${instances}_over_1_instance`] = div(clv, rate(mainClvstream(systems, 1)));
  return out;
}

/** The delay phase of a system at a rate (null: none at that rate). */
function delayAt(s: SystemResult | undefined, rate: number): DelayResult | null {
  return s?.delays.find((d) => d.rate === rate) ?? null;
}

/** Issue 30's targets: clvstream against the Kafka Streams peer, its own CPU and memory, and the naive floor. */
export function targetsOf(systems: readonly SystemResult[], instances: number, ratios: Record<string, number | null>): Target[] {
  const clv = mainClvstream(systems, instances);
  const peer = systems.find((s) => s.kind === 'kafka-streams');
  const atLeast = (name: string, goal: string, value: number | null | undefined, min: number, unit = '×'): Target => ({
    name,
    goal,
    measured: value === null || value === undefined ? 'not measured' : `${value < 10 ? value.toFixed(2) : value.toFixed(1)}${unit}`,
    status: value === null || value === undefined ? 'n/a' : value >= min ? 'met' : 'missed',
    value: value ?? null,
  });
  const targets: Target[] = [atLeast('throughput vs kafka-streams', 'clvstream ≥ 1.0 × Kafka Streams\' backlog throughput', ratios.clvstream_over_kafka_streams, 1)];
  for (const d of clv?.delays ?? []) {
    const theirs = delayAt(peer, d.rate);
    const mine = d.delay.p99Ms;
    const other = theirs?.delay.p99Ms ?? null;
    const complete = d.complete && theirs?.complete === true;
    targets.push({
      name: `p99 vs kafka-streams at ${d.rate}`,
      goal: `clvstream's live p99 ≤ Kafka Streams' at ${int(d.rate)} events/s`,
      measured: mine === null || other === null ? 'not measured' : `${ms(mine)} ms vs ${ms(other)} ms (${(mine / other).toFixed(2)}×)${complete ? '' : ' (a phase did not complete: lower bounds)'}`,
      status: mine === null || other === null ? 'n/a' : mine <= other && d.complete ? 'met' : 'missed',
      value: mine === null || other === null || other === 0 ? null : mine / other,
    });
  }
  const cpu = clv?.throughput.cpuSecondsPerMillion ?? null;
  const own = cpu === null || cpu.system === null ? null : cpu.system + (cpu.redis ?? 0);
  targets.push({
    name: 'clvstream CPU per event',
    goal: 'clvstream ≤ 40 CPU µs per event, service + Redis, in the backlog',
    measured: own === null ? 'not measured' : `${fixed(own, 1)} µs (service ${fixed(cpu?.system)}, Redis ${fixed(cpu?.redis)})`,
    status: own === null ? 'n/a' : own <= 40 ? 'met' : 'missed',
    value: own,
  });
  const bytes = clv?.memory?.bytesPerCustomer ?? null;
  targets.push({
    name: 'Redis per customer',
    goal: 'Redis ≤ 200 bytes per customer (used_memory growth / customers stored)',
    measured: bytes === null ? 'not measured' : `${int(bytes)} B (state key alone: ${int(clv?.memory?.stateKeyMeanBytes)} B by MEMORY USAGE)`,
    status: bytes === null ? 'n/a' : bytes <= 200 ? 'met' : 'missed',
    value: bytes,
  });
  targets.push(atLeast('throughput vs naive', 'clvstream ≥ 10 × naive processor (a floor)', ratios.clvstream_over_naive, 10));
  if (instances > 1) {
    const min = 0.8 * instances;
    targets.push(atLeast('scaling', `${instances} instances ≥ ${min.toFixed(1)} × 1 instance`, ratios[`clvstream_${instances}_over_1_instance`], min));
  }
  return targets;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          const pad = (widths[i] ?? 0) - [...cell].length;
          return i === 0 ? cell + ' '.repeat(pad) : ' '.repeat(pad) + cell;
        })
        .join('  '),
    )
    .join('\n');
}

export function formatReport(r: BenchReport): string {
  const lines: string[] = [];
  lines.push('Throughput (pre-produced backlog; rate = events handled between the first and the last observation / that time)');
  const rows: string[][] = [['system', 'events/s', 'handled', 'window s', 'startup s', 'emissions/event', 'CPU s/1M ev: system', 'Redis*', 'broker*', 'bench*']];
  for (const s of r.systems) {
    const t = s.throughput;
    const cpu = t.cpuSecondsPerMillion;
    rows.push([
      s.name,
      int(t.eventsPerSecond),
      `${int(t.handled)}${t.complete ? '' : ` of ${int(t.backlog)} (time cap)`}${t.rebalanced ? ` (rate over the last ${int(t.windowEvents)}: rebalance)` : ''}`,
      fixed(t.windowSeconds, 2),
      fixed(t.startupSeconds, 1),
      typeof s.notes.backlog_emissions_per_event === 'number' ? fixed(s.notes.backlog_emissions_per_event, 2) : 'n/a',
      fixed(cpu?.system),
      fixed(cpu?.redis),
      fixed(cpu?.broker),
      fixed(cpu?.bench),
    ]);
  }
  lines.push(table(rows));
  for (const s of r.systems) {
    if (s.throughput.relayDrainSeconds !== null) {
      lines.push(
        `  ${s.name}: ${int(s.throughput.committedEventsPerSecond)} events/s up to the last commit; outboxes empty and due checks fired ${fixed(s.throughput.relayDrainSeconds, 2)} s later (the rate above counts up to then: an event is done when its emissions are published)`,
      );
    }
  }
  for (const s of r.systems) {
    const t = s.throughput;
    if (t.backlogRead < t.backlog) {
      lines.push(
        `  ${s.name} reads ${int(t.backlogRead)} of the ${int(t.backlog)} backlog events (not the ${int(t.backlog - t.backlogRead)} on the interaction topic, which it does not implement): ${int(t.readEventsPerSecond)} of them per second; its events/s and CPU per event above are per backlog event, the time and CPU it takes to get through the same backlog (per event read: ${fixed(t.cpuSecondsPerMillionRead?.system)} CPU s/1M).`,
      );
    }
  }
  lines.push('  emissions/event: records published to the emission topics per backlog event (clvstream and kafka-streams also emit on due checks; naive has no timers; kafka-streams emits three of the four segment dimensions).');
  lines.push('  * whole-server figures over the same window: Redis from INFO cpu, the test broker JVM (scripts/test-infra.sh) from /proc, the bench process (producer, observer, polling); they include anyone else using those servers meanwhile.');

  const withDelay = r.systems.filter((s) => s.delay !== null);
  lines.push('');
  lines.push(`End-to-end delay (live traffic at fixed rates; produce → emission seen by the bench's consumer, emissions caused by live events)`);
  for (const rate of r.liveRates ?? []) lines.push(`  ${int(rate.eventsPerSecond)} events/s: ${rate.source}`);
  const drows: string[][] = [['system', 'rate/s', 'p50 ms', 'p99 ms', 'max ms', 'published p50/p99', 'seen after p50/p99', 'samples', 'all emissions', 'sent', 'handled', 'kept up', 'CPU s/1M ev: system', 'Redis*', 'broker*']];
  for (const s of r.systems) {
    if (s.delays.length === 0) {
      if (s.kind === 'bare') drows.push([s.name, '', 'n/a', 'n/a', 'n/a', '', '', 'no emissions', '', '', '', '', '', '', '']);
      continue;
    }
    for (const d of s.delays) {
    const lb = d.complete ? '' : '≥';
    drows.push([
      s.name,
      int(d.rate),
      lb + ms(d.delay.p50Ms),
      lb + ms(d.delay.p99Ms),
      lb + ms(d.delay.maxMs),
      `${ms(d.split.published.p50Ms)} / ${ms(d.split.published.p99Ms)}`,
      `${ms(d.split.seen.p50Ms)} / ${ms(d.split.seen.p99Ms)}`,
      int(d.delay.emissions),
      int(d.outputRecords),
      int(d.sent),
      int(d.handled),
      `${d.keptUp ? 'yes' : 'no'} (${d.caughtUpSeconds === null ? 'not caught up' : `caught up +${fixed(d.caughtUpSeconds, 2)} s`})`,
      fixed(d.cpuSecondsPerMillion.system),
      fixed(d.cpuSecondsPerMillion.redis),
      fixed(d.cpuSecondsPerMillion.broker),
    ]);
    }
  }
  if (withDelay.length > 0 || r.systems.some((s) => s.kind === 'bare')) lines.push(table(drows));
  lines.push('  published: send → the emission record\'s create time (set by the system\'s producer), the system\'s own part; seen after: that time → seen by the bench\'s consumer (the broker and the instrument).');
  lines.push('  samples: emissions caused by live events (one delay each); all emissions: every record the bench\'s consumer saw on the emission topics during the phase, also those of due checks (timers) and referral hops. kept up: every live event handled and published within 1 s of the last send.');
  if (withDelay.some((s) => s.delays.some((d) => !d.complete))) {
    lines.push('  ≥: not every live event was handled and published before the bench stopped waiting; only the emissions that arrived count, so the figures are lower bounds.');
  }

  const withMemory = r.systems.filter((s) => s.memory !== null);
  if (withMemory.length > 0) {
    lines.push('');
    lines.push('State per customer (after the backlog; Redis: used_memory growth since the system started over the customer state keys stored; RocksDB: the customers store\'s files on disk over the backlog\'s customers)');
    const mrows: string[][] = [['system', 'store', 'customers', 'bytes', 'bytes/customer', 'state key (MEMORY USAGE)', 'timers/customer', 'state dir/customer']];
    for (const s of withMemory) {
      const m = s.memory as MemoryResult;
      mrows.push([
        s.name,
        m.store,
        int(m.customers),
        int(m.usedMemoryDelta),
        int(m.bytesPerCustomer),
        m.store === 'redis' ? `${int(m.stateKeyMeanBytes)} (n=${m.stateKeysSampled})` : 'n/a',
        int(m.timerBytesPerCustomer),
        int(m.stateDirBytesPerCustomer),
      ]);
    }
    lines.push(table(mrows));
    lines.push('  RocksDB on disk is not Redis memory: the peer\'s working set lives in RocksDB\'s block cache and memtables (off-heap, not measured), and a changelog topic on the broker holds a second copy.');
  }

  const recovered = r.systems.filter((s) => s.recovery !== null);
  if (recovered.length > 0) {
    lines.push('');
    lines.push('Recovery after a SIGKILL (live traffic at the lower rate; every process killed, started again on the same topics, group and state while the traffic goes on; seconds from the kill)');
    const rrows: string[][] = [['system', 'rate/s', 'killed after s', 'back (first event) s', 'caught up s', 'delays under', 'after s', 'max lag', 'p99 / max delay after kill ms', 'sent', 'drained']];
    for (const s of recovered) {
      const x = s.recovery;
      if (x === null) continue;
      if ('skipped' in x) {
        rrows.push([s.name, '', '', '', '', '', '', '', x.skipped.length > 60 ? `${x.skipped.slice(0, 57)}...` : x.skipped, '', '']);
        continue;
      }
      rrows.push([
        s.name,
        int(x.rate),
        fixed(x.warmSeconds, 1),
        x.backSeconds === null ? `> ${int(x.capSeconds)}` : fixed(x.backSeconds, 1),
        x.caughtUpSeconds === null ? `> ${int(x.capSeconds)}` : fixed(x.caughtUpSeconds, 1),
        `${int(x.delayThresholdMs)} ms`,
        x.delayRecoveredSeconds === null ? 'n/a' : fixed(x.delayRecoveredSeconds, 1),
        int(x.maxLag),
        `${ms(x.delayAfterKill.p99Ms)} / ${ms(x.delayAfterKill.maxMs)}`,
        int(x.sent),
        x.complete ? 'yes' : 'no',
      ]);
    }
    lines.push(table(rrows));
    lines.push('  back: the new process handled its first live event (start, group join, state restore); caught up: every event sent a second earlier handled; delays under: the last emission slower than that arrived (1 s, or twice the system\'s own p99 at this rate); > N: not within the N s the traffic ran after the kill; drained: everything sent was handled within the wait after it.');
    for (const s of recovered) if (s.recovery !== null && 'skipped' in s.recovery) lines.push(`  ${s.name}: ${s.recovery.skipped}.`);
    for (const s of r.systems) {
      const x = s.exactlyOnce;
      if (x === null) continue;
      const types = Object.entries(x.events).map(([t, e]) => `${t} ${int(e.stored)} of ${int(e.sent)}`).join(', ');
      lines.push(
        `  ${s.name} exactly-once after the kill: ${x.ok ? 'held' : 'FAILED'} — events counted in the ${int(x.customers)} stored states: ${types} (lost ${x.lost}, applied twice ${x.doubled}); emissions counted ${int(x.emissions.counted)}, records published ${int(x.emissions.published)} (${int(x.republished)} published again by the relay after the kill, same ids; missing ${x.emissionsMissing}).`,
      );
    }
  }

  lines.push('');
  lines.push('Ratios (this run)');
  for (const [name, value] of Object.entries(r.ratios)) lines.push(`  ${name.replace(/_/g, ' ')}: ${value === null ? 'n/a' : value.toFixed(value < 10 ? 3 : 1)}`);
  lines.push('');
  lines.push('Targets');
  lines.push(table([['target', 'measured', 'status'], ...r.targets.map((t) => [t.goal, t.measured, t.status])]));
  if (r.warnings.length > 0) {
    lines.push('');
    lines.push('Warnings');
    for (const w of r.warnings) lines.push(`  - ${w}`);
  }
  lines.push('');
  lines.push(`Total time: ${r.totalSeconds.command === null ? 'n/a' : `${fixed(r.totalSeconds.command, 1)} s for the whole command (build included)`}; ${fixed(r.totalSeconds.bench, 1)} s in the bench process`);
  return lines.join('\n');
}

export function writeReport(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(report, null, 2) + '\n');
}
