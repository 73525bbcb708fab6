/**
 * The two measurements every system goes through:
 *
 * - throughput: the backlog is in the topics before the system starts; the
 *   rate is the events handled from the first observation to the last one
 *   divided by that time (the group join is not counted, nor the events of the
 *   first observation, whose work began before it), and the CPU over the same
 *   window divided by the events.
 * - delay: live traffic at a fixed rate for a while, continuing the workload
 *   where the backlog ended; every emission caused by a live event gives one
 *   delay sample (EmissionObserver).
 */
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { MAX_WAIT_MS, now, sleep } from './clock.js';
import { cpuDelta, type CpuDelta, type CpuMeter, type CpuSample } from './measure/cpu.js';
import type { DelaySplit, DelayStats, EmissionObserver } from './measure/delay.js';
import type { RunningSystem } from './systems/system.js';
import type { Topics, TopicSet } from './topics.js';
import { toTopicMessages, type WorkloadReader, type WorkloadRecord } from '../workload.js';

export const POLL_MS = 20;
/** Live traffic goes out every 20 ms, like a producer lingering for a batch. */
const LIVE_TICK_MS = 20;

/** An idempotent producer with the default (murmur2) partitioner: keys land where clvstream expects them (src/app/generate-kafka.ts). */
export async function connectProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

/** Records per produce request of the backlog: large, so producing it takes little of the run. */
export const BACKLOG_CHUNK = 20_000;

/** Produces the backlog and checks that the broker still holds all of it (a retention that removed some would skew every figure). */
export async function produceBacklog(producer: Producer, admin: Topics, topics: TopicSet, records: readonly WorkloadRecord[]): Promise<number> {
  const started = now();
  for (let i = 0; i < records.length; i += BACKLOG_CHUNK) {
    await producer.sendBatch({ acks: -1, topicMessages: toTopicMessages(records.slice(i, i + BACKLOG_CHUNK), topics.inbound) });
  }
  const seconds = (now() - started) / 1000;
  const offsets = await admin.offsets(Object.values(topics.inbound));
  const held = offsets.reduce((n, o) => n + o.high - o.low, 0);
  if (held !== records.length || offsets.some((o) => o.low > 0)) {
    throw new Error(`the broker holds ${held} of the ${records.length} backlog records (log start offsets above 0: retention dropped the oldest); use more --partitions or fewer --events`);
  }
  return seconds;
}

export interface CpuPerMillion {
  readonly system: number | null;
  readonly redis: number | null;
  readonly broker: number | null;
  readonly bench: number | null;
}

function perMillion(cpu: CpuDelta, events: number): CpuPerMillion {
  const f = (s: number | null): number | null => (s === null || events <= 0 ? null : (s / events) * 1e6);
  return { system: f(cpu.system), redis: f(cpu.redis), broker: f(cpu.broker), bench: f(cpu.bench) };
}

export interface ThroughputResult {
  /** Events of the backlog, all topics. */
  readonly backlog: number;
  /** Of which on the topics the system reads (its `handled` counts these). */
  readonly backlogRead: number;
  readonly handled: number;
  /** False when the phase hit its time cap before the backlog was done. */
  readonly complete: boolean;
  /**
   * The sustained rate: events handled from the first observation to the last
   * one, over that time. An event is handled when its state is stored and its
   * emissions are published — the naive processor counts an event after its
   * awaited sends, so clvstream's last event counts when its outboxes are empty
   * again, not at its last commit.
   */
  readonly eventsPerSecond: number | null;
  /** The same rate over the events it reads (equal to eventsPerSecond when it reads every topic). */
  readonly readEventsPerSecond: number | null;
  readonly windowSeconds: number | null;
  /** clvstream: the rate up to the last commit (states and offsets stored; emissions may still wait in the outboxes). */
  readonly committedEventsPerSecond: number | null;
  /** clvstream: from the last commit until every outbox was empty and every due check the watermark passed had fired. */
  readonly relayDrainSeconds: number | null;
  /** From the processes' start to the first events handled (process start, group join, first fetch). */
  readonly startupSeconds: number | null;
  /** CPU over the window (for clvstream up to the empty outboxes), per million backlog events (all topics) handled. */
  readonly cpu: CpuDelta | null;
  readonly cpuSecondsPerMillion: CpuPerMillion | null;
  /** The same per million events read (equal when it reads every topic). */
  readonly cpuSecondsPerMillionRead: CpuPerMillion | null;
  /** The group changed after processing began: the window starts after the change. */
  readonly rebalanced: boolean;
  /** Events counted in the rate's window. */
  readonly windowEvents: number;
}

