/**
 * `--preload N`: the workload's first N events are back-filled into a
 * clvstream system's Redis key space before its processes start, so the
 * backlog and the live traffic that follow meet a store that already holds
 * that many events' customers (up to a million and more), which producing
 * and consuming a backlog that long would take most of a run to reach.
 *
 * The back-fill is `clvstream replay --state`'s (src/app/redis-backfill.ts):
 * the partition step the service runs, so the stored states, timers and
 * watermarks are the ones consuming those events from Kafka would leave. It
 * runs in chunks, to bound the memory of the events held at once and of the
 * outboxes; after each chunk the emissions the back-fill left for the relay
 * are acknowledged unpublished, since they belong to the set-up and no one
 * measures them. Nothing of this is timed as part of the system's run.
 */
import { Readable, Writable } from 'node:stream';
import { backfill } from '../../src/app/redis-backfill.js';
import { LineOutput } from '../../src/app/line-output.js';
import { loadSettings } from '../../src/config/load.js';
import { domainParametersFrom, ingestRulesFrom } from '../../src/config/runtime-parameters.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import { connectState } from '../../src/state/connect.js';
import type { PartitionStore } from '../../src/state/store.js';
import { now } from './clock.js';
import type { WorkloadReader } from '../workload.js';

/** Events back-filled per chunk: bounds the decoded events held at once (about 100 MB) and the outbox between drops (about 200 MB). */
export const PRELOAD_CHUNK_EVENTS = 100_000;

/** Outbox records read and acknowledged at a time when a chunk's emissions are dropped. */
const OUTBOX_PAGE = 1_000;

/**
 * The next `events` records of `reader` as chunks of JSON lines, taken once
 * and kept outside the JS heap: a second generator for every run would hold
 * its population again (370 MB of live heap for a million customers), which
 * every full garbage collection during the back-fill would mark again.
 */
export function preloadChunks(reader: WorkloadReader, events: number, chunkEvents = PRELOAD_CHUNK_EVENTS): Buffer[] {
  const chunks: Buffer[] = [];
  for (let taken = 0; taken < events; ) {
    const records = reader.take(Math.min(chunkEvents, events - taken));
    if (records.length === 0) throw new Error(`the workload reaches the present after ${taken} events to preload: use more --customers`);
    const lines: Buffer[] = [];
    for (const r of records) lines.push(r.value, NEWLINE);
    chunks.push(Buffer.concat(lines));
    taken += records.length;
  }
  return chunks;
}

const NEWLINE = Buffer.from('\n');

export interface PreloadOptions {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly partitions: number;
  /** The TOPIC_* settings of the system's processes: the back-fill tells internal records from emissions by them. */
  readonly topicEnv: Readonly<Record<string, string>>;
  /** From `preloadChunks`. */
  readonly chunks: readonly Buffer[];
  readonly onChunk?: (done: number) => void;
}

export interface PreloadResult {
  readonly events: number;
  readonly seconds: number;
  readonly timersFired: number;
  /** Emissions and dead letters of the preloaded events, acknowledged without being published. */
  readonly outboxDropped: number;
}

export async function preloadState(o: PreloadOptions): Promise<PreloadResult> {
  const settings = loadSettings({ env: { REDIS_URL: o.redisUrl, REDIS_KEY_PREFIX: o.keyPrefix, ...o.topicEnv } });
  const state = connectState(settings);
  const started = now();
  let events = 0;
  let timersFired = 0;
  let outboxDropped = 0;
  try {
    for (const [chunk, lines] of o.chunks.entries()) {
      const rejected: string[] = [];
      const summary = await backfill({
        input: Readable.from([lines]),
        sourceName: `bench-preload-${chunk}`,
        store: state.store,
        partitionCount: o.partitions,
        topics: settings,
        ctx: { model: UNFITTED_MODEL, parameters: domainParametersFrom(settings) },
        rules: ingestRulesFrom(settings),
        deadLetters: LineOutput.toStream(collectLines(rejected)),
        nowMs: Date.now(),
        version: 'bench-preload',
      });
      const rejectedCount = Object.values(summary.rejected).reduce((n, x) => n + x, 0);
      if (rejectedCount > 0 || summary.already_stored > 0) {
        throw new Error(`preload chunk ${chunk}: ${rejectedCount} of ${summary.lines} events rejected, ${summary.already_stored} already stored (${rejected.slice(0, 3).join('; ')})`);
      }
      timersFired += summary.timers_fired;
      for (let p = 0; p < o.partitions; p++) outboxDropped += await dropOutbox(state.store, p);
      events += summary.lines;
      o.onChunk?.(events);
    }
  } finally {
    await state.close();
  }
  return { events, seconds: (now() - started) / 1000, timersFired, outboxDropped };
}

/** Acknowledges everything in partition p's outbox without publishing it; returns the records dropped. */
async function dropOutbox(store: PartitionStore, p: number): Promise<number> {
  let dropped = 0;
  for (;;) {
    const { entries, refs, more } = await store.readOutbox(p, OUTBOX_PAGE);
    if (refs.length === 0) return dropped;
    await store.ackOutbox(p, refs);
    dropped += entries.length;
    if (!more) return dropped;
  }
}

/** A sink for the back-fill's dead-letter lines (the generator's events are all valid: any line is an error). */
function collectLines(into: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      into.push(chunk.toString('utf8').slice(0, 300));
      done();
    },
  });
}
