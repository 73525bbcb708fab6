/**
 * A text summary of a windowed CPU profile: how busy the thread was, self time
 * by area (our modules, each npm package, Node, GC), the functions with the
 * most self time, and the project's functions with the most inclusive time
 * (the figures benchmarks/RESULTS.md quotes from profiles).
 */
import { areaOf, frameLabel, type WindowedProfile } from './cpuprofile.js';

export interface Share {
  readonly label: string;
  readonly micros: number;
}

export interface ProfileSummary {
  readonly totalMicros: number;
  readonly idleMicros: number;
  readonly byArea: readonly Share[];
  readonly selfByFunction: readonly Share[];
  /** The project's functions (and GC), each counted once per sample however deep it recurs. */
  readonly inclusiveByFunction: readonly Share[];
}

const descending = (m: Map<string, number>, limit: number): Share[] =>
  [...m]
    .map(([label, micros]) => ({ label, micros }))
    .sort((a, b) => b.micros - a.micros || a.label.localeCompare(b.label))
    .slice(0, limit);

const add = (m: Map<string, number>, key: string, micros: number): void => {
  m.set(key, (m.get(key) ?? 0) + micros);
};

export function summarise(p: WindowedProfile, limit = 25): ProfileSummary {
  const byArea = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, micros] of p.selfMicros) {
    const node = p.nodes.get(id);
    if (node === undefined || micros === 0) continue;
    add(byArea, areaOf(node.callFrame), micros);
    add(selfByFunction, frameLabel(node.callFrame), micros);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = p.parent.get(at)) {
      const frame = (p.nodes.get(at) as (typeof node)).callFrame;
      const area = areaOf(frame);
      if (!area.startsWith('clvstream:') && area !== '(garbage collector)') continue;
      const label = frameLabel(frame);
      if (seen.has(label)) continue;
      seen.add(label);
      add(inclusive, label, micros);
    }
  }
  return {
    totalMicros: p.totalMicros,
    idleMicros: byArea.get('(idle)') ?? 0,
    byArea: descending(byArea, Number.POSITIVE_INFINITY),
    selfByFunction: descending(selfByFunction, limit),
    inclusiveByFunction: descending(inclusive, limit),
  };
}

export function formatSummary(s: ProfileSummary, heading: string): string {
  const pct = (micros: number): string => (s.totalMicros === 0 ? '0.0' : ((100 * micros) / s.totalMicros).toFixed(1)).padStart(5);
  const ms = (micros: number): string => (micros / 1000).toFixed(0).padStart(8);
  const rows = (shares: readonly Share[]): string[] => shares.map((x) => `  ${ms(x.micros)} ms ${pct(x.micros)} %  ${x.label}`);
  return [
    heading,
    `busy ${pct(s.totalMicros - s.idleMicros).trim()} % of ${(s.totalMicros / 1e6).toFixed(1)} s sampled (idle ${pct(s.idleMicros).trim()} %)`,
    'self time by area',
    ...rows(s.byArea),
    'functions by self time',
    ...rows(s.selfByFunction),
    "the project's functions by inclusive time (each counted once per sample)",
    ...rows(s.inclusiveByFunction),
  ].join('\n');
}
