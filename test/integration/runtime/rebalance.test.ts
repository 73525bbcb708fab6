// Exactness across rebalances: partitions change hands mid-stream, between
// members that each commit on them, with commits in flight on the member that
// loses them; the state still equals one clean pass. And fencing: a
// member whose claim was taken over cannot write — its batch is refused, and it
// continues only after claiming the partition afresh.
import { expect, it } from 'vitest';
import type { StreamRunner } from '../../../src/service/stream-runner.js';
import { FencedError } from '../../../src/state/errors.js';
import { heldMember } from '../../support/held-member.js';
import { cleanupsAfterEach, describeWithInfra, waitFor, type InfraEndpoints } from '../../support/infra.js';
import {
  convergedEmissionDifferences,
  convergedStateDifferences,
  eventStream,
  produceAll,
  reference,
  runtimeFixture,
  storedInboundRecords,
} from '../../support/runtime-harness.js';

const PARTITIONS = 4;

/**
 * Runs a membership wait; when it times out, the error also tells what each
 * member saw (joined, assigned, unclaimed, last error). The first version of
 * the handover test timed out twice in eighteen runs on 2026-11-23, once
 * waiting 90 s for the split and once 30 s for the rejoin, with no runner log
 * to show why. The likely cause was found later that day: the test broker
 * answered a member whose SyncGroup came after the leader's with a fatal
 * error (test/integration/group-sync.test.ts), and a crashed member never
 * gets partitions.
 */
async function withStatuses(members: Record<string, StreamRunner>, wait: () => Promise<unknown>): Promise<void> {
  try {
    await wait();
  } catch (error) {
    const seen = Object.entries(members).map(([name, m]) => `${name}: ${JSON.stringify(m.status())}`);
    throw new Error(`${(error as Error).message}; ${seen.join('; ')}`, { cause: error });
  }
}

