/**
 * Distinct purchase days, in constant space: a bitmap of the `window` days ending at
 * the latest purchase day. BTYD's x counts repeat purchase *days*, so a late
 * purchase must be recognised as "a day already counted" or "a new day"; the
 * bitmap answers exactly for purchases up to `window` days late. Older ones land
 * on the first day (known), before it (new), or are counted as new and flagged.
 */
import type { CustomerState } from './state.js';

export type DayPlacement = 'same-day' | 'new-day' | 'new-day-unverified';

const WORD = 32;

function getBit(bits: readonly number[], i: number): boolean {
  const word = bits[i >>> 5] ?? 0;
  return ((word >>> (i & 31)) & 1) === 1;
}

function setBit(bits: number[], i: number): void {
  const w = i >>> 5;
  bits[w] = ((bits[w] ?? 0) | (1 << (i & 31))) >>> 0;
}

/** Ages every bit by `k` days (toward higher indexes) in place, dropping what leaves the window. */
function age(bits: number[], k: number, words: number): void {
  while (bits.length < words) bits.push(0);
  const wordShift = Math.floor(k / WORD);
  const bitShift = k % WORD;
  for (let w = words - 1; w >= 0; w--) {
    const src = w - wordShift;
    let v = src >= 0 ? ((bits[src] ?? 0) << bitShift) >>> 0 : 0;
    if (bitShift > 0 && src > 0) v = (v | ((bits[src - 1] ?? 0) >>> (WORD - bitShift))) >>> 0;
    bits[w] = v;
  }
}

/**
 * Records a purchase on `day` in the state's day set and first/last days, and says
 * whether it opened a new purchase day. Mutates `s` (the reducer's working copy).
 */
export function placePurchaseDay(s: CustomerState, day: number, amountMinor: number, windowDays: number): DayPlacement {
  const words = Math.ceil(windowDays / WORD);
  const window = words * WORD;
  if (s.lastDay === null || s.firstDay === null) {
    s.firstDay = day;
    s.lastDay = day;
    s.firstDayAmountMinor = amountMinor;
    s.dayBits = new Array<number>(words).fill(0);
    setBit(s.dayBits, 0);
    s.purchaseDays = 1;
    return 'new-day';
  }
  if (day === s.firstDay) {
    s.firstDayAmountMinor += amountMinor;
    return 'same-day';
  }
  if (day < s.firstDay) {
    // An earlier first purchase: the old first day becomes a repeat day.
    s.firstDay = day;
    s.firstDayAmountMinor = amountMinor;
    if (s.lastDay - day < window) setBit(s.dayBits, s.lastDay - day);
    s.purchaseDays += 1;
    return 'new-day';
  }
  if (day > s.lastDay) {
    age(s.dayBits, day - s.lastDay, words);
    s.lastDay = day;
    setBit(s.dayBits, 0);
    s.purchaseDays += 1;
    return 'new-day';
  }
  const age_ = s.lastDay - day;
  if (age_ < window) {
    if (getBit(s.dayBits, age_)) return 'same-day';
    setBit(s.dayBits, age_);
    s.purchaseDays += 1;
    return 'new-day';
  }
  s.purchaseDays += 1;
  return 'new-day-unverified';
}
