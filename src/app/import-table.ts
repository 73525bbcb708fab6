/**
 * `clvstream import`: a transaction table (a warehouse export, the CDNOW log) into
 * purchase events, one JSON line per row. Columns are chosen by 1-based index or,
 * with a header row, by name. A row that cannot become an event is reported with
 * its line number and reason, and the import goes on.
 */
import { parse as parseCsv } from 'csv-parse';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { timestamp } from '../contracts/primitives.js';
import type { LineOutput } from './line-output.js';

export type Delimiter = 'whitespace' | 'comma' | 'semicolon' | 'tab';

export interface ImportOptions {
  readonly input: Readable;
  readonly output: LineOutput;
  readonly errors: LineOutput;
  readonly delimiter: Delimiter;
  readonly header: boolean;
  readonly columns: {
    readonly customer: string;
    readonly date: string;
    readonly amount: string;
    readonly order?: string | undefined;
    readonly currency?: string | undefined;
    readonly quantity?: string | undefined;
  };
  /** Currency for rows without a currency column. */
  readonly currency: string;
  /** Offset applied to dates without one, e.g. "+00:00". */
  readonly utcOffset: string;
  /** Event ids are `<prefix>:<line>`, so importing the same file twice yields the same ids. */
  readonly idPrefix: string;
}

export interface ImportSummary {
  rows: number;
  events: number;
  rejected: number;
}

export const PRESETS = {
  /** CDNOW_sample.txt: master_id sample_id date number_of_CDs dollar_value. */
  cdnow: {
    delimiter: 'whitespace',
    header: false,
    columns: { customer: '2', date: '3', quantity: '4', amount: '5' },
    currency: 'USD',
  },
} as const;

export async function importTable(options: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = { rows: 0, events: 0, rejected: 0 };
  let resolveColumn: ((spec: string) => number) | undefined;
  for await (const { cells, line } of rows(options)) {
    if (options.header && resolveColumn === undefined) {
      resolveColumn = byName(cells);
      continue;
    }
    resolveColumn ??= byIndex;
    if (cells.length === 0 || (cells.length === 1 && cells[0] === '')) continue;
    summary.rows++;
    const event = toPurchase(cells, line, resolveColumn, options);
    if (typeof event === 'string') {
      summary.rejected++;
      options.errors.write({ line, error: event, row: cells });
    } else {
      summary.events++;
      options.output.write(event);
    }
    if (summary.rows % 10_000 === 0) await options.output.flush();
  }
  await Promise.all([options.output.close(), options.errors.close()]);
  return summary;
}

/** Rows with their line number in the file (for a multi-line quoted CSV record: its last line). */
async function* rows(options: ImportOptions): AsyncGenerator<{ cells: string[]; line: number }> {
  if (options.delimiter === 'whitespace') {
    let line = 0;
    for await (const text of createInterface({ input: options.input, crlfDelay: Infinity })) {
      const trimmed = text.trim();
      yield { cells: trimmed === '' ? [] : trimmed.split(/\s+/), line: ++line };
    }
    return;
  }
  const delimiter = { comma: ',', semicolon: ';', tab: '\t' }[options.delimiter];
  // `info` gives each record's line: skipped empty lines must not shift the numbers.
  const parser = options.input.pipe(parseCsv({ delimiter, relax_column_count: true, skip_empty_lines: true, trim: true, info: true }));
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    yield { cells: record, line: info.lines };
  }
}

function byIndex(spec: string): number {
  const index = Number(spec);
  if (!Number.isInteger(index) || index < 1) throw new Error(`column "${spec}" must be a 1-based number (no --header given)`);
  return index - 1;
}

function byName(header: readonly string[]): (spec: string) => number {
  return (spec) => {
    const named = header.indexOf(spec);
    if (named >= 0) return named;
    if (/^\d+$/.test(spec)) return byIndex(spec);
    throw new Error(`column "${spec}" is not in the header (${header.join(', ')})`);
  };
}

function toPurchase(
  cells: readonly string[],
  line: number,
  column: (spec: string) => number,
  options: ImportOptions,
): Record<string, unknown> | string {
  const cell = (spec: string | undefined): string | undefined => (spec === undefined ? undefined : cells[column(spec)]);
  const customer = cell(options.columns.customer);
  const date = cell(options.columns.date);
  const amount = cell(options.columns.amount);
  if (!customer) return `missing customer (column ${options.columns.customer})`;
  if (!date) return `missing date (column ${options.columns.date})`;
  if (!amount) return `missing amount (column ${options.columns.amount})`;
  if (!/^\d+(\.\d+)?$/.test(amount)) return `amount "${amount}" is not a plain non-negative decimal`;
  const occurredAt = toIsoTimestamp(date, options.utcOffset);
  if (occurredAt === null) return `date "${date}" is not YYYYMMDD, YYYY-MM-DD or an ISO-8601 date-time`;
  const event: Record<string, unknown> = {
    type: 'purchase',
    event_id: `${options.idPrefix}:${line}`,
    customer_id: customer,
    occurred_at: occurredAt,
    amount,
    currency: cell(options.columns.currency) ?? options.currency,
  };
  const order = cell(options.columns.order);
  if (order) event['order_id'] = order;
  const quantity = cell(options.columns.quantity);
  if (quantity) {
    const q = Number(quantity);
    if (!Number.isInteger(q) || q < 1) return `quantity "${quantity}" is not a positive integer`;
    event['quantity'] = q;
  }
  return event;
}

export function toIsoTimestamp(date: string, utcOffset: string): string | null {
  const iso = isoTimestampOf(date, utcOffset);
  // The patterns check the shape only: 19970230 or hour 25 must not become an event.
  return iso !== null && timestamp.safeParse(iso).success ? iso : null;
}

function isoTimestampOf(date: string, utcOffset: string): string | null {
  let match = /^(\d{4})(\d{2})(\d{2})$/.exec(date) ?? /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match) return `${match[1]}-${match[2]}-${match[3]}T00:00:00${utcOffset === '+00:00' ? 'Z' : utcOffset}`;
  match = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(date);
  if (match) return date;
  match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/.exec(date);
  if (match) return `${match[1]}T${match[2]}${utcOffset === '+00:00' ? 'Z' : utcOffset}`;
  return null;
}
