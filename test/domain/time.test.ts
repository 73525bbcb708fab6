import { describe, expect, it } from 'vitest';
import { DAY_MS, dayToDate, dayToIso, localDayOf } from '../../src/domain/time.js';

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
  });
});