describeWithInfra('runtime rebalances and fencing', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  const setUp = (label: string, extra: Record<string, string> = {}) => runtimeFixture(infra, cleanups, label, PARTITIONS, { extra });

  it('members taking partitions over mid-stream, each committing on them, change nothing in the result', { timeout: 240_000 }, async () => {
    const t = await setUp('rebal', { RUN_BATCH_MAX_RECORDS: '50' });
    // The whole stream is in Kafka before consuming starts: which records a
    // partition sees together then depends on the data only, and the result
    // can be compared with the reference byte for byte (docs/architecture.md,
    // "Order across topics"). One member alone consumes it faster than the
    // group can change its membership, so each member's
    // commits are held at a gate while the group changes: every handover below
    // happens with records left, and the new owner commits before the next.
    const messages = eventStream({ seed: 31, customers: 300, events: 40_000, stepMs: 10 * 60_000 });
    await produceAll(t.producer, t.topics, messages);
    const stored = () => storedInboundRecords(t.state.redis, t.prefix, PARTITIONS, t.topics);
    const [a, b, c] = ['A', 'B', 'C'].map(() => heldMember(t));
    // Runs before the runners' own cleanups (they run last to first): a held commit would stall a stop.
    cleanups.push(() => [a, b, c].forEach((m) => m?.gate.open()));
    if (a === undefined || b === undefined || c === undefined) throw new Error('three members');

    await a.runner.start();
    await waitFor(async () => (await stored()) > 500, { what: 'A to make progress' });
    a.gate.close();

    // B joins and takes half; its commits go through while A's wait.
    await b.runner.start();
    await withStatuses({ A: a.runner, B: b.runner }, () =>
      waitFor(() => a.owns(1, PARTITIONS - 1) && b.owns(1, PARTITIONS - 1) && b.committedOnAll(3), {
        // A second member's join waits for A to rejoin, which it does between
        // fetches: bound generously.
        timeoutMs: 90_000,
        what: 'the partitions to be split between A and B, and B to commit three batches on each of its own',
      }),
    );
    // Both members process side by side for a moment. A's commits held on the
    // partitions it lost are refused now (B holds a newer epoch); applied, they
    // would write states older than B's last three batches.
    a.resetCommits();
    a.gate.open();
    await waitFor(() => a.committedOnAll(), { timeoutMs: 30_000, what: 'A to commit on each of its partitions again' });
    a.gate.close();
    b.gate.close();
    const atLeave = await stored();
    expect(atLeave, 'B leaves before the stream is consumed').toBeLessThan(messages.length);

    // B leaves (finishing its batch in flight); A takes everything back, but holds its commits.
    b.gate.open();
    await b.runner.stop();
    await withStatuses({ A: a.runner }, () => waitFor(() => a.owns(PARTITIONS, PARTITIONS), { timeoutMs: 30_000, what: 'A to own and claim every partition again' }));

    // C joins and takes half; it commits on each of its partitions before A resumes.
    await c.runner.start();
    await withStatuses({ A: a.runner, C: c.runner }, () =>
      waitFor(() => c.owns(1, PARTITIONS - 1) && a.owns(1, PARTITIONS - 1) && c.committedOnAll(), {
        timeoutMs: 90_000,
        what: 'the partitions to be split between A and C, and C to commit on each of its own',
      }),
    );
    const atRejoin = await stored();
    expect(atRejoin, 'C joins before the stream is consumed').toBeLessThan(messages.length);
    expect(atRejoin).toBeGreaterThan(atLeave);
    a.gate.open();

    const expected = reference(messages, t.settings, PARTITIONS);
    expect(await convergedStateDifferences(t.state.redis, t.prefix, PARTITIONS, expected.states, 90_000)).toEqual([]);
    expect(await convergedEmissionDifferences(expected.emissions, t.reader)).toEqual([]);
    // A's commits held while it lost partitions were refused by the store, not
    // applied. Asserted directly: with the epoch check removed from the commit
    // script this scenario still ends exact (a batch whose offsets are all
    // stored already is not applied), and only this line fails.
    expect(a.fenced()).toBeGreaterThan(0);
  });

  it('a member whose partition was claimed by another cannot write; it re-claims and the result is still exact', { timeout: 120_000 }, async () => {
    const t = await setUp('fence', { RUN_BATCH_MAX_RECORDS: '50' });
    // All in Kafka first (see the test above); small batches keep A busy long
    // enough for the takeover to land mid-stream.
    const messages = eventStream({ seed: 41, customers: 200, events: 30_000, stepMs: 10 * 60_000 });
    await produceAll(t.producer, t.topics, messages);
    const a = t.runner();
    await a.start();
    await waitFor(() => a.status().assigned.length === PARTITIONS && a.status().unclaimed.length === 0, { timeoutMs: 30_000, what: 'A to claim all partitions' });

    // Another owner takes partition 1 (as a member that A has not heard of yet would).
    const epochBefore = Number(await t.state.redis.hget(t.state.keys.meta(1), 'epoch'));
    const usurper = await t.state.store.claim(1);
    expect(usurper.epoch).toBe(epochBefore + 1);
    const atTakeover = await storedInboundRecords(t.state.redis, t.prefix, PARTITIONS, t.topics);
    // A's old epoch can no longer commit...
    await expect(t.state.store.commit(1, epochBefore, { watermarkDay: 1 })).rejects.toBeInstanceOf(FencedError);
    // ...and A, on its next batch for partition 1, is refused, re-claims (still assigned) and goes on.
    await waitFor(async () => Number(await t.state.redis.hget(t.state.keys.meta(1), 'epoch')) > usurper.epoch, {
      timeoutMs: 30_000,
      what: 'A to re-claim partition 1',
    });
    expect(atTakeover, 'the takeover landed mid-stream').toBeLessThan(messages.length);

    const expected = reference(messages, t.settings, PARTITIONS);
    expect(await convergedStateDifferences(t.state.redis, t.prefix, PARTITIONS, expected.states)).toEqual([]);
    expect(await convergedEmissionDifferences(expected.emissions, t.reader)).toEqual([]);
  });
});
