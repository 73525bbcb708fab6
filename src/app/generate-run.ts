/**
 * Drives a synthetic event sequence into a sink, bounded in count and time:
 * at most `maxEvents` events; paced at `rate` events per second of wall time when
 * pacing is on (and then stopped at the duration even if the sink was slow), as
 * fast as the sink takes them when it is off. Clock and sleep are injectable.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { InboundType } from '../contracts/inbound.js';
import type { GeneratedEvent } from './generate.js';
import type { LineOutput } from './line-output.js';

export interface EventSink {
  /** Sends (or writes) the events in order; resolves when they are accepted. */
  send(events: readonly GeneratedEvent[]): Promise<void>;
  close(): Promise<void>;
}

export interface Pacing {
  /** Events per second of wall time. */
  readonly rate: number;
  /** The run stops after this long (plus a short grace for the last batch). */
  readonly durationMs: number;
  /**
   * Hold back events whose time is still in the future: once the simulation has
   * caught up with the wall clock, the traffic follows it (a consumer would reject
   * events from the future).
   */
  readonly notAfterNow: boolean;
}

export interface GenerateRunOptions {
  readonly events: Iterator<GeneratedEvent>;
  readonly sink: EventSink;
  readonly maxEvents: number;
  /** null: no pacing, the count bound alone ends the run. */
  readonly pacing: Pacing | null;
  /** Stop before the first event later than this (epoch ms), or null. */
  readonly endMs: number | null;
  readonly signal?: AbortSignal;
  readonly clock?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Largest batch handed to the sink at once. */
  readonly batchSize?: number;
}

export type StopReason = 'count' | 'end' | 'deadline' | 'signal' | 'exhausted';

export interface GenerateSummary {
  events: number;
  by_type: Partial<Record<InboundType, number>>;
  first_event_at: string | null;
  last_event_at: string | null;
  stopped_by: StopReason;
}

/** Extra wall time after the duration for the last paced batch to go out. */
export const PACING_GRACE_MS = 1_000;
/** Shortest sleep between paced batches: bounds the number of (small) sends per second. */
const MIN_TICK_MS = 50;

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (error) {
    if ((error as Error).name !== 'AbortError') throw error;
  }
}

export async function runGenerator(options: GenerateRunOptions): Promise<GenerateSummary> {
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const batchSize = options.batchSize ?? 500;
  const summary: GenerateSummary = { events: 0, by_type: {}, first_event_at: null, last_event_at: null, stopped_by: 'count' };
  const { pacing, endMs, signal } = options;
  let lookahead = nextOf(options.events);
  const startedAt = clock();
  const deadline = pacing === null ? Infinity : startedAt + pacing.durationMs + PACING_GRACE_MS;

  const stopReason = (now: number): StopReason | null => {
    if (signal?.aborted) return 'signal';
    if (summary.events >= options.maxEvents) return 'count';
    if (lookahead === undefined) return 'exhausted';
    if (endMs !== null && lookahead.atMs > endMs) return 'end';
    if (now >= deadline) return 'deadline';
    return null;
  };

  for (;;) {
    const now = clock();
    const stop = stopReason(now);
    if (stop !== null) {
      summary.stopped_by = stop;
      break;
    }
    // How many events the pace allows by now (all of them without pacing).
    const allowed =
      pacing === null
        ? options.maxEvents - summary.events
        : Math.min(options.maxEvents, Math.floor(((now - startedAt) / 1000) * pacing.rate)) - summary.events;
    const batch: GeneratedEvent[] = [];
    while (
      lookahead !== undefined &&
      batch.length < Math.min(allowed, batchSize) &&
      (endMs === null || lookahead.atMs <= endMs) &&
      !(pacing?.notAfterNow === true && lookahead.atMs > now)
    ) {
      batch.push(lookahead);
      lookahead = nextOf(options.events);
    }
    if (batch.length > 0) {
      await options.sink.send(batch);
      count(summary, batch);
      continue;
    }
    if (pacing === null) continue; // unreachable in practice: no pacing always has a batch or a stop reason
    // Nothing may go out yet: wait for the next slot of the pace, or for the
    // held-back event's time to come.
    const nextSlot = startedAt + ((summary.events + 1) / pacing.rate) * 1000;
    const until = allowed > 0 && lookahead !== undefined ? lookahead.atMs : nextSlot;
    await sleep(Math.max(MIN_TICK_MS, Math.min(until - now, deadline - now)), signal);
  }
  return summary;
}

function nextOf(events: Iterator<GeneratedEvent>): GeneratedEvent | undefined {
  const step = events.next();
  return step.done === true ? undefined : step.value;
}

function count(summary: GenerateSummary, batch: readonly GeneratedEvent[]): void {
  for (const e of batch) summary.by_type[e.type] = (summary.by_type[e.type] ?? 0) + 1;
  summary.events += batch.length;
  summary.first_event_at ??= (batch[0] as GeneratedEvent).event.occurred_at;
  summary.last_event_at = (batch[batch.length - 1] as GeneratedEvent).event.occurred_at;
}

/** A sink writing each event's payload as one JSON line. */
export function jsonLinesSink(output: LineOutput): EventSink {
  return {
    async send(events) {
      for (const e of events) output.write(e.event);
      await output.flush();
    },
    close: () => output.close(),
  };
}
