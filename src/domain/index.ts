/**
 * The pure domain as a library (`import … from 'clvstream/domain'`): the
 * reducer that turns one customer's events into state, the evaluation of a
 * state at a day (RFM, segments, churn, CLV), population reports and the
 * BTYD models. No I/O; times are day numbers (time.ts), money minor units.
 */
export { type DomainParameters, type CutPoints, type ChurnRules, defaultDomainParameters } from './parameters.js';
export type { DomainInput, InputKind } from './input.js';
export { type CustomerState, type SegmentValues, emptyState, cloneState, STATE_VERSION } from './state.js';
export { type ReduceContext, type Reduction, reduce, onTimer } from './reducer.js';
export { type Profile, evaluate, predictedClvMinor } from './profile.js';
export { type CustomerForecast, type ForecastBasis, FORECAST_HORIZONS_DAYS, ONE_YEAR_DAYS, customerForecast } from './forecast.js';
export { type ModelSnapshot, type BgNbdParams, type GammaGammaParams, UNFITTED_MODEL } from './model-snapshot.js';
export { DAY_MS, localDayOf, dayToDate, dayToIso } from './time.js';
export { type PopulationReport, REPORT_DIMENSIONS, populationReport } from './reports/population-report.js';
export * as models from './models/index.js';
