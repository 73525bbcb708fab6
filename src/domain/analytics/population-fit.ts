/**
 * Fits both population models on customer summaries: BG/NBD on every customer,
 * Gamma-Gamma on the repeat buyers' mean repeat-purchase values. Unit-agnostic
 * like the models: times in one unit (α comes out in it), money in one unit
 * (v comes out in it). The domain's stored models use days and minor units.
 *
 * Summaries are kept in a compact column buffer (32 bytes per customer): that
 * is all the memory a customer costs before aggregation.
 */
import {
  DEFAULT_MIN_REPEAT_BUYERS,
  aggregateBgNbd,
  fitBgNbd,
  fitMbgNbd,
  fitGammaGamma,
  fitParetoNbd,
  type ParetoNbdParams,
  type BgNbdObservation,
  type BgNbdParams,
  type FitResult,
  type GammaGammaParams,
  type PurchaseModel,
  type PurchaseModelKind,
  type SpendObservation,
} from '../models/index.js';
import type { CutPoints } from '../parameters.js';
import { snapshotParts, type ModelSnapshot } from '../model-snapshot.js';

/** Customer summaries in columns; `zbar` NaN means "no monetary value known". */
export class SummaryBuffer {
  private x = new Float64Array(1024);
  private tx = new Float64Array(1024);
  private T = new Float64Array(1024);
  private zbar = new Float64Array(1024);
  private n = 0;

  get length(): number {
    return this.n;
  }

  /** Appends one customer; zbar null when the input has no monetary value. Inputs are not validated here. */
  push(x: number, tx: number, T: number, zbar: number | null): void {
    if (this.n === this.x.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.x = grow(this.x);
      this.tx = grow(this.tx);
      this.T = grow(this.T);
      this.zbar = grow(this.zbar);
    }
    this.x[this.n] = x;
    this.tx[this.n] = tx;
    this.T[this.n] = T;
    this.zbar[this.n] = zbar ?? Number.NaN;
    this.n++;
  }

  *bgnbd(): Generator<BgNbdObservation> {
    for (let i = 0; i < this.n; i++) yield { x: this.x[i]!, t_x: this.tx[i]!, T: this.T[i]! };
  }

  /** Repeat buyers with a known monetary value (the Gamma-Gamma drops zbar = 0 rows itself). */
  *spend(): Generator<SpendObservation> {
    for (let i = 0; i < this.n; i++) {
      const z = this.zbar[i]!;
      if (this.x[i]! > 0 && !Number.isNaN(z)) yield { x: this.x[i]!, zbar: z };
    }
  }

  /** True when at least one row carries a monetary value. */
  hasMonetary(): boolean {
    for (let i = 0; i < this.n; i++) if (!Number.isNaN(this.zbar[i]!)) return true;
    return false;
  }

  row(i: number): { x: number; tx: number; T: number; zbar: number | null } {
    const z = this.zbar[i]!;
    return { x: this.x[i]!, tx: this.tx[i]!, T: this.T[i]!, zbar: Number.isNaN(z) ? null : z };
  }
}

export interface PopulationFitOptions {
  /** Both models decline below this many repeat buyers. Default DEFAULT_MIN_REPEAT_BUYERS (50). */
  readonly minRepeatBuyers?: number;
  /** λ of the L2 penalty on the log-parameters (see models/maximum-likelihood.ts). Default 0. */
  readonly l2Penalty?: number;
  /** The purchase model to publish (all three are fitted and reported). Default 'bgnbd'. */
  readonly purchaseModel?: PurchaseModelKind;
}

/** How one model's fit went, in the words the commands print. */
export type ModelOutcome<P> =
  | {
      readonly status: 'fitted';
      readonly params: P;
      readonly logLikelihood: number;
      readonly converged: boolean;
      readonly iterations: number;
      readonly evaluations: number;
      readonly gradientNorm: number;
      readonly customers: number;
      readonly distinctRows: number;
      /** Covariance of the log-parameters (models/uncertainty.ts); null when the information matrix is not positive definite. */
      readonly logCovariance: number[][] | null;
      /** Standard errors of the parameters in the fit's order (r, α, a, b / r, α, s, β / p, q, v). */
      readonly standardErrors: number[] | null;
    }
  | { readonly status: 'insufficient-data' | 'failed' | 'no-monetary-value'; readonly reason: string };

export interface PopulationFit {
  readonly customers: number;
  readonly repeatBuyers: number;
  readonly minRepeatBuyers: number;
  readonly l2Penalty: number;
  readonly bgnbd: ModelOutcome<BgNbdParams>;
  /** The modified BG/NBD on the same summaries (same parameter names). */
  readonly mbgnbd: ModelOutcome<BgNbdParams>;
  /** The Pareto/NBD on the same summaries. */
  readonly pnbd: ModelOutcome<ParetoNbdParams>;
  /** Which of the three is the model to use (`purchaseModel` of the options). */
  readonly purchaseModel: PurchaseModelKind;
  readonly gammaGamma: ModelOutcome<GammaGammaParams>;
  /** Fitted, but not usable as is (e.g. q ≤ 1: the population mean spend is infinite). */
  readonly warnings: readonly string[];
}

