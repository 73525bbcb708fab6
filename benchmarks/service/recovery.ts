/**
 * Recovery after a SIGKILL: live traffic at a fixed rate; after a short warm
 * spell every process of the system is killed (SIGKILL: no shutdown hook, no
 * last commit) and started again on the same topics, group and state (Redis
 * key prefix, or the peer's state directory), as a supervisor would restart
 * it, while the traffic goes on. From the kill the bench measures:
 *
 * - back: the new process handles its first live event (start, group join,
 *   the peer's state restore from its changelog);
 * - caught up: every event sent more than a second earlier is handled (the lag
 *   is back under a second of traffic, the delay phases' "kept up");
 * - delay recovered: the last emission whose end-to-end delay was above the
 *   threshold (1 s, or twice the system's own p99 at this rate when that is
 *   higher) arrived.
 *
 * The traffic stops a second after the system caught up (or at the phase's
 * cap), and the bench waits until everything sent was handled and published.
 */
import { now, sleep } from './clock.js';
import { delayStats, type DelayStats, type EmissionObserver } from './measure/delay.js';
import { POLL_MS, type LiveSender } from './phases.js';
import type { RunningSystem } from './systems/system.js';
import type { TopicOffset } from './topics.js';

export interface RecoveryOptions {
  readonly rate: number;
  /** Traffic before the kill. */
  readonly warmMs: number;
  /** The longest the phase runs after the kill before the traffic stops. */
  readonly capMs: number;
  /** How long after the traffic stopped the bench waits for everything to be handled. */
  readonly drainMs: number;
  /** Delay above which an emission counts as not yet recovered. */
  readonly delayThresholdMs: number;
  /** The live phases' start offsets: the new process counts live events from the same place. */
  readonly liveStart: readonly TopicOffset[];
}

export interface RecoveryResult {
  readonly rate: number;
  readonly warmSeconds: number;
  /** Kill → every process gone (the SIGKILL and the wait for the exit). */
  readonly killSeconds: number;
  /** Kill → the first live event handled by the new process; null: not within the phase. */
  readonly backSeconds: number | null;
  /** Kill → every event sent a second earlier handled; null: not within the phase. */
  readonly caughtUpSeconds: number | null;
  readonly delayThresholdMs: number;
  /** The traffic stopped this long after the kill at the latest: a figure still null then is above it. */
  readonly capSeconds: number;
  /** Kill → the arrival of the last emission whose delay exceeded the threshold (0: none did). */
  readonly delayRecoveredSeconds: number | null;
  /** Most events (of the topics it reads) sent and not yet handled, after the kill. */
  readonly maxLag: number;
  /** Delays of the emissions caused by events sent from the kill on. */
  readonly delayAfterKill: DelayStats;
  readonly sent: number;
  readonly sentRead: number;
  readonly handled: number;
  /** Everything sent was handled (and, for clvstream, published) before the bench stopped waiting. */
  readonly complete: boolean;
}

/** Caught up: every event sent this long before is handled (the delay phases' "kept up"). */
export const CAUGHT_UP_MS = 1_000;

/** Events sent by time `t`, from a history of (time, events sent so far) in time order. */
export function sentBy(history: readonly { readonly at: number; readonly read: number }[], t: number): number {
  let sent = 0;
  for (const h of history) {
    if (h.at > t) break;
    sent = h.read;
  }
  return sent;
}

/** The arrival of the last emission from `from` on whose delay exceeded the threshold; `from` when none did. */
export function lastLateArrival(samples: readonly { readonly arrival: number; readonly delay: number }[], from: number, thresholdMs: number): number {
  let last = from;
  for (const s of samples) if (s.arrival >= from && s.delay > thresholdMs && s.arrival > last) last = s.arrival;
  return last;
}

export async function recoveryPhase(
  system: RunningSystem,
  restart: () => Promise<RunningSystem>,
  sender: LiveSender,
  observer: EmissionObserver,
  o: RecoveryOptions,
): Promise<{ result: RecoveryResult; system: RunningSystem }> {
  observer.beginPhase();
  const sentBefore = sender.sent;
  const readBefore = sender.sentRead;
  const liveBefore = (await system.progress()).live;
  const t0 = now();
  await sender.pace(o.rate, Number.MAX_SAFE_INTEGER, (elapsed) => elapsed >= o.warmMs, async (i) => {
    if (i % 25 === 0) await system.progress();
  });
  const killAt = now();
  await system.kill();
  const killSeconds = (now() - killAt) / 1000;
  const next = await restart();
  await next.beginLive(o.liveStart);

  // Sent-so-far over time (events it reads), to tell what was sent a second before a poll.
  const history: { at: number; read: number }[] = [{ at: killAt, read: sender.sentRead - readBefore }];
  let backAt: number | null = null;
  let caughtUpAt: number | null = null;
  let maxLag = 0;
  let handled = 0;
  const check = async (): Promise<void> => {
    const p = await next.progress();
    const t = now();
    handled = p.live - liveBefore;
    const read = sender.sentRead - readBefore;
    history.push({ at: t, read });
    maxLag = Math.max(maxLag, read - handled);
    if (backAt === null && p.lastAt !== null && p.lastAt > killAt) backAt = p.lastAt;
    if (backAt !== null && caughtUpAt === null && t - killAt >= CAUGHT_UP_MS && handled >= sentBy(history, t - CAUGHT_UP_MS)) caughtUpAt = t;
  };
  const lastCheck = { at: 0 };
  await sender.pace(
    o.rate,
    Number.MAX_SAFE_INTEGER,
    () => now() - killAt >= o.capMs || (caughtUpAt !== null && now() - caughtUpAt >= 1_000),
    async () => {
      if (now() - lastCheck.at < POLL_MS) return;
      lastCheck.at = now();
      await check();
    },
  );
  // Drain: everything sent handled (and clvstream's outboxes empty), bounded.
  const sendEnd = now();
  let complete = false;
  for (let i = 0; i < 10_000_000; i++) {
    await check();
    const p = await next.progress();
    if (handled >= sender.sentRead - readBefore && p.pending === 0) {
      complete = true;
      break;
    }
    if (now() - sendEnd >= o.drainMs) break;
    await sleep(POLL_MS);
  }
  const quietDeadline = now() + 5_000;
  for (let i = 0; i < 10_000_000 && complete && now() < quietDeadline; i++) {
    if (now() - Math.max(observer.lastArrival, sendEnd) > 500) break;
    await sleep(50);
  }
  const samples = observer.samples();
  const lastLate = lastLateArrival(samples, killAt, o.delayThresholdMs);
  const afterKill = samples.filter((s) => s.arrival - s.delay >= killAt).map((s) => s.delay);
  const seconds = (t: number | null): number | null => (t === null ? null : Math.max(0, (t - killAt) / 1000));
  return {
    system: next,
    result: {
      rate: o.rate,
      warmSeconds: (killAt - t0) / 1000,
      killSeconds,
      backSeconds: seconds(backAt),
      caughtUpSeconds: seconds(caughtUpAt),
      delayThresholdMs: o.delayThresholdMs,
      capSeconds: o.capMs / 1000,
      delayRecoveredSeconds: complete ? seconds(lastLate) : null,
      maxLag,
      delayAfterKill: delayStats(afterKill),
      sent: sender.sent - sentBefore,
      sentRead: sender.sentRead - readBefore,
      handled,
      complete,
    },
  };
}
