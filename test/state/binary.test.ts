import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../src/state/binary.js';

/** The length-prefixed UTF-8 layout written out by hand: uvarint byte length, then the bytes. */
function expected(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const prefix: number[] = [];
  let n = bytes.length;
  while (n >= 0x80) {
    prefix.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  prefix.push(n);
  return Buffer.concat([Buffer.from(prefix), bytes]);
}

describe('Writer.string', () => {
  // Lengths around the one- and two-byte prefix limits (127/128 and 16383/16384
  // bytes), with one-, two-, three- and four-byte characters and a lone surrogate.
  const samples: string[] = [''];
  for (const unit of ['a', 'é', '€', '😀', '\uD800']) {
    for (const bytes of [1, 42, 43, 126, 127, 128, 129, 600, 5_461, 5_462, 16_383, 16_384, 16_385, 40_000]) {
      const perUnit = Buffer.byteLength(unit, 'utf8');
      samples.push(unit.repeat(Math.max(1, Math.round(bytes / perUnit))));
    }
  }
  samples.push('{"event_id":"sc-1","customer_id":"C-1","note":"mixed é€😀"}'.repeat(20));

  it('writes the uvarint byte length and the UTF-8 bytes, whatever the length and characters', () => {
    for (const s of samples) {
      const w = new Writer();
      w.byte(7); // not at the start of the buffer
      w.string(s);
      w.byte(9);
      const out = w.finish();
      expect(out.subarray(1, out.length - 1).equals(expected(s)), `${s.length} units of ${JSON.stringify(s.slice(0, 2))}`).toBe(true);
      expect(out[0]).toBe(7);
      expect(out[out.length - 1]).toBe(9);
    }
  });

  it('round-trips through Reader.string, many strings in one buffer', () => {
    const w = new Writer();
    for (const s of samples) w.string(s);
    const r = new Reader(w.finish());
    for (const s of samples) expect(r.string()).toBe(Buffer.from(s, 'utf8').toString('utf8'));
  });
});
