/**
 * `clvstream export`: every customer's view from the Redis state (what
 * `GET /customers/:id` answers), as JSON lines or CSV, for a hand-off to a
 * warehouse. Partition by partition, in ascending order: the partition's
 * watermark first (each customer is evaluated at it, like the API does), then
 * its customers with SCAN on the partition's own key pattern and MGET of each
 * page (state-scan.ts). Every command is bounded and none blocks, so a running
 * processor is not held up; a customer written during the export may show its
 * state from before or after that write.
 */
import type { DomainParameters } from '../domain/parameters.js';
import type { ModelSnapshot } from '../domain/model-snapshot.js';
import { evaluate } from '../domain/profile.js';
import { scanPartitionStates, statePartitions } from '../state/state-scan.js';
import type { PartitionStore } from '../state/store.js';
import { watermarkDay } from './customer-lookup.js';
import { customerView, type CustomerView } from './customer-view.js';

export type ExportFormat = 'jsonl' | 'csv';

export interface ExportOptions {
  readonly store: PartitionStore;
  readonly model: ModelSnapshot;
  readonly parameters: DomainParameters;
  readonly format: ExportFormat;
  /** Where the lines go (JSON lines: one view each; CSV: a header, then one row each). */
  readonly write: (line: string) => void;
  readonly flush: () => Promise<void>;
  /** The partitions to read; default: every partition that has a meta hash (statePartitions). */
  readonly partitions?: readonly number[];
  /** SCAN COUNT hint (default 1000). */
  readonly scanCount?: number;
  readonly onProgress?: (customers: number) => void;
}

export interface ExportSummary {
  /** Views written. */
  readonly exported: number;
  /** Partitions read, ascending. */
  readonly partitions: readonly number[];
  /** Keys that disappeared between SCAN and MGET (customers deleted meanwhile). */
  readonly vanished: number;
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

export async function exportViews(options: ExportOptions): Promise<ExportSummary> {
  const partitions = options.partitions ?? (await statePartitions(options.store, { count: options.scanCount }));
  let columns: string[] | null = null;
  let exported = 0;
  let vanished = 0;
  for (const p of partitions) {
    const watermark = await watermarkDay(options.store, p);
    const summary = await scanPartitionStates(
      options.store,
      p,
      async (states) => {
        for (const s of states) {
          const day = Math.max(s.asOfDay, watermark ?? s.asOfDay);
          const view = customerView(s, evaluate(s, day, options.model, options.parameters), options.model, options.parameters);
          if (options.format === 'jsonl') {
            options.write(JSON.stringify(view));
          } else {
            if (columns === null) options.write((columns = csvHeader(view)).join(','));
            options.write(csvRow(view, columns));
          }
          exported++;
          if (exported % 10_000 === 0) options.onProgress?.(exported);
        }
        // Back-pressure: the next page is read once this one is written.
        await options.flush();
      },
      { count: options.scanCount },
    );
    vanished += summary.vanished;
  }
  return { exported, partitions, vanished };
}
