/**
 * The outbox's cost in Redis and in Node, per record, against the layout it
 * replaced, in the same run on the same Redis:
 *
 * - packed: what the service does (PartitionStore): each commit appends one
 *   stream entry per topic (up to 500 records) with its records packed, the
 *   relay reads whole entries with XRANGE and acknowledges them with outbox-ack;
 * - per-record: one four-field stream entry per record, appended by a script
 *   (the same number of script calls as commits), read with XRANGE and deleted
 *   with XDEL — the first version's layout.
 *
 * Each round commits `--commits` batches of `--records` emission-sized records
 * (a fifth on a second topic, like churn-risk next to segment-changed) and
 * relays after every ten commits, as the service's relay catches up; rounds
 * alternate between the two layouts so the machine's drift hits both alike.
 * Redis CPU is read from INFO cpu, so nothing else should use that Redis
 * meanwhile.
 *
 *   npm run bench:outbox -- [--commits 2000] [--records 55] [--rounds 3]
 *
 * Needs Redis: REDIS_URL, or the test servers' .infra/env
 * (`bash scripts/test-infra.sh start`).
 */
import { Redis } from 'ioredis';
import { KeySpace } from '../src/state/keys.js';
import { PartitionStore, type OutboxRecord } from '../src/state/store.js';
import { integerArg } from './args.js';
import { infraVariables } from './endpoints.js';
import { redisCpuSeconds } from './service/measure/cpu.js';

const PARTITION = 3;
const RELAY_EVERY = 10;
const RELAY_BATCH = 500;


/** An emission-sized JSON value (~620 bytes, like a segment-changed event with its snapshot). */
const VALUE = JSON.stringify({ type: 'segment-changed', snapshot: { note: 'x'.repeat(560) } });

function batch(commit: number, records: number): OutboxRecord[] {
  return Array.from({ length: records }, (_, i) => ({
    id: `seg:C-${commit}-${i}:1`,
    topic: i % 5 === 0 ? 'bench.churn-risk' : 'bench.segment-changed',
    key: `C-${commit}-${i}`,
    value: VALUE,
    eventTimeMs: 1_700_000_000_000 + commit,
  }));
}

interface Layout {
  readonly name: string;
  /** Commits and relays everything; returns the records relayed. */
  run(prefix: string, commits: number, records: number): Promise<number>;
}

function packed(redis: Redis): Layout {
  return {
    name: 'packed (clvstream)',
    async run(prefix, commits, records) {
      const store = new PartitionStore(redis, new KeySpace(prefix));
      const { epoch } = await store.claim(PARTITION);
      let relayed = 0;
      for (let c = 0; c < commits; c++) {
        await store.commit(PARTITION, epoch, { outbox: batch(c, records), nextOffsets: new Map([['bench.purchases', String(c + 1)]]) });
        if (c % RELAY_EVERY !== RELAY_EVERY - 1 && c !== commits - 1) continue;
        for (;;) {
          const read = await store.readOutbox(PARTITION, RELAY_BATCH);
          if (read.entries.length === 0) break;
          relayed += read.entries.length;
          await store.ackOutbox(PARTITION, read.refs);
        }
      }
      return relayed;
    },
  };
}

const APPEND_EACH = `
for j = 1, #ARGV, 4 do
  redis.call('XADD', KEYS[1], '*', 'i', ARGV[j], 't', ARGV[j + 1], 'k', ARGV[j + 2], 'v', ARGV[j + 3])
end
return #ARGV / 4`;

function perRecord(redis: Redis): Layout {
  redis.defineCommand('benchAppendEach', { numberOfKeys: 1, lua: APPEND_EACH });
  const append = (redis as unknown as { benchAppendEach(key: string, ...args: string[]): Promise<number> }).benchAppendEach.bind(redis);
  return {
    name: 'one entry per record',
    async run(prefix, commits, records) {
      const key = new KeySpace(prefix).outbox(PARTITION);
      let relayed = 0;
      for (let c = 0; c < commits; c++) {
        await append(key, ...batch(c, records).flatMap((r) => [r.id, r.topic, r.key, r.value as string]));
        if (c % RELAY_EVERY !== RELAY_EVERY - 1 && c !== commits - 1) continue;
        for (;;) {
          const entries = await redis.xrangeBuffer(key, '-', '+', 'COUNT', RELAY_BATCH);
          if (entries.length === 0) break;
          relayed += entries.length;
          await redis.xdel(key, ...entries.map(([id]) => id.toString()));
        }
      }
      return relayed;
    },
  };
}

async function main(): Promise<void> {
  const commits = integerArg('commits', 2_000);
  const records = integerArg('records', 55);
  const rounds = integerArg('rounds', 3);
  const redis = new Redis(infraVariables().REDIS_URL ?? '', { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  const layouts = [packed(redis), perRecord(redis)];
  const results = new Map<string, { redisUs: number[]; nodeUs: number[] }>(layouts.map((l) => [l.name, { redisUs: [], nodeUs: [] }]));
  console.log(`outbox: ${commits} commits × ${records} records of ${VALUE.length} bytes, relayed every ${RELAY_EVERY} commits in reads of ${RELAY_BATCH}; ${rounds} alternating rounds`);
  try {
    for (let round = 0; round < rounds; round++) {
      for (const layout of layouts) {
        const prefix = `bench-outbox-${process.pid}-${round}-${layouts.indexOf(layout)}`;
        const redisBefore = (await redisCpuSeconds(redis)) ?? Number.NaN;
        const nodeBefore = process.cpuUsage();
        const relayed = await layout.run(prefix, commits, records);
        const node = process.cpuUsage(nodeBefore);
        const redisSeconds = ((await redisCpuSeconds(redis)) ?? Number.NaN) - redisBefore;
        if (relayed !== commits * records) throw new Error(`${layout.name}: relayed ${relayed} of ${commits * records} records`);
        const r = results.get(layout.name);
        r?.redisUs.push((redisSeconds * 1e6) / relayed);
        r?.nodeUs.push((node.user + node.system) / relayed);
        await redis.del(...(await redis.keys(`${prefix}:*`)));
        console.log(`  round ${round + 1} ${layout.name.padEnd(22)} Redis ${((redisSeconds * 1e6) / relayed).toFixed(2)} µs/record, Node ${((node.user + node.system) / relayed).toFixed(2)} µs/record`);
      }
    }
  } finally {
    await redis.quit();
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const [ours, base] = layouts.map((l) => results.get(l.name));
  if (!ours || !base) return;
  console.log(`medians: packed Redis ${median(ours.redisUs).toFixed(2)} µs/record, Node ${median(ours.nodeUs).toFixed(2)}; one entry per record Redis ${median(base.redisUs).toFixed(2)}, Node ${median(base.nodeUs).toFixed(2)}`);
  console.log(`ratio (per-record / packed): Redis ${(median(base.redisUs) / median(ours.redisUs)).toFixed(2)}×, Node ${(median(base.nodeUs) / median(ours.nodeUs)).toFixed(2)}×`);
}

await main();
