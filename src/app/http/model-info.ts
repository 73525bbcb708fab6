/**
 * What `GET /model` answers: the model in use, when and on what it was fitted,
 * its parameters and fit diagnostics, and the BG/NBD's expected repeat purchases
 * of a new customer over a year (the console's model chart). Parameters are in
 * the units the domain uses (days; money in minor units of the base currency).
 */
import type { ModelSnapshot } from '../../domain/model-snapshot.js';
import { expectedPurchases } from '../../domain/models/index.js';
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
  return {
    version: snapshot.version,
    fitted_at: same?.fittedAt ?? null,
    as_of: same?.asOf ?? null,
    time_unit: 'days' as const,
    money_unit: `${d?.currency ?? currency} minor units`,
    bgnbd: bgnbd === null ? null : { r: bgnbd.r, alpha: bgnbd.alpha, a: bgnbd.a, b: bgnbd.b },
    gamma_gamma: snapshot.gammaGamma === null ? null : { p: snapshot.gammaGamma.p, q: snapshot.gammaGamma.q, v: snapshot.gammaGamma.v },
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
    expected_repeat_purchases: bgnbd === null ? [] : CURVE_DAYS.map((day) => ({ day, expected: round(expectedPurchases(bgnbd, day)) })),
  };
}

export type ModelInfo = ReturnType<typeof modelInfo>;
