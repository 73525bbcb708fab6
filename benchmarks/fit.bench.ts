/**
 * Fit benchmark: draw 1,000,000 customers from a BG/NBD process (seeded), fit
 * the model back, print the time and the recovered parameters. Then the same
 * for the Gamma-Gamma on the repeat buyers' simulated spend.
 *
 *   npm run bench:fit -- [customers]
 *
 * Two BG/NBD runs: times in whole days as the domain keeps them (identical
 * rows aggregate), and continuous times (every row distinct: the worst case
 * for the likelihood evaluation). Then the Pareto/NBD on the whole-day rows (a
 * different model, so its parameters have no "true" values here: the figure is
 * its cost). A benchmark, not a test: it prints, never fails.
 */
import {
  aggregateBgNbd,
  fitBgNbd,
  fitGammaGamma,
  fitParetoNbd,
  seededRandom,
  simulateBgNbdCustomer,
  simulateMeanSpend,
  type BgNbdObservation,
  type BgNbdParams,
  type FitResult,
  type GammaGammaParams,
  type SpendObservation,
} from '../src/domain/models/index.js';

const customers = Number(process.argv[2] ?? 1_000_000);
/** CDNOW-like purchasing, in days; customers acquired uniformly over one year. */
const truth: BgNbdParams = { r: 0.243, alpha: 30.9, a: 0.793, b: 2.426 };
const spendTruth: GammaGammaParams = { p: 6.25, q: 3.74, v: 15.44 };
const ACQUISITION_DAYS = 365;

function seconds(since: bigint): string {
  return `${(Number(process.hrtime.bigint() - since) / 1e9).toFixed(2)} s`;
}

function describe<P extends object>(label: string, fit: FitResult<P>, expected: P, elapsed: string): void {
  if (fit.status !== 'fitted') {
    console.log(`${label}: ${fit.status}`);
    return;
  }
  console.log(
    `${label}: ${elapsed}, ${fit.distinctRows} distinct rows, ${fit.iterations} iterations, ` +
      `${fit.evaluations} evaluations, converged=${fit.converged}, log-likelihood ${fit.logLikelihood.toFixed(2)}`,
  );
  for (const [key, value] of Object.entries(fit.params) as [string, number][]) {
    const target = (expected as Record<string, number>)[key]!;
    console.log(`  ${key.padEnd(6)} fitted ${value.toFixed(4).padStart(10)}   true ${target.toFixed(4).padStart(10)}   (${(((value - target) / target) * 100).toFixed(2)} %)`);
  }
}

let start = process.hrtime.bigint();
const random = seededRandom(20240601);
const continuous: BgNbdObservation[] = new Array<BgNbdObservation>(customers);
const spends: SpendObservation[] = [];
for (let i = 0; i < customers; i++) {
  const c = simulateBgNbdCustomer(truth, Math.floor(random() * ACQUISITION_DAYS), random);
  continuous[i] = c;
  if (c.x > 0) spends.push({ x: c.x, zbar: simulateMeanSpend(spendTruth, c.x, random) });
}
console.log(`simulated ${customers} customers (${spends.length} repeat buyers) in ${seconds(start)}`);

start = process.hrtime.bigint();
const days = aggregateBgNbd(continuous.map((c) => ({ x: c.x, t_x: Math.round(c.t_x), T: c.T })));
const aggregation = seconds(start);
start = process.hrtime.bigint();
const dayFit = fitBgNbd(days);
console.log(`aggregation of whole-day rows: ${aggregation}`);
describe('BG/NBD, whole days', dayFit, truth, seconds(start));

start = process.hrtime.bigint();
const paretoFit = fitParetoNbd(days);
const paretoTime = seconds(start);
if (paretoFit.status === 'fitted') {
  const { r, alpha, s, beta } = paretoFit.params;
  console.log(
    `Pareto/NBD, whole days: ${paretoTime}, ${paretoFit.iterations} iterations, ${paretoFit.evaluations} evaluations, ` +
      `converged=${paretoFit.converged}, log-likelihood ${paretoFit.logLikelihood.toFixed(2)} (BG/NBD ${dayFit.status === 'fitted' ? dayFit.logLikelihood.toFixed(2) : '-'}); ` +
      `r ${r.toFixed(4)}, alpha ${alpha.toFixed(2)}, s ${s.toFixed(4)}, beta ${beta.toFixed(2)}`,
  );
} else console.log(`Pareto/NBD, whole days: ${paretoFit.status}`);

start = process.hrtime.bigint();
const continuousFit = fitBgNbd(continuous);
describe('BG/NBD, continuous times (aggregation included)', continuousFit, truth, seconds(start));

start = process.hrtime.bigint();
const spendFit = fitGammaGamma(spends);
describe('Gamma-Gamma', spendFit, spendTruth, seconds(start));
