/**
 * Micro-benchmark of the per-event model calls: ns per P(alive), per conditional
 * expectation (1-year and 10-year horizons), per unconditional expectation and
 * per predicted CLV (12 monthly periods, and 120 for 10 years).
 *
 *   npm run bench:models
 *
 * Customers are drawn from the model itself (CDNOW parameters converted to days,
 * first purchases spread over two years) so the mix of x, t_x, T — and hence of
 * series lengths — is realistic. A benchmark, not a test: it prints, never fails.
 */
import {
  discountSchedule,
  conditionalExpectedPurchases,
  conditionalExpectedPurchasesAt,
  expectedPurchases,
  predictedClv,
  probabilityAlive,
  seededRandom,
  simulateBgNbdCustomer,
  simulateMeanSpend,
  type BgNbdParams,
  type GammaGammaParams,
} from '../src/domain/models/index.js';

const DAYS_PER_WEEK = 7;
const bgnbd: BgNbdParams = { r: 0.243, alpha: 4.414 * DAYS_PER_WEEK, a: 0.793, b: 2.426 };
const gammaGamma: GammaGammaParams = { p: 6.25, q: 3.74, v: 15.44 };

const random = seededRandom(2024);
const customers = Array.from({ length: 20_000 }, () => {
  const T = Math.floor(random() * 730);
  const c = simulateBgNbdCustomer(bgnbd, T, random);
  return { x: c.x, tx: c.t_x, T: c.T, zbar: simulateMeanSpend(gammaGamma, c.x, random) };
});

let sink = 0;

function measure(label: string, call: (i: number) => number, minMillis = 400): void {
  for (let i = 0; i < 20_000; i++) sink += call(i % customers.length); // warm-up (JIT)
  let calls = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < BigInt(minMillis) * 1_000_000n) {
    for (let i = 0; i < customers.length; i++) sink += call(i);
    calls += customers.length;
    elapsed = process.hrtime.bigint() - start;
  }
  const ns = Number(elapsed) / calls;
  console.log(`${label.padEnd(52)} ${ns.toFixed(0).padStart(7)} ns/call  (${(1e9 / ns / 1e6).toFixed(2)} M calls/s)`);
}

const at = (i: number) => customers[i]!;
const monthly1y = discountSchedule({ horizonDays: 365, periodDays: 30, annualDiscountRate: 0.1 });
const monthly10y = discountSchedule({ horizonDays: 3650, periodDays: 30, annualDiscountRate: 0.1 });
const yearly10y = discountSchedule({ horizonDays: 3650, periodDays: 365, annualDiscountRate: 0.1 });

console.log(`BG/NBD ${JSON.stringify(bgnbd)} (days), ${customers.length} simulated customers`);
measure('P(alive)', (i) => probabilityAlive(bgnbd, at(i).x, at(i).tx, at(i).T));
measure('conditional expectation, t = 30 days', (i) => conditionalExpectedPurchases(bgnbd, at(i).x, at(i).tx, at(i).T, 30));
measure('conditional expectation, t = 365 days', (i) => conditionalExpectedPurchases(bgnbd, at(i).x, at(i).tx, at(i).T, 365));
measure('conditional expectation, t = 3650 days', (i) => conditionalExpectedPurchases(bgnbd, at(i).x, at(i).tx, at(i).T, 3650));
measure('unconditional expectation E[X(t)], t = 365 days', (i) => expectedPurchases(bgnbd, 365 + (i & 1)));
const twelve = Float64Array.from({ length: 12 }, (_, k) => 30 * (k + 1));
const curve = new Float64Array(12);
measure('12 conditional expectations at once (30..360 days)', (i) => {
  conditionalExpectedPurchasesAt(bgnbd, at(i).x, at(i).tx, at(i).T, twelve, curve);
  return curve[11]!;
});
measure('predicted CLV, 12 periods of 30 days (1 year)', (i) => predictedClv(bgnbd, gammaGamma, at(i), 0.3, monthly1y));
measure('predicted CLV, 122 periods of 30 days (10 years)', (i) => predictedClv(bgnbd, gammaGamma, at(i), 0.3, monthly10y));
measure('predicted CLV, 10 periods of 365 days (10 years)', (i) => predictedClv(bgnbd, gammaGamma, at(i), 0.3, yearly10y));

const heavy = { x: 10_000, tx: 3600, T: 3650 };
measure('conditional expectation, x = 10 000, t = 3650', () => conditionalExpectedPurchases(bgnbd, heavy.x, heavy.tx, heavy.T, 3650));
const fresh = { x: 0, tx: 0, T: 0 };
measure('conditional expectation, new customer, t = 3650', () => conditionalExpectedPurchases(bgnbd, fresh.x, fresh.tx, fresh.T, 3650));

if (Number.isNaN(sink)) console.log('unexpected NaN');
