/**
 * Reads a JSON-lines event file (the format `import` writes and `replay` reads)
 * into validated domain inputs, for the analytics commands. Invalid lines are
 * counted by rejection code and the first few are kept with their line number;
 * the reading goes on, as in `replay`.
 */
import type { Readable } from 'node:stream';
import type { DeadLetterCode } from '../contracts/dead-letter.js';
import type { DomainInput } from '../domain/input.js';
import { decodeBytes, type IngestRules } from '../ingest/decode.js';
import { byteLines, isBlank } from './byte-lines.js';

export interface EventFileSummary {
  lines: number;
  inputs: number;
  rejected: Partial<Record<DeadLetterCode, number>>;
  /** The first rejections (at most 5), with their line. */
  examples: { line: number; code: DeadLetterCode; message: string }[];
}

const EXAMPLES = 5;

export async function readEventFile(
  input: Readable,
  rules: IngestRules,
  nowMs: number,
  onInput: (input: DomainInput) => void,
  onProgress?: (lines: number) => void,
): Promise<EventFileSummary> {
  const summary: EventFileSummary = { lines: 0, inputs: 0, rejected: {}, examples: [] };
  for await (const line of byteLines(input)) {
    summary.lines++;
    if (onProgress !== undefined && summary.lines % 10_000 === 0) onProgress(summary.lines);
    if (isBlank(line)) continue;
    const decoded = decodeBytes(line, null, rules, nowMs);
    if (decoded.tag === 'rejected') {
      const { code, message } = decoded.rejection;
      summary.rejected[code] = (summary.rejected[code] ?? 0) + 1;
      if (summary.examples.length < EXAMPLES) summary.examples.push({ line: summary.lines, code, message });
      continue;
    }
    summary.inputs++;
    onInput(decoded.input);
  }
  return summary;
}
