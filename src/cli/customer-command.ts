/**
 * The shape shared by the commands that act on one stored customer (`inspect`,
 * `state quarantine`): a validated customer id, the partition count (given or
 * asked from Kafka), a Redis connection closed afterwards, and unreachable
 * Redis or Kafka reported as one line with exit 1 rather than a stack trace.
 */
import { Command } from 'commander';
import type { Settings } from '../config/settings.js';
import { customerId } from '../contracts/primitives.js';
import { createKafka } from '../kafka/client.js';
import { openState, type StateConnection } from '../state/connect.js';
import { StateError } from '../state/errors.js';
import { settingsFromEnv } from './settings-from-env.js';
import { UsageError } from './usage-error.js';

export interface CustomerCommandContext {
  readonly customer: string;
  readonly settings: Settings;
  readonly partitionCount: number;
  readonly state: StateConnection;
  /** Reports a failure on one line and sets exit code 1. */
  readonly fail: (message: string) => void;
}

export function customerCommand(name: string, description: string, run: (context: CustomerCommandContext) => Promise<void>): Command {
  return new Command(name)
    .description(description)
    .argument('<customer>', 'customer id (the Kafka message key)')
    .option('-p, --partitions <n>', 'partitions of the input topics; default: asked from Kafka (metadata of TOPIC_PURCHASE)')
    .action(async (customer: string, opts: { partitions?: string }) => {
      if (!customerId.safeParse(customer).success) {
        throw new UsageError(`${JSON.stringify(customer)} is not a customer id (1–64 printable ASCII characters, no spaces)`);
      }
      const explicit = opts.partitions === undefined ? undefined : parsePartitions(opts.partitions);
      const settings = settingsFromEnv();
      try {
        const partitionCount = explicit ?? (await partitionCountFromKafka(settings));
        const state = await openState(settings, { redisOptions: { maxRetriesPerRequest: 2, connectTimeout: 5_000 } });
        try {
          await run({ customer, settings, partitionCount, state, fail });
        } finally {
          await state.close().catch(() => undefined);
        }
      } catch (err) {
        if (err instanceof StateError || err instanceof PartitionCountError) {
          fail(err.message);
          return;
        }
        throw err;
      }
    });
}

export class PartitionCountError extends Error {}

function fail(message: string): void {
  process.stderr.write(`clvstream: ${message}\n`);
  process.exitCode = 1;
}

export function parsePartitions(text: string): number {
  const n = Number(text);
  if (!/^\d{1,6}$/.test(text) || !Number.isInteger(n) || n < 1) {
    throw new UsageError(`--partitions ${JSON.stringify(text)} is not a positive integer`);
  }
  return n;
}

/** Partitions of the purchase topic (the input topics are co-partitioned: all have this count). */
export async function partitionCountFromKafka(settings: Settings): Promise<number> {
  const admin = createKafka(settings, { overrides: { connectionTimeout: 3_000, requestTimeout: 10_000, retry: { retries: 2 } } }).admin();
  const topic = settings.TOPIC_PURCHASE;
  try {
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    if (count < 1) throw new Error(`topic ${topic} has no partitions`);
    return count;
  } catch (err) {
    throw new PartitionCountError(`cannot read the partition count of ${topic} from Kafka (${(err as Error).message}); pass --partitions <n>`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
