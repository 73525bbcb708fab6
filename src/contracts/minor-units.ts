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

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const DOT = 46;
const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/**
 * Parses `amount` in `currency` into minor units. `allowZero` is for discounts and
 * margins that may legitimately be zero; order and refund amounts must be positive.
 *
 * One pass over the characters, no intermediate strings: this runs for every
 * amount of every event the service consumes.
 */
export function toMinorUnits(amount: DecimalAmount, currency: string, allowZero = false): AmountCheck {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) {
    return { ok: false, rule: 'currency', message: `unknown ISO 4217 currency "${currency}"` };
  }
  // A number is read in its shortest round-trip form (1e21-style output is not a plain decimal).
  const text = typeof amount === 'number' ? String(amount) : amount;
  let whole = 0;
  let wholeDigits = 0;
  let fraction = 0; // value of the fraction's significant digits
  let fractionDigits = 0; // digits after the dot
  let significantDigits = 0; // fraction digits up to the last non-zero one
  let dot = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= DIGIT_0 && c <= DIGIT_9) {
      if (dot < 0) {
        whole = whole * 10 + (c - DIGIT_0);
        wholeDigits++;
      } else {
        fractionDigits++;
        if (c !== DIGIT_0) {
          // Significant digits beyond the precision are an error below; keep the value exact until then.
          if (fractionDigits <= exponent) fraction = fraction * POW10[fractionDigits - significantDigits]! + (c - DIGIT_0);
          significantDigits = fractionDigits;
        }
      }
    } else if (c === DOT && dot < 0 && wholeDigits > 0) {
      dot = i;
    } else {
      return { ok: false, rule: 'format', message: 'must be a non-negative plain decimal' };
    }
  }
  if (wholeDigits === 0 || (dot >= 0 && fractionDigits === 0)) {
    return { ok: false, rule: 'format', message: 'must be a non-negative plain decimal' };
  }
  if (significantDigits > exponent) {
    return { ok: false, rule: 'precision', message: `has ${significantDigits} decimals but ${currency} allows at most ${exponent}` };
  }
  if (whole > MAX_AMOUNT_MAJOR || (whole === MAX_AMOUNT_MAJOR && significantDigits > 0)) {
    return { ok: false, rule: 'max', message: `must be at most ${MAX_AMOUNT_MAJOR} ${currency}` };
  }
  const minor = whole * POW10[exponent]! + fraction * POW10[exponent - significantDigits]!;
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
