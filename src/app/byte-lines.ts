/**
 * The lines of a byte stream as raw bytes, without their line break (LF or
 * CRLF). Event files are read this way, not through `readline`, so that a line
 * that is not UTF-8 reaches the decoder as it is and is rejected there, as on
 * Kafka, instead of being read with U+FFFD in place of its bad bytes.
 */
import type { Readable } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;

export async function* byteLines(input: Readable): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (let lf = bytes.indexOf(LF); lf !== -1; lf = bytes.indexOf(LF, start)) {
      pending.push(bytes.subarray(start, lf));
      yield withoutCr(pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending));
      pending = [];
      start = lf + 1;
    }
    if (start < bytes.length) pending.push(bytes.subarray(start));
  }
  if (pending.length > 0) yield withoutCr(Buffer.concat(pending));
}

function withoutCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
}

/** Blank (only spaces, tabs and CRs): skipped by every reader, as before. */
export function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== CR) return false;
  return true;
}

/**
 * A rejected line as the dead-letter output writes it: its text, and its bytes
 * in base64 as well when they are not UTF-8 (the text then has U+FFFD in place
 * of the bad bytes, for reading only).
 */
export function deadLetterValue(line: Buffer, invalidUtf8: boolean): { value: string; value_base64?: string } {
  const value = line.toString('utf8');
  return invalidUtf8 ? { value, value_base64: line.toString('base64') } : { value };
}
