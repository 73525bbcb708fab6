/**
 * A yardstick for the host: the pure reducer's workload (reducer-workload.ts)
 * on one core, timed with nothing of the bench's running, at the start and at
 * the end of a run. The host's own load moves every figure of a run — ±30 %
 * from minute to minute on the 2-core machine the results were taken on, and
 * for an hour once by a third — so ratios within a run hold while absolute
 * figures of runs made at different times do not compare. This one says how
 * fast the host was meanwhile; `npm run bench:reducer -- --customers 10000`
 * measures the same thing at length.
 */
import { UNFITTED_MODEL } from '../../../src/domain/model-snapshot.js';
import { reducerPass } from '../../reducer-workload.js';

const CUSTOMERS = 10_000;
const EVENTS = 100_000;
const PASSES = 3;

/** Median purchases per second of three short passes (about a second in all). */
export function hostSpeed(): number {
  const rates = Array.from({ length: PASSES }, () => reducerPass(UNFITTED_MODEL, CUSTOMERS, EVENTS).rate).sort((a, b) => a - b);
  return rates[Math.floor(PASSES / 2)] as number;
}

export const HOST_SPEED_WORKLOAD = `pure reducer, ${EVENTS.toLocaleString('en-US')} purchases over ${CUSTOMERS.toLocaleString('en-US')} warm customers, one core, median of ${PASSES}`;
