import { describe, expect, it } from 'vitest';
import { DAY_MS, dayToDate, dayToIso, localDayOf, msToIso } from '../../src/domain/time.js';

describe('day indexes', () => {
  it('dayToIso is midnight UTC of the day, also for days seen before and after its memory is cleared', () => {
    const days = [0, -1, 10_957, 20_000, 10_957, 0];
    // More distinct days than the memory keeps, then the first ones again.
    for (let d = 30_000; d < 35_000; d++) days.push(d);
    days.push(0, 10_957, 30_001);
    for (const day of days) expect(dayToIso(day)).toBe(new Date(day * DAY_MS).toISOString());
    expect(dayToIso(10_957)).toBe('2000-01-01T00:00:00.000Z');
    expect(dayToDate(10_957)).toBe('2000-01-01');
  });

  it('localDayOf takes the calendar date as written, whatever the offset', () => {
    expect(localDayOf('2000-01-01T23:30:00-05:00')).toBe(10_957);
    expect(localDayOf('2000-01-02T00:30:00+09:00')).toBe(10_958);
  });

  it('an invalid day still throws', () => {
    expect(() => dayToIso(Number.NaN)).toThrow(RangeError);
    expect(() => msToIso(Number.NaN)).toThrow(RangeError);
    expect(() => msToIso(8.64e15 + 1)).toThrow(RangeError);
  });

  it('msToIso is Date#toISOString: the padding of every field, before 1970, six-digit years, fractions of a millisecond', () => {
    const times = [0, 1, 9, 10, 99, 100, 999, 1_000, 59_999, 60_000, 3_599_999, 3_600_000, DAY_MS - 1, DAY_MS, -1, -DAY_MS - 1];
    times.push(Date.parse('1990-01-02T09:05:03.007Z'), Date.parse('2026-11-23T23:59:59.999Z'), Date.parse('+275760-09-13T00:00:00Z'), -8.64e15, 1.5, -0.5);
    // A fixed pseudo-random spread over 1843–2096 (a linear congruential sequence: the test is the same every run).
    for (let i = 0, x = 12_345; i < 2_000; i++) {
      x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
      times.push(Math.round((x / 2_147_483_648 - 0.5) * 8e12));
    }
    for (const ms of times) expect(msToIso(ms), String(ms)).toBe(new Date(ms).toISOString());
  });
});
