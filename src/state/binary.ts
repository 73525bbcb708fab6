/**
 * Byte-level primitives of the state codec: unsigned LEB128 varints, zigzag
 * varints with an optional tag bit (computed by arithmetic, exact for every safe
 * integer), fixed 32/48-bit little-endian integers, little-endian doubles and
 * length-prefixed UTF-8.
 */
import { StateCodecError } from './errors.js';

const TWO_POW_32 = 0x1_0000_0000;

let scratch = Buffer.allocUnsafe(1024);

/** Appends to a shared scratch buffer (encoding is synchronous); `finish` copies the result out. */
export class Writer {
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= scratch.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(scratch.length * 2, this.pos + n + 64));
    scratch.copy(bigger, 0, 0, this.pos);
    scratch = bigger;
  }

  byte(b: number): void {
    this.ensure(1);
    scratch[this.pos++] = b;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  uvarint(n: number): void {
    this.ensure(8);
    let m = n;
    while (m >= 0x80) {
      scratch[this.pos++] = (m % 0x80) | 0x80;
      m = Math.floor(m / 0x80);
    }
    scratch[this.pos++] = m;
  }

  /**
   * Zigzag varint of a safe integer with `tagBits` (0 or 1) of tag below the sign:
   * first byte = tag | sign << tagBits | low magnitude bits, continuation in bit 7.
   * A negative x is written as magnitude −x−1, as zigzag does.
   */
  svarint(x: number, tagBits = 0, tag = 0): void {
    const negative = x < 0;
    const m = negative ? -x - 1 : x;
    const lowBits = 6 - tagBits;
    const lowSpan = 1 << lowBits;
    const low = m % lowSpan;
    const rest = Math.floor(m / lowSpan);
    const first = tag | ((negative ? 1 : 0) << tagBits) | (low << (tagBits + 1));
    if (rest === 0) {
      this.byte(first);
    } else {
      this.byte(first | 0x80);
      this.uvarint(rest);
    }
  }

  uint32(n: number): void {
    this.ensure(4);
    scratch.writeUInt32LE(n, this.pos);
    this.pos += 4;
  }

  /** IEEE 754 double, little-endian: every number exactly. */
  float64(x: number): void {
    this.ensure(8);
    scratch.writeDoubleLE(x, this.pos);
    this.pos += 8;
  }

  uint48(n: number): void {
    this.ensure(6);
    scratch.writeUIntLE(n, this.pos, 6);
    this.pos += 6;
  }

  /**
   * Length-prefixed UTF-8. A string of n UTF-16 units has at most 3n UTF-8
   * bytes, so below 16,384 bytes the prefix width is known to be 1 or 2 before
   * encoding: the bytes go in right after it in one pass (measuring first was
   * a second pass over every JSON value the outbox packs), and a prefix that
   * turns out one byte shorter moves them back by one.
   */
  string(s: string): void {
    const most = s.length * 3;
    if (most >= 0x4000) {
      const len = Buffer.byteLength(s, 'utf8');
      this.uvarint(len);
      this.ensure(len);
      scratch.write(s, this.pos, len, 'utf8');
      this.pos += len;
      return;
    }
    const width = most < 0x80 ? 1 : 2;
    this.ensure(width + most);
    const start = this.pos + width;
    const len = scratch.write(s, start, 'utf8');
    if (len < 0x80) {
      if (width === 2) scratch.copyWithin(this.pos + 1, start, start + len);
      scratch[this.pos] = len;
      this.pos += 1 + len;
    } else {
      scratch[this.pos] = (len % 0x80) | 0x80;
      scratch[this.pos + 1] = Math.floor(len / 0x80);
      this.pos += 2 + len;
    }
  }

  /** Length-prefixed raw bytes. */
  bytes(b: Uint8Array): void {
    this.uvarint(b.length);
    this.ensure(b.length);
    scratch.set(b, this.pos);
    this.pos += b.length;
  }

  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    scratch.copy(out, 0, 0, this.pos);
    return out;
  }
}

/** The position of each value in a code table (enums are stored as their index): one lookup per field. */
export function codeIndex<T extends string>(table: readonly T[]): ReadonlyMap<T, number> {
  return new Map(table.map((v, i) => [v, i]));
}

export function uvarintSize(n: number): number {
  let size = 1;
  for (let m = n; m >= 0x80; m = Math.floor(m / 0x80)) size++;
  return size;
}

export function corrupt(what: string): StateCodecError {
  return new StateCodecError('CODEC_CORRUPT', `corrupt customer state: ${what}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict reader: every malformed input raises CODEC_CORRUPT. */
export class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  byte(): number {
    const b = this.buf[this.pos];
    if (b === undefined) throw corrupt(`truncated at byte ${this.pos}`);
    this.pos++;
    return b;
  }

  uvarint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw corrupt(`overlong varint ending at byte ${this.pos - 1}`);
        if (!Number.isSafeInteger(result)) throw corrupt(`varint out of range ending at byte ${this.pos - 1}`);
        return result;
      }
      mul *= 0x80;
    }
    throw corrupt(`varint longer than 8 bytes at byte ${this.pos}`);
  }

  /** Returns the value; with tagBits = 1 the tag is left in `lastTag`. */
  lastTag = 0;
  svarint(tagBits = 0): number {
    const first = this.byte();
    this.lastTag = first & ((1 << tagBits) - 1);
    const negative = ((first >>> tagBits) & 1) === 1;
    const lowBits = 6 - tagBits;
    let m = (first & 0x7f) >>> (tagBits + 1);
    if ((first & 0x80) !== 0) {
      const rest = this.uvarint();
      if (rest === 0) throw corrupt(`overlong varint at byte ${this.pos - 1}`);
      m += rest * (1 << lowBits);
    }
    const value = negative ? -m - 1 : m;
    if (!Number.isSafeInteger(m) || !Number.isSafeInteger(value)) throw corrupt(`integer out of range at byte ${this.pos}`);
    return value;
  }

  private need(n: number): void {
    if (this.remaining < n) throw corrupt(`truncated: ${n} bytes needed at byte ${this.pos}, ${this.remaining} left`);
  }

  uint32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16)) + (b[p + 3] as number) * 0x100_0000;
  }

  uint48(): number {
    this.need(6);
    const b = this.buf;
    const p = this.pos;
    this.pos += 6;
    const lo = ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16)) + (b[p + 3] as number) * 0x100_0000;
    const hi = (b[p + 4] as number) | ((b[p + 5] as number) << 8);
    return hi * TWO_POW_32 + lo;
  }

  float64(): number {
    this.need(8);
    const b = this.buf;
    const value = new DataView(b.buffer, b.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return value;
  }

  string(): string {
    const len = this.uvarint();
    this.need(len);
    const start = this.pos;
    this.pos += len;
    try {
      return utf8.decode(this.buf.subarray(start, start + len));
    } catch (err) {
      throw new StateCodecError('CODEC_CORRUPT', `corrupt customer state: invalid UTF-8 at byte ${start}`, { cause: err });
    }
  }

  /** Length-prefixed raw bytes: a view into the input, not a copy. */
  bytes(): Buffer {
    const len = this.uvarint();
    this.need(len);
    const start = this.pos;
    this.pos += len;
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + start, len);
  }

  /** A length prefix, bounded by what is left (each element takes at least `minBytes`). */
  length(minBytes: number, what: string): number {
    const n = this.uvarint();
    if (n * minBytes > this.remaining) throw corrupt(`${what} length ${n} exceeds the remaining ${this.remaining} bytes`);
    return n;
  }
}
