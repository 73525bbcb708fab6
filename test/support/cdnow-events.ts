// The CDNOW transaction log as clvstream events (the `cdnow` import preset), and
// the customer states the pipeline builds from it: shared by the analytics tests.
// Not a test file itself.
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PassThrough, Writable } from 'node:stream';
import { importTable, PRESETS } from '../../src/app/import-table.js';
import { LineOutput } from '../../src/app/line-output.js';
import { readEventFile } from '../../src/app/event-file.js';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import type { CustomerState } from '../../src/domain/state.js';
import type { IngestRules } from '../../src/ingest/decode.js';
import { MemoryProcessor } from '../../src/pipeline/memory-processor.js';
import type { BgNbdParams, GammaGammaParams } from '../../src/domain/model-snapshot.js';
import { expect } from 'vitest';

const LOG = fileURLToPath(new URL('../../data/cdnow/CDNOW_sample.txt', import.meta.url));

export const TEST_RULES: IngestRules = {
  unknownFields: 'reject',
  earliestMs: Date.parse('1990-01-01T00:00:00Z'),
  maxFutureSkewMs: 300_000,
  maxMessageBytes: 64 * 1024,
  baseCurrency: 'USD',
  rates: {},
};

/** A wall clock after every CDNOW event (for the future-skew rule). */
export const TEST_NOW_MS = Date.parse('2026-01-01T00:00:00Z');

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

let cached: string | undefined;

/** The 6,919 CDNOW purchases as JSON lines, as `clvstream import --preset cdnow` writes them. */
export async function cdnowEventLines(): Promise<string> {
  if (cached !== undefined) return cached;
  const events = new Sink();
  const p = PRESETS.cdnow;
  await importTable({
    input: createReadStream(LOG),
    output: LineOutput.toStream(events),
    errors: LineOutput.toStream(new Sink()),
    delimiter: p.delimiter,
    header: p.header,
    columns: p.columns,
    currency: p.currency,
    utcOffset: '+00:00',
    idPrefix: 'CDNOW_sample.txt',
  });
  cached = events.text;
  return cached;
}

export function streamOf(text: string): PassThrough {
  const input = new PassThrough();
  input.end(text);
  return input;
}

/** Every CDNOW customer's state after the events of days up to `lastDay` (inclusive). */
export async function cdnowStates(lastDay: number): Promise<CustomerState[]> {
  const processor = new MemoryProcessor({ model: UNFITTED_MODEL, parameters: defaultDomainParameters });
  await readEventFile(streamOf(await cdnowEventLines()), TEST_RULES, TEST_NOW_MS, (input) => {
    if (input.day <= lastDay) processor.apply(input);
  });
  return [...processor.states.values()];
}

const relative = (actual: number, expected: number) => Math.abs(actual - expected) / Math.abs(expected);

/**
 * A fit from stored CDNOW states (time in days, money in cents) against the
 * published figures: BG/NBD in weeks r 0.2426, α 4.4135, a 0.7929, b 2.4258, to
 * 1e-3 relative (exact days rather than two-decimal weeks move it by ~3e-4);
 * Gamma-Gamma p 6.25, q 3.74, v 15.44 dollars, to 2e-3.
 */
export function expectPublishedCdnowFit(bgnbd: BgNbdParams, gammaGamma: GammaGammaParams): void {
  expect(relative(bgnbd.r, 0.2426)).toBeLessThan(1e-3);
  expect(relative(bgnbd.alpha / 7, 4.4135)).toBeLessThan(1e-3);
  expect(relative(bgnbd.a, 0.7929)).toBeLessThan(1e-3);
  expect(relative(bgnbd.b, 2.4258)).toBeLessThan(1e-3);
  expect(relative(gammaGamma.p, 6.25)).toBeLessThan(2e-3);
  expect(relative(gammaGamma.q, 3.74)).toBeLessThan(2e-3);
  expect(relative(gammaGamma.v / 100, 15.44)).toBeLessThan(2e-3);
}
