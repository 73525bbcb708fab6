/**
 * Flag parsing shared by the analytics commands (fit, score, backtest, report):
 * every bad value is a UsageError naming the flag (exit code 2).
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { parseModelFile } from '../app/fit-result.js';
import { readSummaryFile, SummaryFileError, type SummaryFile } from '../app/summary-file.js';
import type { ModelSnapshot } from '../domain/model-snapshot.js';
import { dayToDate, localDayOf } from '../domain/time.js';
import { fileErrorText } from './cli-errors.js';
import { UsageError } from './usage-error.js';

/** A readable input file argument ("-" = stdin); a missing or unreadable file is a UsageError. */
export function inputArgument(what: string, path: string): Readable {
  if (path === '-') return process.stdin;
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
  } catch (err) {
    throw new UsageError(`${what} ${path}: ${fileErrorText(err)}`);
  }
  return createReadStream(path);
}

/** Reads the summary file a flag names ("-" = stdin); a bad or missing file is a UsageError. */
export async function summaryArgument(flag: string, path: string): Promise<SummaryFile> {
  try {
    return await readSummaryFile(inputArgument(flag, path), path === '-' ? 'stdin' : path);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (err instanceof SummaryFileError) throw new UsageError(err.message);
    // Opened but unreadable (EACCES, EISDIR...): still the file the flag names.
    if (typeof (err as NodeJS.ErrnoException).code === 'string') throw new UsageError(`${flag} ${path}: ${fileErrorText(err)}`);
    throw err;
  }
}

/**
 * The model file a `--model` flag names (the JSON of `fit --events` or
 * `fit --state`) as the snapshot the service would score with; a missing or
 * bad file is a UsageError.
 */
export function modelArgument(flag: string, path: string, currency: string): ModelSnapshot {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag} ${path}: ${(err as Error).message}`);
  }
  try {
    return parseModelFile(text, `${flag} ${path}`, currency);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A calendar date YYYY-MM-DD (or the date part of an ISO time) → day index. */
export function dayOption(flag: string, value: string): number {
  const match = /^(\d{4}-\d{2}-\d{2})(T.*)?$/.exec(value);
  const date = match?.[1];
  if (date === undefined || dayToDate(localDayOf(date)) !== date) {
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a calendar date like 1997-09-30`);
  }
  return localDayOf(date);
}

export function numberOption(flag: string, value: string, check: { min: number; integer?: boolean; exclusiveMin?: boolean }): number {
  const n = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
  const ok =
    Number.isFinite(n) && (check.exclusiveMin ? n > check.min : n >= check.min) && (check.integer !== true || Number.isInteger(n));
  if (!ok) {
    const what = `${check.integer ? 'an integer' : 'a number'} ${check.exclusiveMin ? '>' : '≥'} ${check.min}`;
    throw new UsageError(`${flag} ${JSON.stringify(value)} must be ${what}`);
  }
  return n;
}
