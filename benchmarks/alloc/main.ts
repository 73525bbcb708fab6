/**
 * What the partition step allocates per event: the service's own batch and
 * sweep path (`PartitionProcessor.processBatch`, then `sweep` while checks are
 * due, as the runner does) over one partition's share of `npm run bench`'s
 * workload, against the test Redis, under V8's sampling heap profiler with
 * collected objects included. Garbage collection is the largest single item
 * in every CPU profile of the service (10–16 % of the runner's thread); this
 * says which code makes the garbage. Kafka is not involved: decoding is done
 * up front, outside the sampled part.
 *
 *   npm run bench:alloc -- [--events 40000] [--warm 20000] [--batch 50] [--customers 50000] [--top 25]
 *
 * Needs Redis: REDIS_URL, or the test servers' .infra/env
 * (`bash scripts/test-infra.sh start`). Writes under a key prefix of its own
 * and deletes it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { Redis } from 'ioredis';
import { loadSettings } from '../../src/config/index.js';
import { domainParametersFrom, ingestRulesFrom } from '../../src/config/runtime-parameters.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import { decodeBytes } from '../../src/ingest/decode.js';
import { partitionOfKey } from '../../src/kafka/key-partition.js';
import { PartitionProcessor, type BatchRecord } from '../../src/service/partition-processor.js';
import { KeySpace } from '../../src/state/keys.js';
import { PartitionStore } from '../../src/state/store.js';
import { integerArg } from '../args.js';
import { infraVariables } from '../endpoints.js';
import { workloadEvents } from '../workload.js';
import { formatAllocations, summariseAllocations, type HeapProfile } from './heap-profile.js';

const PARTITIONS = 8;
const PARTITION = 0;
/** Bytes between heap samples: fine enough for per-function shares over tens of thousands of events. */
const SAMPLING_INTERVAL = 4096;

async function main(): Promise<void> {
  const events = integerArg('events', 40_000);
  const warm = integerArg('warm', 20_000);
  const batchSize = integerArg('batch', 50);
  const customers = integerArg('customers', 50_000);
  const top = integerArg('top', 25);
  const env = infraVariables();
  const prefix = `clvalloc-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const settings = loadSettings({ env: { REDIS_URL: env.REDIS_URL, REDIS_KEY_PREFIX: prefix } });
  const rules = ingestRulesFrom(settings);
  const redis = new Redis(env.REDIS_URL as string);
  const store = new PartitionStore(redis, new KeySpace(prefix));
  const processor = new PartitionProcessor(store, {
    ctx: { model: UNFITTED_MODEL, parameters: domainParametersFrom(settings) },
    topics: settings,
    partitionCount: PARTITIONS,
    version: 'bench',
  });

  // One partition's records, decoded as the runner would have them.
  const records: BatchRecord[] = [];
  const now = Date.now();
  for (const e of workloadEvents({ seed: 7, customers })) {
    if (partitionOfKey(e.key, PARTITIONS) !== PARTITION) continue;
    const offset = BigInt(records.length);
    const value = Buffer.from(JSON.stringify(e.event));
    const message = { topic: e.type, partition: PARTITION, offset: offset.toString(), timestamp: null, key: Buffer.from(e.key), value, headers: {} };
    records.push({ topic: e.type, offset, message, decoded: decodeBytes(value, e.type, rules, now) });
    if (records.length === warm + events) break;
  }
  if (records.length < warm + events) throw new Error(`the workload gave only ${records.length} records for partition ${PARTITION}`);

  const { epoch } = await store.claim(PARTITION);
  let watermark: number | null = null;
  const outbox = new KeySpace(prefix).partitionKeys(PARTITION).outbox;
  const run = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i += batchSize) {
      watermark = (await processor.processBatch(PARTITION, epoch, watermark, records.slice(i, Math.min(i + batchSize, to)))).watermarkDay;
      if (watermark !== null) while ((await processor.sweep(PARTITION, epoch, watermark)).more);
      // No relay here: drop the outbox now and then so Redis does not grow with it.
      if ((i / batchSize) % 40 === 0) await redis.del(outbox);
    }
  };

  const session = new Session();
  session.connect();
  try {
    await run(0, warm);
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: SAMPLING_INTERVAL,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    const started = performance.now();
    await run(warm, warm + events);
    const seconds = (performance.now() - started) / 1000;
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: HeapProfile };
    console.log(
      `partition step, ${events.toLocaleString('en-US')} events after ${warm.toLocaleString('en-US')} warm-up, batches of ${batchSize}, ` +
        `partition ${PARTITION} of ${PARTITIONS}, ${customers.toLocaleString('en-US')} customers (seed 7); ${seconds.toFixed(1)} s with the sampler on`,
    );
    console.log(formatAllocations(summariseAllocations(profile, events, top)));
  } finally {
    session.disconnect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.quit();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
