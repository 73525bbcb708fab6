/** The live phases' rates, chosen before the first live phase from the calibration runs. */
import type { BenchOptions } from './options.js';
import type { BenchReport, SystemResult } from './report.js';

/** Live rates: --rate, else a quarter and a half of the slower of the systems' backlog runs. */
export function liveRatesOf(o: Pick<BenchOptions, 'rate'>, calibrations: readonly Pick<SystemResult, 'name' | 'throughput'>[]): NonNullable<BenchReport['liveRates']> {
  if (o.rate !== null) return [{ eventsPerSecond: o.rate, source: '--rate' }];
  const measured = calibrations.filter((c) => c.throughput.eventsPerSecond !== null);
  if (measured.length === 0) return [{ eventsPerSecond: 1_000, source: 'no backlog run of clvstream or kafka-streams: fixed default' }];
  const slowest = measured.reduce((a, b) => ((b.throughput.eventsPerSecond as number) < (a.throughput.eventsPerSecond as number) ? b : a));
  const max = slowest.throughput.eventsPerSecond as number;
  // Two significant figures (tens below 100, at least 10 events/s): a quarter and a half stay apart on a slow host.
  const round = (x: number): number => {
    const step = 10 ** Math.max(1, Math.floor(Math.log10(Math.max(x, 1))) - 1);
    return Math.max(10, Math.round(x / step) * step);
  };
  return [
    { eventsPerSecond: round(max / 4), source: `a quarter of ${slowest.name}'s backlog throughput (${Math.round(max)} events/s), the slower of ${measured.map((c) => c.name).join(' and ')}` },
    { eventsPerSecond: round(max / 2), source: `half of ${slowest.name}'s backlog throughput` },
  ];
}
