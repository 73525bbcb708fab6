/**
 * The reference data set of the BTYD literature, end to end: the CDNOW transaction
 * log imported with the `cdnow` preset, replayed through the pipeline as of the end
 * of the calibration period (1997-09-30), and every customer's BTYD summary checked
 * against the published per-customer file (weeks, two decimals).
 *
 * Rounding of the published zbar: it is the exact mean rounded half *up* to the cent.
 * 49 customers have a mean of exactly half a cent (customer 1: (29.73 + 14.96) / 2 =
 * 22.345 → published 22.35); formatting the binary float (22.344999…) with toFixed
 * would give 22.34. So the comparison rounds the exact rational mean, recovered as
 * integer cents, never the float.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { importTable, PRESETS } from '../../src/app/import-table.js';
import { LineOutput } from '../../src/app/line-output.js';
import { replay, type ReplaySummary } from '../../src/app/replay.js';
import type { CustomerView } from '../../src/app/customer-view.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';

const LOG = 'data/cdnow/CDNOW_sample.txt';
const SUMMARY = 'data/cdnow/cdnow_customers_summary_with_transactions.csv';
const AS_OF = '1997-09-30T23:59:59.999Z';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

/** n / d rounded half up to an integer, as a decimal string with two places (n, d ≥ 0 integers, value in hundredths). */
function hundredthsHalfUp(n: number, d: number): string {
  const h = Math.floor((2 * n + d) / (2 * d));
  return `${Math.floor(h / 100)}.${String(h % 100).padStart(2, '0')}`;
}

interface Published {
  id: string;
  x: string;
  tx: string;
  T: string;
  zbar: string;
}

let summary: ReplaySummary;
let customers: Map<string, CustomerView>;
let deadLetters: string;
let published: Published[];

beforeAll(async () => {
  const events = new Sink();
  const importErrors = new Sink();
  const p = PRESETS.cdnow;
  const imported = await importTable({
    input: createReadStream(LOG),
    output: LineOutput.toStream(events),
    errors: LineOutput.toStream(importErrors),
    delimiter: p.delimiter,
    header: p.header,
    columns: p.columns,
    currency: p.currency,
    utcOffset: '+00:00',
    idPrefix: 'CDNOW_sample.txt',
  });
  expect(imported).toEqual({ rows: 6919, events: 6919, rejected: 0 });
  expect(importErrors.text).toBe('');

  const input = new PassThrough();
  input.end(events.text);
  const out = new Sink();
  const dead = new Sink();
  const view = new Sink();
  summary = await replay({
    input,
    emissions: LineOutput.toStream(out),
    deadLetters: LineOutput.toStream(dead),
    customers: LineOutput.toStream(view),
    asOf: AS_OF,
    ctx: { model: UNFITTED_MODEL, parameters: defaultDomainParameters },
    rules: {
      unknownFields: 'reject',
      earliestMs: Date.parse('1990-01-01T00:00:00Z'),
      maxFutureSkewMs: 300_000,
      maxMessageBytes: 64 * 1024,
      baseCurrency: 'USD',
      rates: {},
    },
    nowMs: Date.parse('2026-01-01T00:00:00Z'),
  });
  deadLetters = dead.text;
  customers = new Map(
    view.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as CustomerView)
      .map((c) => [String(Number(c.customer_id)), c]),
  );
  published = readFileSync(SUMMARY, 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => {
      const [id = '', x = '', tx = '', T = '', zbar = ''] = line.split(',');
      return { id, x, tx, T, zbar };
    });
}, 60_000);

describe('CDNOW sample, calibration period to 1997-09-30', () => {
  it('replays every line: no dead letters, later transactions skipped by the as-of time', () => {
    const log = readFileSync(LOG, 'utf8').trim().split('\n');
    const inCalibration = log.filter((l) => (l.trim().split(/\s+/)[2] ?? '') <= '19970930').length;
    expect(deadLetters).toBe('');
    expect(summary.rejected).toEqual({});
    expect(summary.applied).toEqual({ purchase: inCalibration });
    expect(summary.skipped_after_as_of).toBe(log.length - inCalibration);
    expect(summary.customers).toBe(2357);
  });

  it('has the 2,357 published customers and 946 repeat buyers', () => {
    expect(published).toHaveLength(2357);
    expect(customers.size).toBe(2357);
    expect(published.filter((c) => c.x !== '0')).toHaveLength(946);
    expect([...customers.values()].filter((c) => c.x > 0)).toHaveLength(946);
  });

  it('matches x, t_x, T (weeks) and zbar (dollars) of every published customer', () => {
    const mismatches: string[] = [];
    for (const row of published) {
      const c = customers.get(row.id);
      if (c === undefined) {
        mismatches.push(`${row.id}: missing`);
        continue;
      }
      // zbar in cents × x = the repeat days' total, an integer number of cents
      const repeatCents = Math.round(c.zbar * 100 * c.x);
      const ours = {
        x: String(c.x),
        tx: hundredthsHalfUp(c.t_x_days * 100, 7), // days / 7, never a tie (7 is odd and prime to 10)
        T: hundredthsHalfUp(c.T_days * 100, 7),
        zbar: c.x === 0 ? '0.00' : hundredthsHalfUp(repeatCents, c.x),
      };
      const theirs = { x: row.x, tx: row.tx, T: row.T, zbar: row.zbar };
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) mismatches.push(`${row.id}: ours ${JSON.stringify(ours)} published ${JSON.stringify(theirs)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('spot checks in days and exact cents (customer 1: purchases on Jan 1, Jan 18 and Aug 2)', () => {
    const c1 = customers.get('1');
    // t_x = Aug 2 − Jan 1 = 213 days; T = Sep 30 − Jan 1 = 272 days; zbar = (29.73 + 14.96) / 2
    expect(c1).toMatchObject({ x: 2, t_x_days: 213, T_days: 272, first_purchase: '1997-01-01', last_purchase: '1997-08-02' });
    expect(Math.round((c1?.zbar ?? 0) * 200)).toBe(4469);
  });
});
