/**
 * Predictive customer-base models, pure TypeScript: BG/NBD (purchase and
 * dropout), Gamma-Gamma (spend), their maximum-likelihood fits and the
 * discounted predicted CLV. Unit-agnostic maths; the clvstream domain uses days
 * for time and minor currency units for money.
 */
export {
  type BgNbdParams,
  isValidBgNbdParams,
  bgnbdLogLikelihood,
  probabilityAlive,
  conditionalExpectedPurchases,
  conditionalExpectedPurchasesAt,
  expectedPurchases,
} from './bgnbd.js';
export {
  type GammaGammaParams,
  isValidGammaGammaParams,
  gammaGammaLogLikelihood,
  conditionalExpectedSpend,
  expectedSpend,
} from './gamma-gamma.js';
export { type BgNbdData, type BgNbdFitOptions, aggregateBgNbd, bgnbdDataLogLikelihood, fitBgNbd } from './bgnbd-fit.js';
export {
  type SpendData,
  type GammaGammaFitOptions,
  aggregateSpend,
  gammaGammaDataLogLikelihood,
  fitGammaGamma,
} from './gamma-gamma-fit.js';
export { type FitOptions, type FitResult, DEFAULT_MIN_REPEAT_BUYERS } from './maximum-likelihood.js';
export type { BgNbdObservation, SpendObservation } from './observations.js';
export {
  type DiscountSchedule,
  type DiscountScheduleOptions,
  type ClvCustomer,
  discountSchedule,
  discountedExpectedPurchases,
  modelDiscountedExpectedPurchases,
  predictedClv,
} from './predicted-clv.js';
export {
  mbgnbdLogLikelihood,
  mbgnbdProbabilityAlive,
  mbgnbdConditionalExpectedPurchases,
  mbgnbdConditionalExpectedPurchasesAt,
  mbgnbdExpectedPurchases,
} from './mbgnbd.js';
export { mbgnbdDataLogLikelihood, fitMbgNbd } from './mbgnbd-fit.js';
export { logGamma, logBeta, digamma } from './special.js';
export { logHyp2f1, hyp2f1 } from './hypergeometric.js';
export {
  type Random,
  type SimulatedCustomer,
  seededRandom,
  gammaDraw,
  betaDraw,
  simulateBgNbdCustomer,
  simulateMeanSpend,
} from './simulate.js';
export {
  type ParetoNbdParams,
  isValidParetoNbdParams,
  pnbdLogLikelihood,
  pnbdProbabilityAlive,
  pnbdExpectedPurchasesIfAlive,
  pnbdConditionalExpectedPurchases,
  pnbdConditionalExpectedPurchasesAt,
  pnbdExpectedPurchases,
} from './pnbd.js';
export { type ParetoNbdFitOptions, pnbdDataLogLikelihood, fitParetoNbd } from './pnbd-fit.js';
export {
  noPurchaseWithinIfAlive,
  medianTimeToNextPurchaseIfAlive,
  medianTimeToNextPurchaseAtRate,
  expectedPurchasesWithRetention,
} from './next-purchase.js';
export {
  type PurchaseModel,
  type PurchaseModelKind,
  PURCHASE_MODEL_KINDS,
  PURCHASE_MODEL_NAMES,
  parameterVector,
  parameterNames,
  withParameters,
  inDays,
  modelProbabilityAlive,
  modelConditionalExpectedPurchases,
  modelConditionalExpectedPurchasesAt,
  modelExpectedPurchases,
} from './purchase-model.js';
export {
  type ParameterUncertainty,
  INTERVAL_LEVEL,
  logParameterCovariance,
  logHessian,
  invertPositiveDefinite,
  standardErrorsOf,
  deltaVariances,
  predictionInterval,
  type Interval,
} from './uncertainty.js';
