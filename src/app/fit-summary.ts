/**
 * `clvstream fit --summary`: both models on a customer summary file, in the
 * file's own time and money units.
 */
import { fitPopulation, SummaryBuffer, type PopulationFitOptions } from '../domain/analytics/population-fit.js';
import { fitJson, type FitJson } from './fit-result.js';
import type { SummaryFile } from './summary-file.js';

export function fitSummaryFile(file: SummaryFile, options: PopulationFitOptions): FitJson {
  const buffer = new SummaryBuffer();
  for (const row of file.rows) buffer.push(row.x, row.tx, row.T, row.zbar);
  return fitJson(fitPopulation(buffer, options), { time_unit: 'as in the input', money_unit: 'as in the input' });
}
