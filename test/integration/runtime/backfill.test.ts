// `clvstream replay --state redis://…` back-fills Redis with the result the
// service reaches consuming the same events from Kafka (the end-to-end test
// checks the service against the same reference), on a standalone Redis and on
// the cluster; a second run of the same file changes nothing.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { connectState } from '../../../src/state/connect.js';
import { cleanupsAfterEach, deleteKeysByPrefix, describeWithInfra, uniqueSuffix, type InfraEndpoints } from '../../support/infra.js';
import { eventStream, reference, settingsOf, stateDifferences } from '../../support/runtime-harness.js';

const PARTITIONS = 3;
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);

interface Summary {
  backfill: { applied: number; already_stored: number; rejected: Record<string, number>; outbox_waiting: number; internal_records: number };
}

/** The summary JSON on stderr, after the dead-letter lines. */
function summaryOf(stderr: string): Summary {
  return JSON.parse(stderr.split('\n').filter((l) => !l.startsWith('{"line"')).join('\n')) as Summary;
}

describeWithInfra('replay --state: back-fill into Redis', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  const targets = [
    { name: 'standalone Redis', cluster: undefined as string | undefined },
    ...(infra.redisClusterNodes ? [{ name: 'Redis Cluster', cluster: infra.redisClusterNodes.map((n) => `${n.host}:${n.port}`).join(',') }] : []),
  ];

  for (const target of targets) {
    it(`${target.name}: the state equals the pure pipeline's; a second run is a no-op`, { timeout: 120_000 }, async () => {
      const prefix = `clvtest-fill-${uniqueSuffix()}`.slice(0, 32);
      // A single Redis by REDIS_URL, a cluster by REDIS_CLUSTER_NODES alone (both set is refused).
      const env: Record<string, string> = { REDIS_KEY_PREFIX: prefix, ...(target.cluster ? { REDIS_CLUSTER_NODES: target.cluster } : {}) };
      const settings = settingsOf(target.cluster ? env : { ...env, REDIS_URL: infra.redisUrl });
      const state = connectState(settings);
      cleanups.push(() => state.close());
      cleanups.push(() => deleteKeysByPrefix(state.redis, `${prefix}:`));

      // With referrals: the partitions go in rounds, each as far as the others' positions let it.
      const messages = eventStream({ seed: 17, customers: 80, events: 3_000, referrals: true });
      const dir = mkdtempSync(join(tmpdir(), 'clvtest-fill-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'history.jsonl');
      // Newest first: the back-fill takes events by event time whatever the file's order (regression: a file not in
      // time order committed a later line before an earlier one, and the earlier one was taken for stored).
      writeFileSync(file, [...[...messages].reverse().map((m) => m.value.toString()), '{"type":"purchase","broken":', ''].join('\n'));

      const cli = (): Promise<{ stderr: string }> =>
        // With a cluster, --state names one of its nodes (it lends the cluster its credentials and TLS).
        run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'replay', file, '--state', target.cluster ? `redis://${target.cluster.split(',')[0] ?? ''}` : infra.redisUrl, '--partitions', String(PARTITIONS)], {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', ...env },
          maxBuffer: 16 * 1024 * 1024,
        });
      const first = summaryOf((await cli()).stderr);
      // Every event, and every referral effect the internal topic would have carried.
      expect(first.backfill.internal_records).toBeGreaterThan(100);
      expect(first.backfill.applied).toBe(messages.length + first.backfill.internal_records);
      expect(first.backfill.rejected).toEqual({ malformed_json: 1 });
      expect(first.backfill.outbox_waiting).toBeGreaterThan(0);

      const expected = reference(messages, settings, PARTITIONS);
      expect((await stateDifferences(state.redis, prefix, PARTITIONS, expected.states)).slice(0, 5)).toEqual([]);
      // Every emission waits in the outbox for the service's relay, once; the internal records are gone.
      const outboxIds = async (): Promise<string[]> => {
        const ids: string[] = [];
        for (let p = 0; p < PARTITIONS; p++) {
          // Page by page: the back-fill commits in rounds (its partitions wait for each other), so an outbox holds many entries.
          let after: string | undefined;
          for (let page = 0; page < 10_000; page++) {
            const { entries, refs, more } = await state.store.readOutbox(p, 1_000_000, after);
            ids.push(...entries.map((e) => e.id));
            after = refs[refs.length - 1]?.streamId;
            if (!more) break;
          }
        }
        return ids.sort();
      };
      const outboxLength = async (): Promise<number> => {
        let n = 0;
        for (let p = 0; p < PARTITIONS; p++) n += await state.store.outboxLength(p);
        return n;
      };
      const waiting = await outboxIds();
      expect(waiting).toEqual([...expected.emissions.keys()].sort());
      expect(await outboxLength()).toBe(waiting.length);
      expect(first.backfill.outbox_waiting).toBe(waiting.length);

      const second = summaryOf((await cli()).stderr);
      expect(second.backfill).toMatchObject({ applied: 0, already_stored: messages.length });
      expect((await stateDifferences(state.redis, prefix, PARTITIONS, expected.states)).slice(0, 5)).toEqual([]);
      expect(await outboxIds()).toEqual(waiting);
      expect(await outboxLength()).toBe(waiting.length);
    });
  }
});
