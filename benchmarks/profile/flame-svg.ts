/**
 * A flame graph of a windowed CPU profile as a self-contained SVG: one box per
 * call-tree node, as wide as its inclusive time, callers below callees,
 * siblings in name order, coloured by area (the project's code green, npm
 * packages orange, Node and native code yellow, GC red, idle grey). Hovering a
 * box shows its function, file, area and time. Boxes narrower than
 * `minWidthPx` are left out (their time stays in their caller's box).
 */
import { escapeXml } from '../../src/app/svg-chart.js';
import { areaOf, frameLabel, inclusiveMicros, type WindowedProfile } from './cpuprofile.js';

export interface FlameOptions {
  readonly title: string;
  readonly width?: number;
  readonly frameHeight?: number;
  readonly minWidthPx?: number;
}

export interface FlameBox {
  readonly label: string;
  readonly area: string;
  readonly depth: number;
  /** Left edge and width as shares of the window's total time (0..1). */
  readonly x: number;
  readonly width: number;
  readonly micros: number;
}

/** The boxes of the flame graph, root first (depth 0), each at least `minShare` of the total wide. */
export function flameBoxes(p: WindowedProfile, minShare: number): FlameBox[] {
  const inclusive = inclusiveMicros(p);
  const total = p.totalMicros;
  const boxes: FlameBox[] = [];
  if (total === 0) return boxes;
  const visit = (id: number, depth: number, x: number): void => {
    const node = p.nodes.get(id);
    const micros = inclusive.get(id) ?? 0;
    if (node === undefined || micros / total < minShare) return;
    const label = frameLabel(node.callFrame);
    boxes.push({ label, area: areaOf(node.callFrame), depth, x, width: micros / total, micros });
    const children = (node.children ?? [])
      .map((c) => ({ id: c, label: frameLabel((p.nodes.get(c) ?? node).callFrame) }))
      .sort((a, b) => a.label.localeCompare(b.label) || a.id - b.id);
    let at = x;
    for (const child of children) {
      visit(child.id, depth + 1, at);
      at += (inclusive.get(child.id) ?? 0) / total;
    }
  };
  visit(p.rootId, 0, 0);
  return boxes;
}

/** Deterministic small variation of a base hue, so neighbours of one area can be told apart. */
function colourOf(area: string, label: string): string {
  let h = 0;
  for (let i = 0; i < label.length; i++) h = (h * 31 + label.charCodeAt(i)) >>> 0;
  const jitter = (h % 21) - 10;
  if (area === '(garbage collector)') return 'hsl(0, 75%, 62%)';
  if (area === '(idle)' || area === '(program)' || area === '(root)') return 'hsl(0, 0%, 78%)';
  if (area.startsWith('clvstream:') || area === 'bench') return `hsl(${125 + jitter}, 50%, ${58 + (h % 9)}%)`;
  if (area.startsWith('npm:')) return `hsl(${28 + jitter}, 85%, ${60 + (h % 9)}%)`;
  return `hsl(${50 + jitter}, 80%, ${60 + (h % 9)}%)`;
}

export function flameSvg(p: WindowedProfile, options: FlameOptions): string {
  const width = options.width ?? 1200;
  const frameHeight = options.frameHeight ?? 16;
  const minWidthPx = options.minWidthPx ?? 0.5;
  const boxes = flameBoxes(p, minWidthPx / width);
  const depth = boxes.reduce((d, b) => Math.max(d, b.depth), 0) + 1;
  const top = 40;
  const height = top + depth * frameHeight + 10;
  const total = p.totalMicros;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fbfbf6"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(options.title)}</text>`,
    `<text x="${width / 2}" y="33" text-anchor="middle" fill="#555">${escapeXml(`${(total / 1e6).toFixed(1)} s sampled, ${p.fromSeconds.toFixed(1)}–${p.toSeconds.toFixed(1)} s of the profile; green: clvstream, orange: npm packages, yellow: Node and native, red: GC`)}</text>`,
  ];
  for (const b of boxes) {
    const x = b.x * width;
    const w = b.width * width;
    const y = top + (depth - 1 - b.depth) * frameHeight;
    const share = ((100 * b.micros) / total).toFixed(1);
    const tip = `${b.label} — ${b.area} — ${(b.micros / 1000).toFixed(0)} ms, ${share} %`;
    const fitting = Math.floor((w - 6) / 6.6);
    const text = fitting >= 3 ? (b.label.length <= fitting ? b.label : `${b.label.slice(0, fitting - 1)}…`) : '';
    out.push(
      `<g><title>${escapeXml(tip)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${Math.max(w - 0.5, 0.1).toFixed(2)}" height="${frameHeight - 1}" fill="${colourOf(b.area, b.label)}" rx="1"/>` +
        (text === '' ? '' : `<text x="${(x + 3).toFixed(2)}" y="${y + frameHeight - 4}">${escapeXml(text)}</text>`) +
        '</g>',
    );
  }
  out.push('</svg>');
  return out.join('\n');
}
