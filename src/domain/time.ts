/**
 * Time in the domain is counted in whole **days**: BTYD's x, t_x and T, recency,
 * windows and timers. A purchase's day is the calendar date written in its
 * `occurred_at` (the local date at the producer's offset), because "same-day
 * purchases merge" means the customer's day, not UTC's.
 */
export const DAY_MS = 86_400_000;

/** The largest distance from the epoch a Date can hold (ECMAScript: 10⁸ days). */
const MAX_DATE_MS = 8.64e15;

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

/**
 * `new Date(ms).toISOString()`, from the day's cached string and the time of
 * day: an event's emissions are dated with its own time, which rarely repeats.
 */
export function msToIso(ms: number): string {
  // Outside Date's range (or NaN), let Date throw its RangeError.
  if (!(Math.abs(ms) <= MAX_DATE_MS)) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  const dayIso = dayToIso(day);
  let rest = ms - day * DAY_MS;
  if (rest === 0) return dayIso;
  if (!Number.isInteger(rest)) return new Date(ms).toISOString();
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  const minute = rest % 60;
  const hour = (rest - minute) / 60;
  // "HH:MM:SS.mmmZ" is the last 13 characters; the date part may carry a six-digit year.
  return dayIso.slice(0, dayIso.length - 13) + two(hour) + ':' + two(minute) + ':' + two(second) + '.' + (milli < 10 ? '00' : milli < 100 ? '0' : '') + milli + 'Z';
}

function two(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

export function dayToDate(day: number): string {
  return dayToIso(day).slice(0, 10);
}
