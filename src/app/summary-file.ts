/**
 * Customer summary files in the `lifetimes` layout: a CSV with a header naming
 * `frequency,recency,T[,monetary_value]` or `x,t_x,T[,zbar]` (names are matched
 * without regard to case, in any order), plus optionally a customer id column
 * (`id`, `customer_id`, `customer` or an unnamed first column, as pandas writes
 * its index); other columns are ignored. Times and money are in whatever unit
 * the file uses, the fitted parameters come out in the same units.
 *
 * Any problem is a `SummaryFileError` naming the file, line and column.
 */
import { parse as parseCsv } from 'csv-parse';
import type { Readable } from 'node:stream';

export class SummaryFileError extends Error {
  override readonly name = 'SummaryFileError';
}

export interface SummaryRow {
  /** The id column's value, or the data row number (1-based) when there is none. */
  readonly id: string;
  readonly line: number;
  readonly x: number;
  readonly tx: number;
  readonly T: number;
  /** null when the file has no monetary column. */
  readonly zbar: number | null;
}

export interface SummaryFile {
  readonly rows: SummaryRow[];
  readonly hasMonetary: boolean;
  readonly hasId: boolean;
}

type Field = 'x' | 'tx' | 'T' | 'zbar' | 'id';

const NAMES: Record<string, Field> = {
  frequency: 'x',
  x: 'x',
  recency: 'tx',
  t_x: 'tx',
  t: 'T',
  monetary_value: 'zbar',
  zbar: 'zbar',
  id: 'id',
  customer_id: 'id',
  customer: 'id',
};

const REQUIRED: readonly [Field, string][] = [
  ['x', 'frequency (or x)'],
  ['tx', 'recency (or t_x)'],
  ['T', 'T'],
];

const DECIMAL = /^\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export async function readSummaryFile(input: Readable, fileName: string): Promise<SummaryFile> {
  const fail = (line: number, message: string) => new SummaryFileError(`${fileName}: line ${line}: ${message}`);
  const parser = input.pipe(parseCsv({ relax_column_count: true, skip_empty_lines: true, trim: true, bom: true, info: true }));
  // pipe() does not forward the source's errors (a missing file): end the parse with them.
  input.once('error', (err) => parser.destroy(err));
  let columns: Map<Field, { index: number; name: string }> | undefined;
  const rows: SummaryRow[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (columns === undefined) {
        columns = headerOf(record, (message) => fail(line, message));
        continue;
      }
      rows.push(rowOf(record, line, rows.length + 1, columns, (message) => fail(line, message)));
    }
  } catch (err) {
    if (err instanceof SummaryFileError) throw err;
    const e = err as Error & { lines?: number };
    throw new SummaryFileError(`${fileName}: ${e.lines === undefined ? '' : `line ${e.lines}: `}${e.message}`);
  }
  if (columns === undefined) throw new SummaryFileError(`${fileName}: empty file (expected a header: frequency,recency,T[,monetary_value])`);
  if (rows.length === 0) throw new SummaryFileError(`${fileName}: no customer rows after the header`);
  return { rows, hasMonetary: columns.has('zbar'), hasId: columns.has('id') };
}

function headerOf(header: readonly string[], fail: (message: string) => Error): Map<Field, { index: number; name: string }> {
  const columns = new Map<Field, { index: number; name: string }>();
  header.forEach((raw, index) => {
    const field = raw === '' && index === 0 ? 'id' : NAMES[raw.toLowerCase()];
    if (field === undefined) return;
    const previous = columns.get(field);
    if (previous !== undefined) {
      throw fail(`columns ${previous.index + 1} (${previous.name || 'unnamed'}) and ${index + 1} (${raw}) both give ${field}`);
    }
    columns.set(field, { index, name: raw });
  });
  const missing = REQUIRED.filter(([field]) => !columns.has(field)).map(([, name]) => name);
  if (missing.length > 0) {
    throw fail(`the header (${header.join(',')}) lacks ${missing.join(', ')}; expected frequency,recency,T[,monetary_value] or x,t_x,T[,zbar]`);
  }
  return columns;
}

function rowOf(
  cells: readonly string[],
  line: number,
  rowNumber: number,
  columns: Map<Field, { index: number; name: string }>,
  fail: (message: string) => Error,
): SummaryRow {
  const numberAt = (field: Field, integer: boolean): number => {
    const column = columns.get(field)!;
    const where = `column ${column.index + 1} (${column.name})`;
    const text = cells[column.index];
    if (text === undefined || text === '') throw fail(`${where}: missing value`);
    if (!DECIMAL.test(text)) throw fail(`${where}: "${text}" is not a non-negative number`);
    const value = Number(text);
    if (!Number.isFinite(value)) throw fail(`${where}: "${text}" is out of range`);
    if (integer && !Number.isInteger(value)) throw fail(`${where}: "${text}" is not a whole number of repeat purchases`);
    return value;
  };
  const x = numberAt('x', true);
  const tx = numberAt('tx', false);
  const T = numberAt('T', false);
  if (tx > T) {
    const c = (f: Field) => columns.get(f)!.index + 1;
    throw fail(`columns ${c('tx')} and ${c('T')}: recency ${tx} is after T ${T} (need recency ≤ T)`);
  }
  const zbar = columns.has('zbar') ? numberAt('zbar', false) : null;
  const idColumn = columns.get('id');
  const id = idColumn === undefined ? String(rowNumber) : (cells[idColumn.index] ?? String(rowNumber));
  return { id, line, x, tx, T, zbar };
}
