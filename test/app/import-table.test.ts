import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { importTable, PRESETS, toIsoTimestamp, type ImportOptions } from '../../src/app/import-table.js';
import { LineOutput } from '../../src/app/line-output.js';
import { inboundSchemas } from '../../src/contracts/inbound.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
  lines(): unknown[] {
    return this.text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as unknown);
  }
}

async function run(text: string, options: Partial<ImportOptions> & Pick<ImportOptions, 'delimiter' | 'header' | 'columns'>) {
  const out = new Sink();
  const errors = new Sink();
  const summary = await importTable({
    input: Readable.from([text]),
    output: LineOutput.toStream(out),
    errors: LineOutput.toStream(errors),
    currency: 'USD',
    utcOffset: '+00:00',
    idPrefix: 't',
    ...options,
  });
  return { summary, events: out.lines() as Record<string, unknown>[], errors: errors.lines() as { line: number; error: string; row: string[] }[] };
}

const cdnow = { delimiter: PRESETS.cdnow.delimiter, header: PRESETS.cdnow.header, columns: PRESETS.cdnow.columns, currency: PRESETS.cdnow.currency };

describe('importTable', () => {
  it('reads the CDNOW layout (whitespace, no header) into purchase events with ids <prefix>:<line>', async () => {
    const text = ' 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n';
    const { summary, events, errors } = await run(text, { ...cdnow, idPrefix: 'CDNOW_sample.txt' });
    expect(summary).toEqual({ rows: 2, events: 2, rejected: 0 });
    expect(errors).toEqual([]);
    expect(events[0]).toEqual({
      type: 'purchase',
      event_id: 'CDNOW_sample.txt:1',
      customer_id: '0001',
      occurred_at: '1997-01-01T00:00:00Z',
      amount: '29.33',
      currency: 'USD',
      quantity: 2,
    });
    expect(events[1]).toMatchObject({ event_id: 'CDNOW_sample.txt:2', occurred_at: '1997-01-18T00:00:00Z' });
    for (const e of events) expect(inboundSchemas.purchase.safeParse(e).success).toBe(true);
  });

  it('reads a CSV with a header by column names, trimming whitespace around cells', async () => {
    const text = 'order , customer,when,total,ccy\n A-1 , c 7 ,2026-03-01, 12.50 ,EUR\nA-2,c8,2026-03-02 10:15:00,3,USD\n';
    const { summary, events } = await run(text, {
      delimiter: 'comma',
      header: true,
      columns: { customer: 'customer', date: 'when', amount: 'total', order: 'order', currency: 'ccy' },
      utcOffset: '+01:00',
    });
    expect(summary).toEqual({ rows: 2, events: 2, rejected: 0 });
    expect(events).toEqual([
      { type: 'purchase', event_id: 't:2', customer_id: 'c 7', occurred_at: '2026-03-01T00:00:00+01:00', amount: '12.50', currency: 'EUR', order_id: 'A-1' },
      { type: 'purchase', event_id: 't:3', customer_id: 'c8', occurred_at: '2026-03-02T10:15:00+01:00', amount: '3', currency: 'USD', order_id: 'A-2' },
    ]);
  });

  it('reads semicolon and tab separated tables by 1-based column index', async () => {
    const semi = await run('c1;20260301;1.5\n', { delimiter: 'semicolon', header: false, columns: { customer: '1', date: '2', amount: '3' } });
    expect(semi.events[0]).toMatchObject({ customer_id: 'c1', occurred_at: '2026-03-01T00:00:00Z', amount: '1.5' });
    const tab = await run('7\tc2\t2026-03-01\n', { delimiter: 'tab', header: false, columns: { customer: '2', date: '3', amount: '1' } });
    expect(tab.events[0]).toMatchObject({ customer_id: 'c2', amount: '7' });
  });

  it('reports a bad row with its line and reason, and goes on', async () => {
    const text = [
      'customer,date,amount,qty',
      'c1,2026-03-01,abc,1', // line 2: amount
      'c2,2026-03-01,10.00,1', // line 3: fine
      'c3,03/01/2026,10.00,1', // line 4: date
      ',2026-03-01,10.00,1', // line 5: customer
      'c5,2026-03-01,10.00,0', // line 6: quantity
      'c6,2026-03-01,-1,1', // line 7: negative amount
      'c7,2026-03-01', // line 8: missing amount
      'c8,2026-03-02,11.00,2', // line 9: fine
    ].join('\n');
    const { summary, events, errors } = await run(text, {
      delimiter: 'comma',
      header: true,
      columns: { customer: 'customer', date: 'date', amount: 'amount', quantity: 'qty' },
    });
    expect(summary).toEqual({ rows: 8, events: 2, rejected: 6 });
    expect(events.map((e) => e['event_id'])).toEqual(['t:3', 't:9']);
    expect(errors.map((e) => [e.line, e.error])).toEqual([
      [2, 'amount "abc" is not a plain non-negative decimal'],
      [4, 'date "03/01/2026" is not YYYYMMDD, YYYY-MM-DD or an ISO-8601 date-time'],
      [5, 'missing customer (column customer)'],
      [6, 'quantity "0" is not a positive integer'],
      [7, 'amount "-1" is not a plain non-negative decimal'],
      [8, 'missing amount (column amount)'],
    ]);
    expect(errors[0]?.row).toEqual(['c1', '2026-03-01', 'abc', '1']);
  });

  it('numbers lines as in the file when it has blank lines (CSV and whitespace alike)', async () => {
    const csv = await run('customer,date,amount\n\nc1,2026-03-01,abc\n\nc2,2026-03-01,1\n', {
      delimiter: 'comma',
      header: true,
      columns: { customer: 'customer', date: 'date', amount: 'amount' },
    });
    expect(csv.errors.map((e) => e.line)).toEqual([3]);
    expect(csv.events.map((e) => e['event_id'])).toEqual(['t:5']);
    const ws = await run('c0 20260301 1\n\nc1 20260301 abc\n', { delimiter: 'whitespace', header: false, columns: { customer: '1', date: '2', amount: '3' } });
    expect(ws.errors.map((e) => e.line)).toEqual([3]);
    expect(ws.summary).toEqual({ rows: 2, events: 1, rejected: 1 });
  });

  it('reports an impossible calendar date at import, not later at replay', async () => {
    const { errors } = await run('c1 19970230 1\n', { delimiter: 'whitespace', header: false, columns: { customer: '1', date: '2', amount: '3' } });
    expect(errors.map((e) => [e.line, e.error])).toEqual([[1, 'date "19970230" is not YYYYMMDD, YYYY-MM-DD or an ISO-8601 date-time']]);
  });
});

