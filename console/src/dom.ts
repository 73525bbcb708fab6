/** Small DOM helpers: elements, tables with a CSV download, number formats. */

type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) el.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** A readable label of an identifier: `value_quadrant` → "value quadrant". */
export const label = (key: string): string => key.replaceAll('_', ' ');

/** A value for display; `humanize` turns vocabulary values (`at_risk`) into words. */
export function formatValue(value: unknown, humanize = false): string {
  if (value === null || value === undefined) return '–';
  if (Array.isArray(value)) return value.length === 0 ? '–' : value.map((v) => formatValue(v, humanize)).join(', ');
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 4 });
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return humanize ? label(text) : text;
}

export const percent = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)} %`);

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

/** A link that downloads `header` + `rows` as a CSV file. */
export function csvLink(fileName: string, header: readonly string[], rows: readonly (readonly unknown[])[]): HTMLAnchorElement {
  const link = h('a', { class: 'csv', download: fileName, href: '#' }, 'CSV');
  link.addEventListener('click', () => {
    link.href = URL.createObjectURL(new Blob([toCsv(header, rows)], { type: 'text/csv' }));
  });
  return link;
}

/** A table of `rows` under `header`; the first column is left-aligned, the rest right. */
export function table(header: readonly string[], rows: readonly (readonly unknown[])[], attrs: Record<string, string> = {}): HTMLTableElement {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, ...header.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c, i) => h('td', i === 0 ? {} : { class: 'num' }, formatValue(c)))))),
  );
}
