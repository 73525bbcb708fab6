/**
 * What `GET /model` answers: the model in use, when and on what it was fitted,
 * its parameters with their standard errors and fit diagnostics, the purchase
 * model's expected repeat purchases of a new customer over a year (the
 * console's model chart) and the back-test comparison published with the
 * version. Parameters are in the units the domain uses (days; money in minor
 * units of the base currency).
 */
import { purchaseModelOf, type ModelSnapshot } from '../../domain/model-snapshot.js';
import { modelExpectedPurchases, parameterNames, parameterVector, standardErrorsOf } from '../../domain/models/index.js';
import type { PublishedModel } from '../../state/model-store.js';

/** Days of the expected-purchases curve: weekly for a year. */
const CURVE_DAYS = Array.from({ length: 53 }, (_, week) => week * 7);

const round = (v: number, digits = 6): number => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * The model info of `snapshot` (the one in use), with the stored version's fit
 * diagnostics when `published` is that same version.
 */
export function modelInfo(snapshot: ModelSnapshot, published: PublishedModel | null, currency: string) {
  const same = published !== null && published.snapshot.version === snapshot.version ? published : null;
  const d = same?.diagnostics;
  const bgnbd = snapshot.bgnbd;
  const purchase = purchaseModelOf(snapshot);
  const pnbd = purchase?.kind === 'pnbd' ? purchase.params : null;
  const purchaseCovariance = snapshot.uncertainty?.purchase ?? null;
  const ggCovariance = snapshot.uncertainty?.gammaGamma ?? null;
  const named = (names: readonly string[], values: readonly number[], covariance: readonly (readonly number[])[]) => {
    const se = standardErrorsOf(values, covariance);
    return Object.fromEntries(names.map((n, i) => [n, se[i]!]));
  };
  return {
    version: snapshot.version,
    fitted_at: same?.fittedAt ?? null,
    as_of: same?.asOf ?? null,
    time_unit: 'days' as const,
    money_unit: `${d?.currency ?? currency} minor units`,
    purchase_model: purchase?.kind ?? null,
    bgnbd: bgnbd === null || purchase?.kind === 'pnbd' ? null : { r: bgnbd.r, alpha: bgnbd.alpha, a: bgnbd.a, b: bgnbd.b },
    pnbd: pnbd === null ? null : { r: pnbd.r, alpha: pnbd.alpha, s: pnbd.s, beta: pnbd.beta },
    gamma_gamma: snapshot.gammaGamma === null ? null : { p: snapshot.gammaGamma.p, q: snapshot.gammaGamma.q, v: snapshot.gammaGamma.v },
    standard_errors: {
      purchase: purchase === null || purchaseCovariance === null ? null : named(parameterNames(purchase.kind), parameterVector(purchase), purchaseCovariance),
      gamma_gamma:
        snapshot.gammaGamma === null || ggCovariance === null
          ? null
          : named(['p', 'q', 'v'], [snapshot.gammaGamma.p, snapshot.gammaGamma.q, snapshot.gammaGamma.v], ggCovariance),
    },
    cut_points: snapshot.cutPoints === null ? null : { ...snapshot.cutPoints },
    diagnostics:
      d === undefined
        ? null
        : {
            customers: d.customers,
            repeat_buyers: d.repeatBuyers,
            log_likelihood: d.logLikelihood,
            iterations: d.iterations,
            converged: d.converged,
            details: d.details ?? {},
          },
    expected_repeat_purchases: purchase === null ? [] : CURVE_DAYS.map((day) => ({ day, expected: round(modelExpectedPurchases(purchase, day)) })),
    backtest: same?.backtest ?? null,
  };
}

export type ModelInfo = ReturnType<typeof modelInfo>;