describe('toIsoTimestamp', () => {
  it.each([
    ['19970101', '+00:00', '1997-01-01T00:00:00Z'],
    ['1997-01-01', '+00:00', '1997-01-01T00:00:00Z'],
    ['19970101', '+05:30', '1997-01-01T00:00:00+05:30'],
    ['1997-01-01', '-03:00', '1997-01-01T00:00:00-03:00'],
    ['2026-03-01T10:15:00Z', '+01:00', '2026-03-01T10:15:00Z'], // has an offset: kept as written
    ['2026-03-01T10:15:00.250-02:00', '+01:00', '2026-03-01T10:15:00.250-02:00'],
    ['2026-03-01T10:15:00', '+01:00', '2026-03-01T10:15:00+01:00'],
    ['2026-03-01 10:15:00.5', '+00:00', '2026-03-01T10:15:00.5Z'],
    ['2024-02-29', '+00:00', '2024-02-29T00:00:00Z'], // leap day
  ])('%s at %s → %s', (date, offset, iso) => {
    expect(toIsoTimestamp(date, offset)).toBe(iso);
  });

  it.each(['1997/01/01', '01-01-1997', '199701011', '2026-03-01T10:15', '2026-03-01T10:15:00+0100', '', 'x', '19970230', '2026-13-01', '2025-02-29', '2026-03-01T25:00:00Z'])(
    'rejects %j',
    (date) => {
      expect(toIsoTimestamp(date, '+00:00')).toBeNull();
    },
  );
});