/**
 * The backlog a system is measured on: `events` in all, `read` of them on the
 * topics it consumes (fewer than `events` for the peer, which does not read
 * interactions). Its progress counts the events it reads; its rate and CPU per
 * event are given per event of the whole backlog — the time and CPU it takes to
 * get through the same workload — and per event read.
 */
export interface Backlog {
  readonly events: number;
  readonly read: number;
}

/**
 * When a phase that may not finish the backlog (bare, naive) ends: after `minMs`
 * from its first handled events once it has handled `minEvents` more, and at
 * `maxMs` in any case — so a slow system is measured over enough events to
 * mean something, and a fast one not longer than it needs.
 */
export interface ThroughputCap {
  readonly minMs: number;
  readonly minEvents: number;
  readonly maxMs: number;
}

export async function throughputPhase(system: RunningSystem, workload: Backlog, cap: ThroughputCap | null, cpu: CpuMeter, startedAt: number): Promise<ThroughputResult> {
  const backlog = workload.read;
  // Events of the whole backlog per event read (1 for every system that reads every topic).
  const scale = backlog > 0 ? workload.events / backlog : 1;
  const deadline = now() + MAX_WAIT_MS;
  let previous: CpuSample = await cpu.sample(system.pids());
  let start: CpuSample | null = null;
  let end: CpuSample | null = null;
  let complete = false;
  let progress = await system.progress();
  // The window: from the first observation — or, when the group changed after that
  // (a member joined late and partitions moved), from the first poll after the change.
  let window: { at: number; handled: number } | null = null;
  let generation = progress.generation;
  let rebalanced = false;
  for (let i = 0; now() < deadline && i < 10_000_000; i++) {
    progress = await system.progress();
    const sample = await cpu.sample(system.pids());
    if (window === null && progress.first !== null) {
      window = progress.first;
      start = previous; // the last sample before any event was seen handled
    } else if (window !== null && progress.generation !== generation) {
      window = { at: sample.at, handled: progress.handled };
      start = sample;
      rebalanced = true;
    }
    generation = progress.generation;
    if (progress.handled >= backlog) {
      complete = true;
      end = sample;
      break;
    }
    const elapsed = progress.first === null ? 0 : now() - progress.first.at;
    if (cap !== null && progress.first !== null && (elapsed >= cap.maxMs || (elapsed >= cap.minMs && progress.handled - progress.first.handled >= cap.minEvents))) {
      end = sample;
      break;
    }
    previous = sample;
    await sleep(POLL_MS);
  }
  if (window === null || progress.lastAt === null || start === null) throw new Error(`${system.name}: handled no event within ${MAX_WAIT_MS / 1000} s`);
  if (end === null) throw new Error(`${system.name}: backlog not done within ${MAX_WAIT_MS / 1000} s (${progress.handled} of ${backlog})`);
  const first = window;
  const counted = progress.handled - first.handled;
  const rateUntil = (t: number): number | null => (t > first.at && counted > 0 ? (counted / (t - first.at)) * 1000 : null);
  let lastAt = progress.lastAt;
  let committed: number | null = null;
  let relayDrainSeconds: number | null = null;

  // clvstream: the last events are done when the outboxes are empty and the due checks the backlog's
  // watermark passed have fired (their emissions published too; bounded wait).
  if (system.kind === 'clvstream') {
    committed = rateUntil(progress.lastAt);
    const drainDeadline = now() + MAX_WAIT_MS;
    for (let i = 0; i < 10_000_000; i++) {
      const p = await system.progress();
      if (p.pending === 0) {
        end = await cpu.sample(system.pids());
        lastAt = Math.max(progress.lastAt, end.at);
        relayDrainSeconds = (lastAt - progress.lastAt) / 1000;
        break;
      }
      if (now() >= drainDeadline) throw new Error(`${system.name}: outboxes not empty, or due checks not fired, within ${MAX_WAIT_MS / 1000} s`);
      await sleep(POLL_MS);
    }
  }
  const delta = cpuDelta(start, end);
  const times = (x: number | null): number | null => (x === null ? null : x * scale);
  // The window's CPU over the events handled in it (all of them unless the group changed midway).
  const cpuEvents = rebalanced ? counted : progress.handled;
  return {
    backlog: workload.events,
    backlogRead: backlog,
    handled: progress.handled,
    complete,
    eventsPerSecond: times(rateUntil(lastAt)),
    readEventsPerSecond: rateUntil(lastAt),
    windowSeconds: (lastAt - first.at) / 1000,
    committedEventsPerSecond: times(committed),
    relayDrainSeconds,
    cpu: delta,
    cpuSecondsPerMillion: perMillion(delta, cpuEvents * scale),
    cpuSecondsPerMillionRead: perMillion(delta, cpuEvents),
    rebalanced,
    windowEvents: counted,
    startupSeconds: ((progress.first ?? first).at - startedAt) / 1000,
  };
}

