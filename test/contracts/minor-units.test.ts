import { describe, expect, it } from 'vitest';
import { currencyExponent, isKnownCurrency } from '../../src/contracts/currency.js';
import { formatMinorUnits, toMinorUnits } from '../../src/contracts/minor-units.js';

describe('toMinorUnits', () => {
  it.each([
    ['12.50', 'USD', 1250],
    ['12.5', 'USD', 1250],
    [12.5, 'USD', 1250],
    ['0.01', 'USD', 1],
    ['1500', 'JPY', 1500],
    ['1.234', 'BHD', 1234],
    ['7.00', 'JPY', 7],
    [29.33, 'USD', 2933],
  ] as const)('%s %s is %i minor units', (amount, currency, minor) => {
    expect(toMinorUnits(amount, currency)).toEqual({ ok: true, minor });
  });

  it.each([
    ['12.345', 'USD', 'precision', 'has 3 decimals but USD allows at most 2'],
    ['10.5', 'JPY', 'precision', 'has 1 decimals but JPY allows at most 0'],
    ['0', 'USD', 'positive', 'must be greater than zero'],
    ['1000000001', 'USD', 'max', 'must be at most 1000000000 USD'],
    [1e21, 'USD', 'format', 'must be a non-negative plain decimal'],
    [-5, 'USD', 'format', 'must be a non-negative plain decimal'],
    ['5.00', 'ABC', 'currency', 'unknown ISO 4217 currency "ABC"'],
  ] as const)('rejects %s %s by rule %s', (amount, currency, rule, message) => {
    expect(toMinorUnits(amount, currency)).toEqual({ ok: false, rule, message });
  });

  it('accepts zero where the caller allows it (discounts, free orders)', () => {
    expect(toMinorUnits('0.00', 'USD', true)).toEqual({ ok: true, minor: 0 });
  });
});

describe('currencies', () => {
  it('knows ISO 4217 exponents and leaves out metals, funds and test codes', () => {
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
    expect(isKnownCurrency('XAU')).toBe(false);
    expect(isKnownCurrency('XXX')).toBe(false);
    expect(isKnownCurrency('usd')).toBe(false);
  });

  it('formats minor units back in the currency precision', () => {
    expect(formatMinorUnits(1250, 'USD')).toBe('12.50');
    expect(formatMinorUnits(-5, 'USD')).toBe('-0.05');
    expect(formatMinorUnits(1500, 'JPY')).toBe('1500');
    expect(formatMinorUnits(1234, 'BHD')).toBe('1.234');
  });
});

describe('toMinorUnits agrees with the plain string-splitting rule', () => {
  /** The rule written the obvious way (regex, split, pad): the fast scanner must match it on every input. */
  function reference(text: string, exponent: number, allowZero: boolean): string {
    if (!/^\d+(\.\d+)?$/.test(text)) return 'format';
    const [whole = '0', fraction = ''] = text.split('.');
    const significant = fraction.replace(/0+$/, '');
    if (significant.length > exponent) return 'precision';
    if (Number(whole) > 1_000_000_000 || (Number(whole) === 1_000_000_000 && significant !== '')) return 'max';
    const minor = Number(whole + significant.padEnd(exponent, '0'));
    if (minor === 0 && !allowZero) return 'positive';
    return String(minor);
  }

  it('on 20,000 seeded strings of digits, dots, zeros and stray characters', () => {
    let seed = 7;
    const random = (n: number): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const alphabet = ['0', '0', '0', '1', '5', '9', '.', '.', '-', 'e', ' ', '1000000000'];
    const currencies = ['JPY', 'USD', 'BHD', 'CLF'];
    for (let i = 0; i < 20_000; i++) {
      let text = '';
      for (let n = random(9); n >= 0; n--) text += alphabet[random(alphabet.length)];
      const currency = currencies[random(currencies.length)] as string;
      const allowZero = random(2) === 0;
      const got = toMinorUnits(text, currency, allowZero);
      expect(got.ok ? String(got.minor) : got.rule, `${JSON.stringify(text)} ${currency}`).toBe(reference(text, currencyExponent(currency) as number, allowZero));
    }
  });
});
