/**
 * Time in the domain is counted in whole **days**: BTYD's x, t_x and T, recency,
 * windows and timers. A purchase's day is the calendar date written in its
 * `occurred_at` (the local date at the producer's offset), because "same-day
 * purchases merge" means the customer's day, not UTC's.
 */
export const DAY_MS = 86_400_000;

/** Day index (days since 1970-01-01) of the calendar date written in an ISO-8601 timestamp. */
export function localDayOf(iso: string): number {
  const y = Number(iso.slice(0, 4));
  const m = Number(iso.slice(5, 7));
  const d = Number(iso.slice(8, 10));
  return Math.floor(Date.UTC(y, m - 1, d) / DAY_MS);
}

/**
 * Recent days' ISO strings: every due check and its emissions are dated with
 * one, and a batch's or sweep's checks fall on a few days, so formatting a Date
 * each time (about a twentieth of a due check's CPU) is mostly repeated work.
 */
const isoOfDay = new Map<number, string>();
const ISO_OF_DAY_MAX = 4_096;

/** Midnight UTC of a day index, as an ISO string (timer emissions are dated so). */
export function dayToIso(day: number): string {
  let iso = isoOfDay.get(day);
  if (iso === undefined) {
    iso = new Date(day * DAY_MS).toISOString();
    if (isoOfDay.size >= ISO_OF_DAY_MAX) isoOfDay.clear();
    isoOfDay.set(day, iso);
  }
  return iso;
}

export function dayToDate(day: number): string {
  return dayToIso(day).slice(0, 10);
}