export interface DelayResult {
  readonly rate: number;
  readonly seconds: number;
  readonly sent: number;
  /** Of which on the topics the system reads (what it has to handle). */
  readonly sentRead: number;
  /** Live events handled when the phase ended. */
  readonly handled: number;
  /** Seconds after the last send until every live event was handled and every emission published (null: not within the wait). */
  readonly caughtUpSeconds: number | null;
  /** Caught up within a second of the last send: the system sustained the rate. */
  readonly keptUp: boolean;
  /** Every live event was handled and published before the bench stopped waiting: the delay figures are complete, not lower bounds. */
  readonly complete: boolean;
  /** The workload reached the present before the duration was over (see workload.ts). */
  readonly workloadExhausted: boolean;
  readonly delay: DelayStats;
  /** The same delays split at the emission's publish time (the system's part, then the broker's and the bench consumer's). */
  readonly split: DelaySplit;
  /** Output records seen (including timer-caused ones). */
  readonly outputRecords: number;
  readonly cpu: CpuDelta;
  readonly cpuSecondsPerMillion: CpuPerMillion;
}

export interface DelayPhaseOptions {
  readonly rate: number;
  readonly durationMs: number;
  /** How long after the last send the phase waits for the system to catch up. */
  readonly drainMs: number;
}

/** Live traffic for the delay and recovery phases: the workload where the backlog ended, paced at a rate, onto a system's topics. */
export class LiveSender {
  sent = 0;
  /** Of `sent`, events on the topics the system reads. */
  sentRead = 0;
  /** Events sent by type. */
  readonly byType: Record<string, number> = {};
  private lastSend = 0;
  private readonly reads: ReadonlySet<string>;

  constructor(
    system: RunningSystem,
    private readonly topics: TopicSet,
    private readonly producer: Producer,
    private readonly reader: WorkloadReader,
    private readonly observer: EmissionObserver,
  ) {
    this.reads = new Set(system.reads);
  }

  get exhausted(): boolean {
    return this.reader.exhausted;
  }

