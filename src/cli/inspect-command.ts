import type { Command } from 'commander';
import { lookupCustomer } from '../app/customer-lookup.js';
import { domainParametersFrom } from '../config/runtime-parameters.js';
import { UNFITTED_MODEL } from '../domain/model-snapshot.js';
import { ModelStore } from '../state/model-store.js';
import { customerCommand } from './customer-command.js';

export function inspectCommand(): Command {
  return customerCommand(
    'inspect',
    "Print one customer's current state from Redis as JSON: the view GET /customers/:id answers (R/F/M and scores, segments, churn level, P(alive), CLV, model version). Exit 1 when the customer is unknown.",
    async ({ customer, settings, partitionCount, state, fail }) => {
      const model = (await new ModelStore(state.redis, state.keys).current())?.snapshot ?? UNFITTED_MODEL;
      const found = await lookupCustomer({ store: state.store, partitionCount, model, parameters: domainParametersFrom(settings) }, customer);
      if (found === null) {
        fail(`customer ${JSON.stringify(customer)} not found (no state in Redis; ${partitionCount} partitions, key prefix ${settings.REDIS_KEY_PREFIX})`);
        return;
      }
      process.stdout.write(JSON.stringify(found.view, null, 2) + '\n');
    },
  );
}
