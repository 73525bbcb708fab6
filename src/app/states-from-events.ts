/**
 * The customer states an event file produces as of a day, through the same
 * pipeline as `replay` and `report` (MemoryProcessor): what the list and table
 * reports beside the population report (lost customers, cohorts) read.
 */
import type { Readable } from 'node:stream';
import type { ModelSnapshot } from '../domain/model-snapshot.js';
import type { DomainParameters } from '../domain/parameters.js';
import type { CustomerState } from '../domain/state.js';
import type { IngestRules } from '../ingest/decode.js';
import { MemoryProcessor } from '../pipeline/memory-processor.js';
import { readEventFile, type EventFileSummary } from './event-file.js';

export interface StatesFromEventsOptions {
  readonly input: Readable;
  readonly rules: IngestRules;
  readonly parameters: DomainParameters;
  readonly model: ModelSnapshot;
  readonly nowMs: number;
  /** Events on later days are skipped; null → the latest event day. */
  readonly asOfDay: number | null;
  readonly onProgress?: (count: number) => void;
}

export interface StatesRun {
  /** The day the states are as of (`asOfDay`, or the latest event day). */
  readonly day: number;
  readonly states: Iterable<CustomerState>;
  readonly events: EventFileSummary;
  readonly skippedAfterAsOf: number;
}

export async function statesFromEvents(options: StatesFromEventsOptions): Promise<StatesRun> {
  const processor = new MemoryProcessor({ model: options.model, parameters: options.parameters });
  const asOf = options.asOfDay ?? Number.POSITIVE_INFINITY;
  let skippedAfterAsOf = 0;
  let latest: number | null = null;
  const events = await readEventFile(
    options.input,
    options.rules,
    options.nowMs,
    (input) => {
      if (input.day > asOf) {
        skippedAfterAsOf++;
        return;
      }
      latest = latest === null ? input.day : Math.max(latest, input.day);
      processor.apply(input);
    },
    options.onProgress,
  );
  const day = options.asOfDay ?? latest ?? 0;
  processor.settleThroughDay(asOf);
  processor.advanceTo(day);
  return { day, states: processor.states.values(), events, skippedAfterAsOf };
}
