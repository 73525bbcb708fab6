/**
 * CPU time of the processes a run involves, read at two moments and
 * subtracted: the system's own processes (/proc/<pid>/stat, user + system),
 * Redis (`INFO cpu`, used_cpu_user + used_cpu_sys: the whole server, so anyone
 * else's commands count too), the mock broker (/proc/<pid>/stat, when its pid
 * is known: one process for all its brokers) and the bench process itself (load
 * generator, output consumer, polling).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { now } from '../clock.js';

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of /proc/<pid>/stat times (100 on every usual Linux). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2_000 }).trim());
      ticksPerSecond = Number.isInteger(n) && n > 0 ? n : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU seconds of a process so far, or undefined when it cannot be read (gone, not Linux). */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces and parentheses).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the full line: 12 and 13 after "pid (comm)".
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return (utime + stime) / clockTicks();
  } catch {
    return undefined;
  }
}

/** used_cpu_user + used_cpu_sys of the Redis server, in seconds. */
export async function redisCpuSeconds(redis: Redis): Promise<number | undefined> {
  try {
    const info = await redis.info('cpu');
    const field = (name: string): number => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1]);
    const total = field('used_cpu_user') + field('used_cpu_sys');
    return Number.isFinite(total) ? total : undefined;
  } catch {
    return undefined;
  }
}

export interface CpuSample {
  readonly at: number;
  /** Sum over the system's processes (a process that could not be read counts as missing). */
  readonly system: number;
  readonly systemMissing: number;
  readonly redis: number | undefined;
  readonly broker: number | undefined;
  readonly bench: number;
}

export interface CpuDelta {
  readonly seconds: number;
  readonly system: number;
  readonly redis: number | null;
  readonly broker: number | null;
  readonly bench: number;
  /** True when a system process could not be read at either end (its time is then missing). */
  readonly incomplete: boolean;
}

export class CpuMeter {
  constructor(
    private readonly redis: Redis,
    private readonly brokerPid: number | undefined,
  ) {}

  async sample(pids: readonly number[]): Promise<CpuSample> {
    let system = 0;
    let missing = 0;
    for (const pid of pids) {
      const s = processCpuSeconds(pid);
      if (s === undefined) missing++;
      else system += s;
    }
    const usage = process.cpuUsage();
    const broker = this.brokerPid === undefined ? undefined : processCpuSeconds(this.brokerPid);
    const redis = await redisCpuSeconds(this.redis);
    return { at: now(), system, systemMissing: missing, redis, broker, bench: (usage.user + usage.system) / 1e6 };
  }
}

export function cpuDelta(a: CpuSample, b: CpuSample): CpuDelta {
  const diff = (x: number | undefined, y: number | undefined): number | null => (x === undefined || y === undefined ? null : Math.max(0, y - x));
  return {
    seconds: (b.at - a.at) / 1000,
    system: Math.max(0, b.system - a.system),
    redis: diff(a.redis, b.redis),
    broker: diff(a.broker, b.broker),
    bench: Math.max(0, b.bench - a.bench),
    incomplete: a.systemMissing > 0 || b.systemMissing > 0,
  };
}

function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    if (v.length < 4 || v.some((x) => !Number.isFinite(x))) return undefined;
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

/** Share (0–1) of the machine's CPU time that was busy over the next `ms` milliseconds, or undefined off Linux. */
export async function machineBusy(ms: number): Promise<number | undefined> {
  const a = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = cpuTimes();
  if (a === undefined || b === undefined || b.total <= a.total) return undefined;
  return (b.busy - a.busy) / (b.total - a.total);
}