  /**
   * Sends at `rate` from `t0` until `until()` says stop, `total` events are
   * sent or the workload ends; at each tick what the rate allows by now (a late
   * tick sends more). `onTick` runs after each send (progress polling).
   */
  async pace(rate: number, total: number, until: (elapsedMs: number) => boolean, onTick: (i: number) => Promise<void>): Promise<void> {
    const t0 = now();
    const base = this.sent;
    for (let i = 0; i < 10_000_000 && this.sent - base < total; i++) {
      const elapsed = now() - t0;
      if (until(elapsed) || this.reader.exhausted) break;
      const due = Math.min(Math.floor((elapsed / 1000) * rate) + 1, total) - (this.sent - base);
      if (due <= 0 || (i > 0 && now() - this.lastSend < LIVE_TICK_MS)) {
        await sleep(Math.max(1, LIVE_TICK_MS - (now() - this.lastSend)));
        continue;
      }
      this.lastSend = now();
      const batch = this.reader.take(Math.min(due, 5_000));
      if (batch.length === 0) break;
      this.observer.noteSent(batch.map((r) => r.eventId), now());
      await this.producer.sendBatch({ acks: -1, topicMessages: toTopicMessages(batch, this.topics.inbound) });
      this.sent += batch.length;
      for (const r of batch) {
        if (this.reads.has(r.type)) this.sentRead++;
        this.byType[r.type] = (this.byType[r.type] ?? 0) + 1;
      }
      await onTick(i);
    }
  }
}

export async function delayPhase(system: RunningSystem, sender: LiveSender, observer: EmissionObserver, cpu: CpuMeter, o: DelayPhaseOptions): Promise<DelayResult> {
  observer.beginPhase();
  const sentBefore = sender.sent;
  const readBefore = sender.sentRead;
  const liveBefore = (await system.progress()).live;
  const before = await cpu.sample(system.pids());
  const t0 = now();
  const total = Math.max(1, Math.round((o.durationMs / 1000) * o.rate));
  // A producer that cannot keep up stops one second after the duration.
  await sender.pace(o.rate, total, (elapsed) => elapsed >= o.durationMs + 1_000, async (i) => {
    if (i % 25 === 0) await system.progress(); // notices a dead process early
  });
  const sent = sender.sent - sentBefore;
  const sentRead = sender.sentRead - readBefore;
  const sendEnd = now();
  const seconds = (sendEnd - t0) / 1000;

  // Wait (bounded) until the live events are handled and published, then for their emissions to arrive.
  let caughtUpAt: number | null = null;
  let progress = await system.progress();
  const drainDeadline = sendEnd + o.drainMs;
  for (let i = 0; i < 10_000_000; i++) {
    progress = await system.progress();
    if (progress.live - liveBefore >= sentRead && progress.pending === 0) {
      // Workers time their last event exactly; clvstream's outboxes are seen empty by this poll.
      caughtUpAt = system.kind === 'clvstream' ? now() : (progress.lastAt ?? now());
      break;
    }
    if (now() >= drainDeadline) break;
    await sleep(POLL_MS);
  }
  const quietDeadline = now() + 5_000;
  for (let i = 0; i < 10_000_000 && caughtUpAt !== null && now() < quietDeadline; i++) {
    if (now() - Math.max(observer.lastArrival, caughtUpAt) > 500) break;
    await sleep(50);
  }
  const after = await cpu.sample(system.pids());
  const delta = cpuDelta(before, after);
  const caughtUpSeconds = caughtUpAt === null ? null : Math.max(0, (caughtUpAt - sendEnd) / 1000);
  const handled = progress.live - liveBefore;
  return {
    rate: o.rate,
    seconds,
    sent,
    sentRead,
    handled,
    caughtUpSeconds,
    keptUp: caughtUpSeconds !== null && caughtUpSeconds <= 1,
    complete: caughtUpAt !== null,
    workloadExhausted: sender.exhausted,
    delay: observer.stats(),
    split: observer.split(),
    outputRecords: observer.records,
    cpu: delta,
    // Per live event sent (all topics), like the backlog's per backlog event.
    cpuSecondsPerMillion: perMillion(delta, sentRead === 0 ? 0 : (handled * sent) / sentRead),
  };
}
