/**
 * Pure reducer throughput on one core against warm state: purchases for a
 * population of customers who already have history, with and without a fitted
 * BG/NBD + Gamma-Gamma model. Target (issue 3): ≥ 500,000 purchase events/s.
 *
 *   npm run bench:reducer -- [--customers 100000] [--events 1000000] [--repeat 3]
 *
 * Compiled with tsc first (tsx's transform adds helpers to the hot path). Each
 * variant runs `repeat` times on fresh state; the median is the figure, the
 * range shows the noise of a shared 2-core machine.
 */
import { parseArgs } from 'node:util';
import { UNFITTED_MODEL, type ModelSnapshot } from '../src/domain/model-snapshot.js';
import { reducerPass } from './reducer-workload.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '100000' },
    events: { type: 'string', default: '1000000' },
    repeat: { type: 'string', default: '3' },
  },
});
const customers = Number(values.customers);
const events = Number(values.events);
const repeat = Number(values.repeat);

/** One timed pass on fresh, warm state: events per second. */
const pass = (model: ModelSnapshot) => reducerPass(model, customers, events);

function run(label: string, model: ModelSnapshot): void {
  const passes = Array.from({ length: repeat }, () => pass(model));
  const rates = passes.map((p) => p.rate).sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)] ?? 0;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(
    `${label.padEnd(28)} ${fmt(median).padStart(9)} events/s median of ${repeat} ` +
      `(range ${fmt(rates[0] ?? 0)}–${fmt(rates[rates.length - 1] ?? 0)}; ${events.toLocaleString('en-US')} purchases over ` +
      `${customers.toLocaleString('en-US')} warm customers, ${(passes[0]?.emitted ?? 0).toLocaleString('en-US')} emissions)`,
  );
}

const fitted: ModelSnapshot = {
  version: 'bench',
  // CDNOW's published parameters converted to days (alpha × 7) and cents (v × 100).
  bgnbd: { r: 0.243, alpha: 4.414 * 7, a: 0.793, b: 2.426 },
  gammaGamma: { p: 6.25, q: 3.74, v: 1544 },
  cutPoints: null,
};

console.log(`node ${process.version}, one core, pure reducer`);
run('unfitted (simple CLV)', UNFITTED_MODEL);
run('fitted BG/NBD + Gamma-Gamma', fitted);
