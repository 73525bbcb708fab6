/**
 * Reading a V8 CPU profile (`node --cpu-prof`, the bench's `--cpu-prof DIR`):
 * the call tree, each sample's time, and a time window over it, so a phase of
 * a run (say the live phase, its last 14 s) can be looked at alone.
 */

/** The parts of a `.cpuprofile` this reads (Chrome DevTools protocol `Profiler.Profile`). */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

/** Seconds from the profile's start; a negative bound counts from its end. */
export interface TimeWindow {
  readonly from: number;
  readonly to: number;
}

export const WHOLE_PROFILE: TimeWindow = { from: 0, to: Number.POSITIVE_INFINITY };

/** The profile as a tree with time per node, restricted to a window. */
export interface WindowedProfile {
  readonly nodes: ReadonlyMap<number, ProfileNode>;
  readonly parent: ReadonlyMap<number, number>;
  /** Self time per node id, µs, within the window. */
  readonly selfMicros: ReadonlyMap<number, number>;
  readonly rootId: number;
  /** Sum of all sampled time in the window, µs. */
  readonly totalMicros: number;
  /** The window actually covered, seconds from the profile's start. */
  readonly fromSeconds: number;
  readonly toSeconds: number;
}

export function parseWindow(text: string): TimeWindow {
  const match = /^(-?\d+(?:\.\d+)?)?:(-?\d+(?:\.\d+)?)?$/.exec(text);
  if (match === null) throw new Error(`a window is FROM:TO in seconds (negative: before the end), e.g. -14:-1 or 5:; got "${text}"`);
  return { from: match[1] === undefined ? 0 : Number(match[1]), to: match[2] === undefined ? Number.POSITIVE_INFINITY : Number(match[2]) };
}

/**
 * Each sample's time is the delta to the next sample (the convention Chrome
 * DevTools uses); the last sample gets none.
 */
export function windowed(profile: CpuProfile, window: TimeWindow = WHOLE_PROFILE): WindowedProfile {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const rootId = profile.nodes.find((n) => !parent.has(n.id))?.id;
  if (rootId === undefined) throw new Error('the profile has no root node');
  const lengthS = (profile.endTime - profile.startTime) / 1e6;
  const bound = (s: number): number => (s < 0 ? lengthS + s : s);
  const fromS = Math.max(0, bound(window.from));
  const toS = Math.min(lengthS, bound(window.to));
  const selfMicros = new Map<number, number>();
  let total = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    const s = (at - profile.startTime) / 1e6;
    if (s < fromS || s > toS) continue;
    const micros = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i] as number;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + micros);
    total += micros;
  }
  return { nodes, parent, selfMicros, rootId, totalMicros: total, fromSeconds: fromS, toSeconds: toS };
}

/** Self plus descendants' time per node id. */
export function inclusiveMicros(p: WindowedProfile): Map<number, number> {
  const out = new Map<number, number>();
  for (const [id, micros] of p.selfMicros) {
    for (let at: number | undefined = id; at !== undefined; at = p.parent.get(at)) out.set(at, (out.get(at) ?? 0) + micros);
  }
  return out;
}

const V8_PSEUDO_FRAMES = new Set(['(garbage collector)', '(idle)', '(program)', '(root)']);

/**
 * Where a frame's code lives: V8's pseudo frames by name, an npm package
 * (`npm:kafkajs`), the project's own code by source folder (`clvstream:state`,
 * `bench`), Node's own JavaScript (`node`) or native code (`native`).
 */
export function areaOf(frame: ProfileNode['callFrame']): string {
  if (V8_PSEUDO_FRAMES.has(frame.functionName) && frame.url === '') return frame.functionName;
  const url = frame.url;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return `npm:${parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? '')}`;
  }
  const own = /\/(dist|dist-bench|src|benchmarks)\/(?:src\/)?([^/]+)\//.exec(url);
  if (own !== null) return own[1] === 'benchmarks' || (own[1] === 'dist-bench' && own[2] === 'benchmarks') ? 'bench' : `clvstream:${own[2] ?? ''}`;
  if (url.startsWith('node:')) return 'node';
  return url === '' ? 'native' : 'other';
}

/** `name file:line` with the path cut to its last two parts (1-based line). */
export function frameLabel(frame: ProfileNode['callFrame']): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  const file = frame.url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
  return `${name} ${file}:${frame.lineNumber + 1}`;
}
