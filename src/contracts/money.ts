/**
 * Exact conversion of a producer's decimal amount to integer minor units.
 * No floating point arithmetic touches money: the decimal text is split and joined.
 */
import { currencyExponent } from './currency.js';
import { MAX_AMOUNT_MAJOR, type DecimalAmount } from './primitives.js';

export type MinorUnits = number;

export type AmountCheck =
  | { ok: true; minor: MinorUnits }
  | { ok: false; rule: string; message: string };

/** Decimal text of a number in its shortest round-trip form, or undefined for 1e21-style output. */
function decimalText(amount: DecimalAmount): string | undefined {
  const text = typeof amount === 'number' ? String(amount) : amount;
  return /^\d+(\.\d+)?$/.test(text) ? text : undefined;
}

/**
 * Parses `amount` in `currency` into minor units. `allowZero` is for discounts and
 * margins that may legitimately be zero; order and refund amounts must be positive.
 */
export function toMinorUnits(amount: DecimalAmount, currency: string, allowZero = false): AmountCheck {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) {
    return { ok: false, rule: 'currency', message: `unknown ISO 4217 currency "${currency}"` };
  }
  const text = decimalText(amount);
  if (text === undefined) {
    return { ok: false, rule: 'format', message: 'must be a non-negative plain decimal' };
  }
  const [whole = '0', fraction = ''] = text.split('.');
  const significantFraction = fraction.replace(/0+$/, '');
  if (significantFraction.length > exponent) {
    return {
      ok: false,
      rule: 'precision',
      message: `has ${significantFraction.length} decimals but ${currency} allows at most ${exponent}`,
    };
  }
  if (Number(whole) > MAX_AMOUNT_MAJOR || (Number(whole) === MAX_AMOUNT_MAJOR && significantFraction !== '')) {
    return { ok: false, rule: 'max', message: `must be at most ${MAX_AMOUNT_MAJOR} ${currency}` };
  }
  const minor = Number(whole + significantFraction.padEnd(exponent, '0'));
  if (minor === 0 && !allowZero) {
    return { ok: false, rule: 'positive', message: 'must be greater than zero' };
  }
  return { ok: true, minor };
}

/** Formats minor units back to a decimal string in the currency's precision. */
export function formatMinorUnits(minor: MinorUnits, currency: string): string {
  const exponent = currencyExponent(currency) ?? 2;
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
