import { describe, expect, it } from 'vitest';
import { areaOf, parseWindow, windowed, type CpuProfile } from '../../benchmarks/profile/cpuprofile.js';
import { flameBoxes, flameSvg } from '../../benchmarks/profile/flame-svg.js';
import { summarise } from '../../benchmarks/profile/summary.js';

const at = (url: string, functionName: string, lineNumber = 0) => ({ functionName, url, lineNumber });

/**
 * (root) → (garbage collector), (idle), drain → commit → send (ioredis), and a
 * project function whose name needs escaping. Samples 1 ms apart; each sample
 * is worth the delta to the next one, so the last is worth nothing.
 */
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: at('', '(root)'), children: [2, 3, 4, 7] },
    { id: 2, callFrame: at('', '(garbage collector)') },
    { id: 3, callFrame: at('file:///app/dist/service/stream-runner.js', 'drain', 9), children: [5] },
    { id: 4, callFrame: at('', '(idle)') },
    { id: 5, callFrame: at('file:///app/dist/state/store.js', 'commit'), children: [6] },
    { id: 6, callFrame: at('file:///app/node_modules/ioredis/built/Redis.js', 'send') },
    { id: 7, callFrame: at('file:///app/dist/domain/x.js', 'a<b>&"c"') },
  ],
  startTime: 0,
  endTime: 9_000,
  samples: [3, 5, 6, 6, 2, 4, 4, 7, 3],
  timeDeltas: [0, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000],
};

describe('CPU profile windows', () => {
  it('gives each sample the time to the next one, over the whole profile', () => {
    const view = windowed(PROFILE);
    expect(view.totalMicros).toBe(8_000);
    expect(view.selfMicros.get(6)).toBe(2_000);
    expect(view.selfMicros.get(3)).toBe(1_000); // the last sample of drain is worth nothing
  });

  it('keeps only the samples inside the window; negative bounds count from the end', () => {
    expect(windowed(PROFILE, parseWindow('0.002:0.004')).totalMicros).toBe(3_000); // samples at 2, 3 and 4 ms
    const tail = windowed(PROFILE, parseWindow('-0.0035:'));
    expect([...tail.selfMicros.keys()].sort()).toEqual([3, 4, 7]); // samples at 6, 7 and 8 ms
    expect(parseWindow(':')).toEqual({ from: 0, to: Number.POSITIVE_INFINITY });
    expect(() => parseWindow('last 14 s')).toThrow(/FROM:TO/);
  });
});

describe('CPU profile areas and summary', () => {
  it('names where code lives: project folder, npm package (scoped too), bench, Node, native, V8', () => {
    expect(areaOf(at('file:///app/dist/state/store.js', 'commit'))).toBe('clvstream:state');
    expect(areaOf(at('file:///app/src/domain/rfm.ts', 'score'))).toBe('clvstream:domain');
    expect(areaOf(at('file:///app/node_modules/@kafkajs/confluent-schema-registry/dist/x.js', 'f'))).toBe('npm:@kafkajs/confluent-schema-registry');
    expect(areaOf(at('file:///app/node_modules/kafkajs/src/x.js', 'f'))).toBe('npm:kafkajs');
    expect(areaOf(at('file:///app/dist-bench/benchmarks/service/main.js', 'f'))).toBe('bench');
    expect(areaOf(at('node:internal/streams/writable', 'write'))).toBe('node');
    expect(areaOf(at('', 'writeBuffer'))).toBe('native');
    expect(areaOf(at('', '(garbage collector)'))).toBe('(garbage collector)');
  });

  it('sums self time by area, and inclusive time of project functions once per sample', () => {
    const s = summarise(windowed(PROFILE));
    const byArea = Object.fromEntries(s.byArea.map((x) => [x.label, x.micros]));
    expect(byArea).toEqual({ 'npm:ioredis': 2_000, '(idle)': 2_000, 'clvstream:service': 1_000, 'clvstream:state': 1_000, 'clvstream:domain': 1_000, '(garbage collector)': 1_000 });
    expect(s.idleMicros).toBe(2_000);
    const inclusive = Object.fromEntries(s.inclusiveByFunction.map((x) => [x.label, x.micros]));
    expect(inclusive['drain service/stream-runner.js:10']).toBe(4_000);
    expect(inclusive['commit state/store.js:1']).toBe(3_000);
    expect(Object.keys(inclusive).some((k) => k.startsWith('send'))).toBe(false); // not the project's
  });
});

describe('flame graph', () => {
  it('makes each box as wide as its inclusive time, inside its caller, and drops the narrow ones', () => {
    const boxes = flameBoxes(windowed(PROFILE), 0);
    const box = (label: string) => boxes.find((b) => b.label.startsWith(label));
    expect(box('(root)')).toMatchObject({ depth: 0, x: 0, width: 1 });
    const drain = box('drain');
    const commit = box('commit');
    expect(drain?.width).toBeCloseTo(0.5);
    expect(commit).toMatchObject({ depth: 2 });
    expect(commit?.width).toBeCloseTo(0.375);
    expect(commit?.x).toBeGreaterThanOrEqual(drain?.x ?? Infinity);
    expect((commit?.x ?? 0) + (commit?.width ?? 0)).toBeLessThanOrEqual((drain?.x ?? 0) + (drain?.width ?? 0) + 1e-9);
    // Siblings side by side, not overlapping.
    const level1 = boxes.filter((b) => b.depth === 1).sort((a, b) => a.x - b.x);
    for (let i = 1; i < level1.length; i++) expect(level1[i]?.x).toBeCloseTo((level1[i - 1]?.x ?? 0) + (level1[i - 1]?.width ?? 0));
    expect(flameBoxes(windowed(PROFILE), 0.2).map((b) => b.label.split(' ')[0])).toEqual(['(root)', '(idle)', 'drain', 'commit', 'send']);
  });

  it('writes an SVG with one titled box per frame and escaped names', () => {
    const svg = flameSvg(windowed(PROFILE), { title: 'test <profile>' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<g><title>/g)).toHaveLength(7);
    expect(svg).toContain('a&lt;b&gt;&amp;&quot;c&quot;');
    expect(svg).toContain('test &lt;profile&gt;');
    expect(svg).not.toContain('a<b>');
  });
});
