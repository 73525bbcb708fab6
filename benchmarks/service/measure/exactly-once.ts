/**
 * clvstream's exactly-once promise, checked after its recovery phase: every
 * purchase, return and interaction the bench produced to the system's topics
 * is counted once in the stored states — each adds exactly one to its
 * customer's `orders`, `returns` or `interactions` (src/domain/apply.ts) and
 * the generator repeats no event id — so the sums over every stored customer
 * equal what was sent: a sum below means events lost, above means events
 * applied twice. Emissions are relayed at least once with stable ids, so the
 * records on the emission topics are at least the emissions the states count
 * (`emitted`); the difference is what the relay published again after the
 * kill (subscribers drop those by id), and a shortfall would be lost
 * emissions. Cheap: one scan of the run's states (tens of thousands of keys).
 */
import { loadSettings } from '../../../src/config/load.js';
import { connectState } from '../../../src/state/connect.js';
import { scanCustomerStates } from '../../../src/state/state-scan.js';

export interface ExactlyOnceCheck {
  readonly customers: number;
  /** Per counted event type: events sent to the system, and counted in the stored states. */
  readonly events: Record<'purchase' | 'return' | 'interaction', { readonly sent: number; readonly stored: number }>;
  /** Emissions counted by the states (`emitted`) and records on the emission topics. */
  readonly emissions: { readonly counted: number; readonly published: number };
  readonly lost: number;
  readonly doubled: number;
  /** published − counted when positive: records the relay published a second time (allowed: stable ids). */
  readonly republished: number;
  readonly emissionsMissing: number;
  readonly ok: boolean;
}

export async function checkExactlyOnce(
  target: { readonly redisUrl: string; readonly keyPrefix: string; readonly topicEnv: Readonly<Record<string, string>> },
  sentByType: Readonly<Record<string, number>>,
  publishedRecords: number,
): Promise<ExactlyOnceCheck> {
  const settings = loadSettings({ env: { REDIS_URL: target.redisUrl, REDIS_KEY_PREFIX: target.keyPrefix, ...target.topicEnv } });
  const state = connectState(settings);
  let orders = 0;
  let returns = 0;
  let interactions = 0;
  let emitted = 0;
  try {
    const summary = await scanCustomerStates(state.store, (states) => {
      for (const s of states) {
        orders += s.orders;
        returns += s.returns;
        interactions += s.interactions;
        emitted += s.emitted;
      }
    });
    const events = {
      purchase: { sent: sentByType.purchase ?? 0, stored: orders },
      return: { sent: sentByType.return ?? 0, stored: returns },
      interaction: { sent: sentByType.interaction ?? 0, stored: interactions },
    };
    const lost = Object.values(events).reduce((n, e) => n + Math.max(0, e.sent - e.stored), 0);
    const doubled = Object.values(events).reduce((n, e) => n + Math.max(0, e.stored - e.sent), 0);
    const emissionsMissing = Math.max(0, emitted - publishedRecords);
    return {
      customers: summary.customers,
      events,
      emissions: { counted: emitted, published: publishedRecords },
      lost,
      doubled,
      republished: Math.max(0, publishedRecords - emitted),
      emissionsMissing,
      ok: lost === 0 && doubled === 0 && emissionsMissing === 0,
    };
  } finally {
    await state.close();
  }
}
