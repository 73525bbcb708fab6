import { Command } from 'commander';
import { partitionOfKey } from '../kafka/key-partition.js';
import { customerCommand } from './customer-command.js';

/** `clvstream state …`: repairs of the stored state (docs/operations.md, runbook). */
export function stateCommand(): Command {
  return new Command('state').description('Repairs of the customer states in Redis (see the runbook in docs/operations.md).').addCommand(
    customerCommand(
      'quarantine',
      "Set aside a customer's stored state that cannot be decoded (its partition stands still on it: clvstream_commit_failures_total{code=~\"CODEC_.*\"}), under a quarantine key of the same partition, so the partition goes on and the customer starts afresh. Exit 1 when there is nothing to move or an earlier quarantined value is in the way.",
      async ({ customer, settings, partitionCount, state, fail }) => {
        const p = partitionOfKey(customer, partitionCount);
        const result = await state.store.quarantine(p, customer);
        if (result.outcome === 'absent') fail(`nothing to quarantine: ${result.key} does not exist (${partitionCount} partitions, key prefix ${settings.REDIS_KEY_PREFIX})`);
        else if (result.outcome === 'occupied') fail(`${result.quarantineKey} already holds a quarantined value: look at it, delete it, then run this again (nothing moved)`);
        else process.stdout.write(`moved ${result.key} (${result.bytes} bytes) to ${result.quarantineKey}; partition ${p} goes on with the customer started afresh\n`);
      },
    ),
  );
}
