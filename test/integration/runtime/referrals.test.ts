// Referrals across partitions end where the replay ends, whatever the timing of
// the internal topic (issue 24): the history is in Kafka before the processors
// start, so the partitions race through it and a referral's attribution reaches
// the referred customer's partition long after many of its purchases; the
// processor is stopped and started again half way. Every customer's final
// state equals the replay's — referrers' referral value, successful referrals
// and rung included — except a referrer's emission counter, which follows the
// arrival of its credits (docs/architecture.md, "Referrals across partitions").
import { expect, it } from 'vitest';
import type { CrossCustomerInput } from '../../../src/domain/apply.js';
import type { DomainInput } from '../../../src/domain/input.js';
import type { CustomerState } from '../../../src/domain/state.js';
import { decodeBytes } from '../../../src/ingest/decode.js';
import { ingestRulesFrom } from '../../../src/config/runtime-parameters.js';
import { partitionOfKey } from '../../../src/kafka/key-partition.js';
import { TimedStates } from '../../../src/pipeline/timed-states.js';
import { KeySpace } from '../../../src/state/keys.js';
import { PartitionStore } from '../../../src/state/store.js';
import { cleanupsAfterEach, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import { INBOUND, contextOf, eventStream, produceAll, runtimeFixture, storedInboundRecords, type TestMessage } from '../../support/runtime-harness.js';
import type { Settings } from '../../../src/config/settings.js';

const PARTITIONS = 4;

/**
 * The replay of what the runtime does: one time rule per partition (its own
 * watermark and due checks), each partition's events in event-time order, and
 * every internal input applied at once on the partition that owns its target.
 */
function replayByPartition(messages: readonly TestMessage[], settings: Settings): Map<string, CustomerState> {
  const ctx = contextOf(settings);
  const rules = ingestRulesFrom(settings);
  const decoded: { input: DomainInput; index: number; queue: number }[] = [];
  messages.forEach((m, index) => {
    const d = decodeBytes(m.value, m.type, rules, Date.now());
    if (d.tag === 'input') decoded.push({ input: d.input, index, queue: INBOUND.indexOf(m.type) });
  });
  decoded.sort((a, b) => a.input.at - b.input.at || a.queue - b.queue || a.index - b.index);
  const partitions = Array.from({ length: PARTITIONS }, () => new TimedStates(ctx, () => undefined));
  const owner = (customerId: string) => partitions[partitionOfKey(customerId, PARTITIONS)] as TimedStates;
  for (const { input } of decoded) {
    const queue: (DomainInput | CrossCustomerInput)[] = [input];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) queue.push(...owner(next.customerId).apply(next).internal);
  }
  const states = new Map<string, CustomerState>();
  for (const p of partitions) for (const [id, s] of p.states) states.set(id, s);
  return states;
}

describeWithInfra('referrals across partitions and restarts', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('end in the replay\'s states, referral value, successful referrals and rung included', { timeout: 240_000 }, async () => {
    const t = await runtimeFixture(infra, cleanups, 'referrals', PARTITIONS, { extra: { RUN_BATCH_MAX_RECORDS: '100', REFERRAL_VALUE: '5.00', REFERRAL_PURCHASE_SHARE: '0.2' } });
    const messages = eventStream({ seed: 73, customers: 80, events: 12_000, referrals: true });
    await produceAll(t.producer, t.topics, messages);
    const expected = replayByPartition(messages, t.settings);
    const referrers = new Set([...expected.values()].flatMap((s) => (s.referredBy === null ? [] : [s.referredBy])));
    const crossPartition = [...expected.values()].filter((s) => s.referredBy !== null && partitionOfKey(s.referredBy, PARTITIONS) !== partitionOfKey(s.customerId, PARTITIONS));
    expect(crossPartition.length).toBeGreaterThan(5);
    // Referred customers who bought more than the 6-order memory before the stream reached their referral's day + a little:
    // what the earlier releases could not credit when the attribution came late.
    expect([...expected.values()].filter((s) => s.referredBy !== null && s.referralCreditedPurchases > 6).length).toBeGreaterThan(3);

    const first = t.runner();
    await first.start();
    await waitFor(async () => (await storedInboundRecords(t.state.redis, t.prefix, PARTITIONS, t.topics)) > 4_000, { timeoutMs: 60_000, what: 'progress' });
    await first.stop();
    const second = t.runner();
    await second.start();

    const store = new PartitionStore(t.state.redis, new KeySpace(t.prefix));
    const comparable = (s: CustomerState | undefined) => (s === undefined ? undefined : referrers.has(s.customerId) ? { ...s, emitted: 0 } : s);
    const differences = async (): Promise<string[]> => {
      const out: string[] = [];
      for (let p = 0; p < PARTITIONS; p++) {
        const ids = [...expected.keys()].filter((id) => partitionOfKey(id, PARTITIONS) === p);
        const actual = await store.loadStates(p, ids);
        for (const id of ids) {
          const a = comparable(actual.get(id));
          const e = comparable(expected.get(id));
          if (JSON.stringify(a) !== JSON.stringify(e)) {
            const fields = (Object.keys(e ?? {}) as (keyof CustomerState)[]).filter((k) => JSON.stringify(a?.[k]) !== JSON.stringify(e?.[k]));
            out.push(`${id} (partition ${p}): ${a === undefined ? 'missing' : fields.map((k) => `${k} ${JSON.stringify(a[k])}≠${JSON.stringify(e?.[k])}`).join(', ')}`);
          }
        }
      }
      return out;
    };
    await waitFor(async () => (await differences()).length === 0, { timeoutMs: 150_000, intervalMs: 1_000, what: 'the states to equal the replay' }).catch(() => undefined);
    const left = await differences();
    if (left.length > 0) {
      const stored = await storedInboundRecords(t.state.redis, t.prefix, PARTITIONS, t.topics);
      const metas = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => t.state.redis.hgetall(new KeySpace(t.prefix).meta(p))));
      console.log(`[referrals] ${left.length} customers differ; stored ${stored} of ${messages.length} inbound records; runner ${JSON.stringify(second.status())}; meta ${JSON.stringify(metas)}`);
    }
    expect(left.slice(0, 5)).toEqual([]);
    const credited = [...expected.values()].filter((s) => referrers.has(s.customerId));
    expect(credited.reduce((sum, s) => sum + s.successfulReferrals, 0)).toBeGreaterThan(5);
    console.log(`[referrals] ${credited.length} referrers, ${crossPartition.length} cross-partition referrals, value ${credited.reduce((sum, s) => sum + s.referralValueMinor, 0)} minor units: equal to the replay`);
    await second.stop();
  });
});
