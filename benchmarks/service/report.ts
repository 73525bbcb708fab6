/** The run's results: the printed tables, the targets with met/missed, and the JSON document. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DelayResult, ThroughputResult } from './phases.js';
import type { BenchOptions, SystemKind } from './options.js';

export interface MemoryResult {
  /** Customer state keys stored at the end. */
  readonly customers: number;
  readonly usedMemoryDelta: number;
  readonly bytesPerCustomer: number | null;
  /** MEMORY USAGE of sampled state keys (the states alone). */
  readonly stateKeyMeanBytes: number | null;
  readonly stateKeysSampled: number;
  /** clvstream: the timer sets' MEMORY USAGE per customer. */
  readonly timerBytesPerCustomer: number | null;
}

export interface SystemResult {
  readonly name: string;
  readonly kind: SystemKind;
  readonly instances: number;
  readonly produceSeconds: number;
  readonly throughput: ThroughputResult;
  readonly delay: DelayResult | null;
  readonly memory: MemoryResult | null;
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
  /** Live traffic rate of the delay phases, and how it was chosen. */
  readonly liveRate: { readonly eventsPerSecond: number; readonly source: string } | null;
  readonly systems: readonly SystemResult[];
  readonly ratios: Record<string, number | null>;
  readonly targets: readonly Target[];
  readonly warnings: readonly string[];
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
  };
  if (instances > 1) out[`clvstream_${instances}_over_1_instance`] = div(clv, rate(mainClvstream(systems, 1)));
  return out;
}

export function targetsOf(systems: readonly SystemResult[], instances: number, ratios: Record<string, number | null>): Target[] {
  const clv = mainClvstream(systems, instances);
  const atLeast = (name: string, goal: string, value: number | null | undefined, min: number, unit = '×'): Target => ({
    name,
    goal,
    measured: value === null || value === undefined ? 'not measured' : `${value < 10 ? value.toFixed(2) : value.toFixed(1)}${unit}`,
    status: value === null || value === undefined ? 'n/a' : value >= min ? 'met' : 'missed',
    value: value ?? null,
  });
  const targets: Target[] = [
    atLeast('throughput vs bare', 'clvstream ≥ 0.6 × bare kafkajs consumer', ratios.clvstream_over_bare, 0.6),
    atLeast('throughput vs naive', 'clvstream ≥ 10 × naive processor', ratios.clvstream_over_naive, 10),
  ];
  const delay = clv?.delay ?? null;
  const p99 = delay?.delay.p99Ms ?? null;
  targets.push({
    name: 'p99 delay',
    goal: `p99 end-to-end delay < 250 ms at half max throughput${delay ? ` (${int(delay.rate)} events/s)` : ''}`,
    measured: p99 === null ? 'not measured' : `${delay?.complete === false ? '≥ ' : ''}${ms(p99)} ms${delay?.keptUp === false ? ' (did not keep up with the rate)' : ''}`,
    status: p99 === null ? 'n/a' : p99 < 250 && delay?.complete === true ? 'met' : 'missed',
    value: p99,
  });
  const bytes = clv?.memory?.bytesPerCustomer ?? null;
  targets.push({
    name: 'Redis per customer',
    goal: 'Redis ≤ 300 bytes per customer (used_memory growth / customers stored)',
    measured: bytes === null ? 'not measured' : `${int(bytes)} B (state key alone: ${int(clv?.memory?.stateKeyMeanBytes)} B by MEMORY USAGE)`,
    status: bytes === null ? 'n/a' : bytes <= 300 ? 'met' : 'missed',
    value: bytes,
  });
  if (instances > 1) {
    const min = 0.8 * instances;
    targets.push(atLeast('scaling', `${instances} instances ≥ ${min.toFixed(1)} × 1 instance`, ratios[`clvstream_${instances}_over_1_instance`], min));
  } else {
    targets.push({ name: 'scaling', goal: '2 instances ≥ 1.6 × 1 instance', measured: 'not measured (run with --instances 2)', status: 'n/a', value: null });
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
  lines.push('  emissions/event: records published to the emission topics per backlog event (clvstream also emits on due checks; naive has no timers).');
  lines.push('  * whole-server figures over the same window: Redis from INFO cpu, the test broker JVM (scripts/test-infra.sh) from /proc, the bench process (producer, observer, polling); they include anyone else using those servers meanwhile.');

  const withDelay = r.systems.filter((s) => s.delay !== null);
  lines.push('');
  lines.push(`End-to-end delay (live traffic${r.liveRate ? ` at ${int(r.liveRate.eventsPerSecond)} events/s, ${r.liveRate.source}` : ''}; produce → emission seen by the bench's consumer, emissions caused by live events)`);
  const drows: string[][] = [['system', 'p50 ms', 'p99 ms', 'max ms', 'published p50/p99', 'seen after p50/p99', 'samples', 'all emissions', 'sent', 'handled', 'kept up', 'CPU s/1M ev: system', 'Redis*', 'broker*']];
  for (const s of r.systems) {
    const d = s.delay;
    if (d === null) {
      if (s.kind === 'bare') drows.push([s.name, 'n/a', 'n/a', 'n/a', '', '', 'no emissions', '', '', '', '', '', '', '']);
      continue;
    }
    const lb = d.complete ? '' : '≥';
    drows.push([
      s.name,
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
  if (withDelay.length > 0 || r.systems.some((s) => s.kind === 'bare')) lines.push(table(drows));
  lines.push('  published: send → the emission record\'s create time (set by the system\'s producer), the system\'s own part; seen after: that time → seen by the bench\'s consumer (the broker and the instrument).');
  lines.push('  samples: emissions caused by live events (one delay each); all emissions: every record the bench\'s consumer saw on the emission topics during the phase, also those of due checks (timers) and referral hops. kept up: every live event handled and published within 1 s of the last send.');
  if (withDelay.some((s) => s.delay?.complete === false)) {
    lines.push('  ≥: not every live event was handled and published before the bench stopped waiting; only the emissions that arrived count, so the figures are lower bounds.');
  }

  const withMemory = r.systems.filter((s) => s.memory !== null);
  if (withMemory.length > 0) {
    lines.push('');
    lines.push('Redis memory (after the backlog; used_memory growth since the system started, over the customer state keys stored)');
    const mrows: string[][] = [['system', 'customers', 'used_memory growth', 'bytes/customer', 'state key (MEMORY USAGE)', 'timers/customer']];
    for (const s of withMemory) {
      const m = s.memory as MemoryResult;
      mrows.push([s.name, int(m.customers), int(m.usedMemoryDelta), int(m.bytesPerCustomer), `${int(m.stateKeyMeanBytes)} (n=${m.stateKeysSampled})`, int(m.timerBytesPerCustomer)]);
    }
    lines.push(table(mrows));
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
  return lines.join('\n');
}

export function writeReport(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(report, null, 2) + '\n');
}
