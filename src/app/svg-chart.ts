/**
 * A small self-contained SVG line chart (no dependencies): axes with "nice"
 * ticks, one polyline per series, a legend. Enough for the backtest's
 * cumulative-purchases chart; deterministic output (fixed number formatting).
 */

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
  readonly color: string;
  readonly dashed?: boolean;
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  readonly width?: number;
  readonly height?: number;
}

const MARGIN = { left: 70, right: 20, top: 40, bottom: 50 };

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Rounds to 2 decimals without trailing zeros, for coordinates. */
const fmt = (v: number): string => String(Math.round(v * 100) / 100);

/** Ticks at 1, 2 or 5 × 10^k covering [0, max], about `target` of them. */
export function niceTicks(max: number, target = 6): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude);
  const ticks: number[] = [];
  for (let i = 0; i * step < max + step - 1e-9 * step; i++) ticks.push(Math.round(i * step * 1e9) / 1e9);
  return ticks;
}

export function lineChartSvg(chart: LineChart): string {
  const width = chart.width ?? 720;
  const height = chart.height ?? 420;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const all = chart.series.flatMap((s) => s.points);
  const xTicks = niceTicks(Math.max(1, ...all.map((p) => p.x)));
  const yTicks = niceTicks(Math.max(1, ...all.map((p) => p.y)));
  const xMax = xTicks[xTicks.length - 1]!;
  const yMax = yTicks[yTicks.length - 1]!;
  const px = (x: number) => MARGIN.left + (x / xMax) * plotW;
  const py = (y: number) => MARGIN.top + plotH - (y / yMax) * plotH;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(chart.title)}</text>`);
  for (const t of yTicks) {
    out.push(`<line x1="${MARGIN.left}" y1="${fmt(py(t))}" x2="${MARGIN.left + plotW}" y2="${fmt(py(t))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${fmt(py(t) + 4)}" text-anchor="end">${t}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${fmt(px(t))}" y1="${MARGIN.top + plotH}" x2="${fmt(px(t))}" y2="${MARGIN.top + plotH + 5}" stroke="#333"/>`);
    out.push(`<text x="${fmt(px(t))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${t}</text>`);
  }
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="#333"/>`);
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="#333"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`);
  out.push(`<text x="16" y="${MARGIN.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + plotH / 2})">${escapeXml(chart.yLabel)}</text>`);
  chart.series.forEach((s, i) => {
    const points = s.points.map((p) => `${fmt(px(p.x))},${fmt(py(p.y))}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<polyline fill="none" stroke="${escapeXml(s.color)}" stroke-width="2"${dash} points="${points}"><title>${escapeXml(s.name)}</title></polyline>`);
    const ly = MARGIN.top + 12 + i * 18;
    out.push(`<line x1="${MARGIN.left + 12}" y1="${ly}" x2="${MARGIN.left + 40}" y2="${ly}" stroke="${escapeXml(s.color)}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${MARGIN.left + 46}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
