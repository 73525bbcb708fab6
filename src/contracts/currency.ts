/**
 * ISO 4217 minor-unit exponents (USD 2, JPY 0, BHD 3, CLF 4), from the maintained
 * `currency-codes` package rather than a hand-copied table.
 */
import currencyCodes from 'currency-codes';

const exponents = new Map<string, number>();
for (const code of currencyCodes.codes()) {
  const entry = currencyCodes.code(code);
  // ISO lists funds, precious metals and test codes (XAU, XDR, XTS, XXX) under
  // pseudo-countries named "Zz..": they are not money a customer pays with.
  const pseudo = entry?.countries.every((country) => country.startsWith('Zz')) ?? true;
  if (!pseudo && entry && Number.isInteger(entry.digits)) exponents.set(code, entry.digits);
}

/** Minor-unit exponent of an ISO 4217 currency, or undefined when it is not a currency. */
export function currencyExponent(code: string): number | undefined {
  return exponents.get(code);
}

export function isKnownCurrency(code: string): boolean {
  return exponents.has(code);
}
