import { Command } from 'commander';
import { customerId } from '../contracts/primitives.js';
import { partitionOfKey } from '../kafka/key-partition.js';
import { connectState } from '../state/connect.js';
import { StateError } from '../state/errors.js';
import { PartitionCountError, parsePartitions, partitionCountFromKafka } from './inspect-command.js';
import { settingsFromEnv } from './settings-from-env.js';
import { UsageError } from './usage-error.js';

/** `clvstream state …`: repairs of the stored state (docs/operations.md, runbook). */
export function stateCommand(): Command {
  return new Command('state')
    .description('Repairs of the customer states in Redis (see the runbook in docs/operations.md).')
    .addCommand(
      new Command('quarantine')
        .description(
          "Set aside a customer's stored state that cannot be decoded (its partition stands still on it: clvstream_commit_failures_total{code=~\"CODEC_.*\"}), under a quarantine key of the same partition, so the partition goes on and the customer starts afresh. Exit 1 when there is nothing to move or an earlier quarantined value is in the way.",
        )
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
            const p = partitionOfKey(customer, partitionCount);
            const state = connectState(settings, { redisOptions: { maxRetriesPerRequest: 2, connectTimeout: 5_000 } });
            try {
              const result = await state.store.quarantine(p, customer);
              if (result.outcome === 'absent') fail(`nothing to quarantine: ${result.key} does not exist (${partitionCount} partitions, key prefix ${settings.REDIS_KEY_PREFIX})`);
              else if (result.outcome === 'occupied') fail(`${result.quarantineKey} already holds a quarantined value: look at it, delete it, then run this again (nothing moved)`);
              else process.stdout.write(`moved ${result.key} (${result.bytes} bytes) to ${result.quarantineKey}; partition ${p} goes on with the customer started afresh\n`);
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
        }),
    );
}

function fail(message: string): void {
  process.stderr.write(`clvstream: ${message}\n`);
  process.exitCode = 1;
}
