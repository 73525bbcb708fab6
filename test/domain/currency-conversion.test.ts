import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { convertToBase } from '../../src/domain/currency-conversion.js';

describe('convertToBase', () => {
  it('returns the amount unchanged in the base currency (no rate needed)', () => {
    expect(convertToBase(1234, 'USD', 'USD', {})).toEqual({ ok: true, minor: 1234 });
  });

  it.each([
    // ¥1000 × 0.0067 = $6.70 → 670 cents (exponent 0 → 2)
    [1000, 'JPY', 'USD', '0.0067', 670],
    // $12.34 × 149.5 = ¥1844.83 → ¥1845 (exponent 2 → 0)
    [1234, 'USD', 'JPY', '149.5', 1845],
    // 1.234 BHD × 2.65 = $3.2701 → 327 cents (exponent 3 → 2)
    [1234, 'BHD', 'USD', '2.65', 327],
    // $10.00 × 0.376 = 3.760 BHD → 3760 fils (exponent 2 → 3)
    [1000, 'USD', 'BHD', '0.376', 3760],
    // ¥1000 × 0.0025 = 2.500 BHD → 2500 fils (exponent 0 → 3)
    [1000, 'JPY', 'BHD', '0.0025', 2500],
    // 1.001 BHD × 401.5 = ¥401.9015 → ¥402 (exponent 3 → 0)
    [1001, 'BHD', 'JPY', '401.5', 402],
    // a rate without a decimal point: €12.34 × 2 = $24.68
    [1234, 'EUR', 'USD', '2', 2468],
  ])('%i minor %s → %s at %s = %i', (minor, from, base, rate, expected) => {
    expect(convertToBase(minor, from, base, { [from]: rate })).toEqual({ ok: true, minor: expected });
  });

  it.each([
    // exact halves go to the even neighbour
    [1, '1.5', 2], // 1.5 → 2
    [3, '1.5', 4], // 4.5 → 4
    [5, '1.5', 8], // 7.5 → 8
    [7, '1.5', 10], // 10.5 → 10
    [1, '0.5', 0], // 0.5 → 0
    [3, '0.5', 2], // 1.5 → 2
    [3, '0.51', 2], // 1.53 → 2 (not a tie)
    [5, '0.5', 2], // 2.5 → 2
  ])('rounds half to even: €0.0%i × %s → %i cents', (minor, rate, expected) => {
    expect(convertToBase(minor, 'EUR', 'USD', { EUR: rate })).toEqual({ ok: true, minor: expected });
  });

  it('rounds half to even across exponents too: ¥50, ¥150, ¥250 at 0.0001 USD', () => {
    // ¥50 × 0.0001 = $0.005 = 0.5 cent → 0; 1.5 → 2; 2.5 → 2
    expect([50, 150, 250].map((y) => convertToBase(y, 'JPY', 'USD', { JPY: '0.0001' }))).toEqual([
      { ok: true, minor: 0 },
      { ok: true, minor: 2 },
      { ok: true, minor: 2 },
    ]);
  });

  it('a missing rate is an error naming both currencies', () => {
    const r = convertToBase(100, 'EUR', 'USD', { GBP: '1.27' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/EUR.*USD/);
  });

  it('a rate for a code that is not a currency is an error', () => {
    expect(convertToBase(100, 'ABC', 'USD', { ABC: '1' })).toEqual({ ok: false, message: 'unknown currency ABC' });
  });

  it('a result beyond safe integers is an error, not a silent float', () => {
    const r = convertToBase(Number.MAX_SAFE_INTEGER, 'EUR', 'USD', { EUR: '2' });
    expect(r.ok).toBe(false);
  });

  it('is within half a minor unit of the exact product, ties to even (property)', () => {
    const currencies = ['USD', 'JPY', 'BHD', 'EUR', 'KWD', 'CLP'] as const;
    const exponent: Record<string, number> = { USD: 2, JPY: 0, BHD: 3, EUR: 2, KWD: 3, CLP: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000_000 }),
        fc.constantFrom(...currencies),
        fc.constantFrom(...currencies),
        fc.integer({ min: 0, max: 9_999_999 }),
        fc.integer({ min: 0, max: 6 }),
        (minor, from, base, digits, decimals) => {
          fc.pre(from !== base);
          const text = String(digits).padStart(decimals + 1, '0');
          const rate = decimals === 0 ? text : `${text.slice(0, -decimals)}.${text.slice(-decimals)}`;
          const r = convertToBase(minor, from, base, { [from]: rate });
          if (!r.ok) return; // out of range
          // exact value = minor × digits × 10^(eb − ef) / 10^decimals = num / den
          const shift = (exponent[base] ?? 0) - (exponent[from] ?? 0);
          let num = BigInt(minor) * BigInt(digits);
          let den = 10n ** BigInt(decimals);
          if (shift >= 0) num *= 10n ** BigInt(shift);
          else den *= 10n ** BigInt(-shift);
          const diff = BigInt(r.minor) * den - num; // (result − exact) × den
          const twice = 2n * (diff < 0n ? -diff : diff);
          expect(twice <= den).toBe(true);
          if (twice === den) expect(r.minor % 2).toBe(0);
          expect(Number.isSafeInteger(r.minor)).toBe(true);
        },
      ),
    );
  });
});
