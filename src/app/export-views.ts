/**
 * `clvstream export`: every customer's view from the Redis state (what
 * `GET /customers/:id` answers), as JSON lines or CSV, for a hand-off to a
 * warehouse. Each customer is evaluated at its partition's watermark, like the
 * API does. The keys are read with SCAN and the states with one MGET per
 * partition and page (state-scan.ts): incremental, never a blocking command, so
 * a running processor is not held up; a customer written during the export may
 * show its state from before or after that write.
 */
import type { DomainConfig } from '../domain/config.js';
import type { ModelSnapshot } from '../domain/model-snapshot.js';
import { evaluate } from '../domain/profile.js';
import { scanCustomerStates, type ScanSummary } from '../state/state-scan.js';
import type { PartitionStore } from '../state/store.js';
import { watermarkDay } from './customer-lookup.js';
import { customerView, type CustomerView } from './customer-view.js';

export type ExportFormat = 'jsonl' | 'csv';

export interface ExportOptions {
  readonly store: PartitionStore;
  readonly model: ModelSnapshot;
  readonly config: DomainConfig;
  readonly format: ExportFormat;
  /** Where the lines go (JSON lines: one view each; CSV: a header, then one row each). */
  readonly write: (line: string) => void;
  readonly flush: () => Promise<void>;
  readonly onProgress?: (customers: number) => void;
}

/** CSV columns: the view's fields, in the view's order (new fields appear without a change here). */
export function csvHeader(view: CustomerView): string[] {
  return Object.keys(view);
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = Array.isArray(value) ? value.join(';') : typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(view: CustomerView, columns: readonly string[]): string {
  const record = view as unknown as Record<string, unknown>;
  return columns.map((c) => csvCell(record[c])).join(',');
}

export async function exportViews(options: ExportOptions): Promise<ScanSummary & { exported: number }> {
  const watermarks = new Map<number, number | null>();
  let columns: string[] | null = null;
  let exported = 0;
  const summary = await scanCustomerStates(options.store, async (states, p) => {
    for (const s of states) {
      let watermark = watermarks.get(p);
      if (watermark === undefined) watermarks.set(p, (watermark = await watermarkDay(options.store, p)));
      const day = Math.max(s.asOfDay, watermark ?? s.asOfDay);
      const view = customerView(s, evaluate(s, day, options.model, options.config), options.model, options.config);
      if (options.format === 'jsonl') {
        options.write(JSON.stringify(view));
      } else {
        if (columns === null) options.write((columns = csvHeader(view)).join(','));
        options.write(csvRow(view, columns));
      }
      exported++;
      if (exported % 10_000 === 0) options.onProgress?.(exported);
    }
    await options.flush();
  });
  return { ...summary, exported };
}
