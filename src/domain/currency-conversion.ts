/**
 * Conversion of an amount in another currency to the base currency, exactly:
 * rates are decimal strings, arithmetic is BigInt, rounding is half to even (the
 * banker's rounding accountants expect), applied once per amount.
 */
import { currencyExponent } from '../contracts/currency.js';

export type RateTable = Readonly<Record<string, string>>;

export type Conversion = { ok: true; minor: number } | { ok: false; message: string };

export function convertToBase(minor: number, currency: string, base: string, rates: RateTable): Conversion {
  if (currency === base) return { ok: true, minor };
  const rate = rates[currency];
  if (rate === undefined) {
    return { ok: false, message: `no exchange rate from ${currency} to the base currency ${base} (CURRENCY_RATES)` };
  }
  const fromExp = currencyExponent(currency);
  const toExp = currencyExponent(base);
  if (fromExp === undefined || toExp === undefined) return { ok: false, message: `unknown currency ${currency}` };
  const [whole = '0', fraction = ''] = rate.split('.');
  const rateScaled = BigInt(whole + fraction);
  // minor × rate × 10^(toExp − fromExp), with rate = rateScaled / 10^fraction.length
  let numerator = BigInt(minor) * rateScaled;
  let denominator = 10n ** BigInt(fraction.length);
  const shift = toExp - fromExp;
  if (shift >= 0) numerator *= 10n ** BigInt(shift);
  else denominator *= 10n ** BigInt(-shift);
  const converted = Number(divideHalfEven(numerator, denominator));
  if (!Number.isSafeInteger(converted)) return { ok: false, message: `converted amount is out of range` };
  return { ok: true, minor: converted };
}

function divideHalfEven(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n % d;
  const twice = 2n * r;
  if (twice > d || (twice === d && q % 2n === 1n)) return q + 1n;
  return q;
}
