/**
 * `clvstream replay`: JSON-lines events through the same decode → reduce → emit
 * pipeline as the service, over an in-memory store. Invalid lines go to the
 * dead-letter output with their reason; the run goes on.
 */
import type { Readable } from 'node:stream';
import type { DeadLetterCode } from '../contracts/dead-letter.js';
import { SEGMENT_DIMENSIONS } from '../contracts/segments.js';
import type { ReduceContext } from '../domain/reducer.js';
import { localDayOf } from '../domain/time.js';
import { decodeBytes, type IngestRules } from '../ingest/decode.js';
import { MemoryProcessor } from '../pipeline/memory-processor.js';
import { byteLines, deadLetterValue, isBlank } from './byte-lines.js';
import { customerView } from './customer-view.js';
import type { LineOutput } from './line-output.js';

export interface ReplayOptions {
  readonly input: Readable;
  readonly emissions: LineOutput;
  readonly deadLetters: LineOutput;
  readonly customers: LineOutput | null;
  /** ISO time: events after it are skipped and measures are evaluated at it. */
  readonly asOf: string | null;
  readonly ctx: ReduceContext;
  readonly rules: IngestRules;
  /** Wall clock for the future-skew rule only. */
  readonly nowMs: number;
  readonly onProgress?: (lines: number) => void;
}

export interface ReplaySummary {
  lines: number;
  applied: Record<string, number>;
  duplicates: number;
  rejected: Partial<Record<DeadLetterCode, number>>;
  skipped_after_as_of: number;
  /** Checks fired because time passed a customer's next-check day (the timer path: no event of theirs). */
  due_checks_fired: number;
  emitted: Record<string, number>;
  flags: Record<string, number>;
  customers: number;
  as_of: string | null;
  segments: Record<string, Record<string, number>>;
  churn_levels: Record<string, number>;
}

const bump = (counts: Record<string, number>, key: string) => (counts[key] = (counts[key] ?? 0) + 1);

export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const summary: ReplaySummary = {
    lines: 0,
    applied: {},
    duplicates: 0,
    rejected: {},
    skipped_after_as_of: 0,
    due_checks_fired: 0,
    emitted: {},
    flags: {},
    customers: 0,
    as_of: options.asOf,
    segments: {},
    churn_levels: {},
  };
  const processor = new MemoryProcessor(options.ctx, {
    onEmit: (event) => {
      bump(summary.emitted, event.type);
      options.emissions.write(event);
    },
    onReduction: (input, reduction) => {
      if (!reduction.applied) summary.duplicates++;
      else if (input !== null) bump(summary.applied, input.kind);
      else summary.due_checks_fired++;
      for (const flag of reduction.flags) if (flag !== 'duplicate') bump(summary.flags, flag);
    },
  });
  const asOfMs = options.asOf === null ? Infinity : Date.parse(options.asOf);
  for await (const line of byteLines(options.input)) {
    summary.lines++;
    if (isBlank(line)) continue;
    const decoded = decodeBytes(line, null, options.rules, options.nowMs);
    if (decoded.tag === 'rejected') {
      bump(summary.rejected, decoded.rejection.code);
      options.deadLetters.write({ line: summary.lines, ...decoded.rejection, ...deadLetterValue(line, decoded.rejection.code === 'invalid_utf8') });
    } else if (decoded.input.at > asOfMs) {
      summary.skipped_after_as_of++;
    } else {
      const error = processor.tryApply(decoded.input);
      if (error !== null) {
        // As the service does: the input is dead-lettered, the run goes on without it.
        bump(summary.rejected, 'processing_error');
        const message = error.message;
        options.deadLetters.write({ line: summary.lines, code: 'processing_error', message, issues: [{ field: '', rule: 'processing', message }], ...deadLetterValue(line, false) });
      }
    }
    if (summary.lines % 10_000 === 0) {
      options.onProgress?.(summary.lines);
      await Promise.all([options.emissions.flush(), options.deadLetters.flush()]);
    }
  }
  const finalDay = options.asOf === null ? processor.watermark : localDayOf(options.asOf);
  // What the last events caused takes hold after them: in the service too, once its partitions have passed them.
  processor.settle(asOfMs);
  processor.advanceTo(finalDay);
  for (const [state, profile] of processor.profiles(finalDay)) {
    summary.customers++;
    for (const dimension of SEGMENT_DIMENSIONS) {
      bump((summary.segments[dimension] ??= {}), profile.segments[dimension] ?? 'none');
    }
    bump(summary.churn_levels, profile.churn.level);
    if (options.customers !== null) {
      options.customers.write(customerView(state, profile, options.ctx.model, options.ctx.parameters));
      if (summary.customers % 10_000 === 0) await options.customers.flush();
    }
  }
  await Promise.all([options.emissions.close(), options.deadLetters.close(), options.customers?.close()]);
  return summary;
}