function outcome<P>(result: FitResult<P>, what: string): ModelOutcome<P> {
  switch (result.status) {
    case 'fitted':
      return {
        status: 'fitted',
        params: result.params,
        logLikelihood: result.logLikelihood,
        converged: result.converged,
        iterations: result.iterations,
        evaluations: result.evaluations,
        gradientNorm: result.gradientNorm,
        customers: result.customers,
        distinctRows: result.distinctRows,
        logCovariance: result.logCovariance,
        standardErrors: result.standardErrors,
      };
    case 'insufficient-data':
      return {
        status: 'insufficient-data',
        reason: `${what}: ${result.repeatBuyers} repeat buyers, at least ${result.required} needed (and at least one)`,
      };
    case 'failed':
      return { status: 'failed', reason: `${what}: ${result.reason}` };
  }
}

export function fitPopulation(data: SummaryBuffer, options: PopulationFitOptions = {}): PopulationFit {
  const minRepeatBuyers = options.minRepeatBuyers ?? DEFAULT_MIN_REPEAT_BUYERS;
  const l2Penalty = options.l2Penalty ?? 0;
  const fitOptions = { minRepeatBuyers, l2Penalty };
  const aggregated = aggregateBgNbd(data.bgnbd());
  const bgResult = fitBgNbd(aggregated, fitOptions);
  const mbgResult = fitMbgNbd(aggregated, fitOptions);
  const pnbdResult = fitParetoNbd(aggregated, fitOptions);
  const customers = bgResult.status === 'failed' ? data.length : bgResult.customers;
  const repeatBuyers = bgResult.status === 'failed' ? countRepeat(data) : bgResult.repeatBuyers;
  const warnings: string[] = [];
  let gammaGamma: ModelOutcome<GammaGammaParams>;
  if (!data.hasMonetary()) {
    gammaGamma = { status: 'no-monetary-value', reason: 'Gamma-Gamma: the input has no monetary value' };
  } else {
    gammaGamma = outcome(fitGammaGamma(data.spend(), fitOptions), 'Gamma-Gamma');
    if (gammaGamma.status === 'fitted' && !(gammaGamma.params.q > 1)) {
      warnings.push(`Gamma-Gamma: q = ${gammaGamma.params.q} ≤ 1, so the expected spend of a customer without repeat purchases is infinite`);
    }
  }
  const bgnbd = outcome(bgResult, 'BG/NBD');
  const mbgnbd = outcome(mbgResult, 'modified BG/NBD');
  if (bgnbd.status === 'fitted' && !bgnbd.converged) warnings.push('BG/NBD: the optimiser stopped before the gradient tolerance');
  if (mbgnbd.status === 'fitted' && !mbgnbd.converged) warnings.push('modified BG/NBD: the optimiser stopped before the gradient tolerance');
  const pnbd = outcome(pnbdResult, 'Pareto/NBD');
  if (pnbd.status === 'fitted' && !pnbd.converged) warnings.push('Pareto/NBD: the optimiser stopped before the gradient tolerance');
  if (gammaGamma.status === 'fitted' && !gammaGamma.converged) warnings.push('Gamma-Gamma: the optimiser stopped before the gradient tolerance');
  const purchaseModel = options.purchaseModel ?? 'bgnbd';
  return { customers, repeatBuyers, minRepeatBuyers, l2Penalty, bgnbd, mbgnbd, pnbd, purchaseModel, gammaGamma, warnings };
}

/**
 * The snapshot a fit publishes: the chosen purchase model with the covariance
 * of its log-parameters, the Gamma-Gamma only when q > 1 (else its population
 * mean spend is infinite and the CLV keeps the observed spend); null when the
 * chosen purchase model could not be fitted.
 */
export function publishableSnapshot(fit: PopulationFit, version: string, cutPoints: CutPoints | null): ModelSnapshot | null {
  const model = fittedPurchaseModel(fit, fit.purchaseModel);
  const outcome = chosenPurchaseModel(fit);
  if (model === null || outcome.status !== 'fitted') return null;
  const gg = fit.gammaGamma;
  const gammaGamma = gg.status === 'fitted' && gg.params.q > 1 ? gg.params : null;
  return {
    version,
    ...snapshotParts(model),
    gammaGamma,
    cutPoints,
    uncertainty: { purchase: outcome.logCovariance, gammaGamma: gammaGamma !== null && gg.status === 'fitted' ? gg.logCovariance : null },
  };
}

/** The outcome of one purchase model. */
export function purchaseOutcome(fit: PopulationFit, kind: PurchaseModelKind): ModelOutcome<BgNbdParams> | ModelOutcome<ParetoNbdParams> {
  return kind === 'pnbd' ? fit.pnbd : kind === 'mbgnbd' ? fit.mbgnbd : fit.bgnbd;
}

/** One fitted purchase model, or null when it could not be fitted. */
export function fittedPurchaseModel(fit: PopulationFit, kind: PurchaseModelKind): PurchaseModel | null {
  if (kind === 'pnbd') return fit.pnbd.status === 'fitted' ? { kind, params: fit.pnbd.params } : null;
  const o = kind === 'mbgnbd' ? fit.mbgnbd : fit.bgnbd;
  return o.status === 'fitted' ? { kind, params: o.params } : null;
}

/** The outcome of the chosen purchase model. */
export function chosenPurchaseModel(fit: PopulationFit): ModelOutcome<BgNbdParams> | ModelOutcome<ParetoNbdParams> {
  return purchaseOutcome(fit, fit.purchaseModel);
}

function countRepeat(data: SummaryBuffer): number {
  let n = 0;
  for (const o of data.bgnbd()) if (o.x > 0) n++;
  return n;
}
