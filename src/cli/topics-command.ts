import { Command } from 'commander';
import type { Admin } from 'kafkajs';
import type { Settings } from '../config/settings.js';
import { createKafka } from '../kafka/client.js';
import { brokerCount, createPlannedTopics, describeKafkaError, describePlannedTopics } from '../kafka/topic-admin.js';
import { planTopics, topicDifferences, type PlannedTopic } from '../kafka/topic-plan.js';
import { kafkaUnreachableMessage } from './kafka-unreachable.js';
import { settingsFromEnv } from './settings-from-env.js';
import { UsageError } from './usage-error.js';

interface TopicOptions {
  partitions?: string;
  replicationFactor?: string;
}

/** A broker that cannot be reached, or refuses what was asked: one line, exit 1. */
export class TopicsCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicsCommandError';
  }
}

/** What `check` found to differ: printed line by line, exit 2 like any wrong topic layout. */
export class TopicLayoutError extends Error {
  constructor(readonly differences: readonly string[]) {
    super(`${differences.length} difference${differences.length === 1 ? '' : 's'} from the expected topic set`);
    this.name = 'TopicLayoutError';
  }
}

export function topicsCommand(): Command {
  const topics = new Command('topics').description(
    "Create or check the Kafka topics of one deployment: the five inbound topics, the internal topic, the two emission topics and the dead-letter topic, named by the TOPIC_* settings, with one partition count (TOPIC_PARTITIONS), one replication factor (TOPIC_REPLICATION_FACTOR; default 3, or the number of brokers when there are fewer) and the per-topic configs docs/operations.md lists.",
  );
  const withOptions = (command: Command): Command =>
    command
      .option('-p, --partitions <n>', 'partitions of every topic (default: TOPIC_PARTITIONS)')
      .option('-r, --replication-factor <n>', 'replicas of every partition (default: TOPIC_REPLICATION_FACTOR, else min(3, brokers))');
  topics.addCommand(
    withOptions(new Command('create'))
      .description('Create the topics that are missing; existing ones are left as they are and checked. Exit 0 when the whole set then matches, 2 when an existing topic differs, 1 when the broker cannot be reached or refuses.')
      .action(async (opts: TopicOptions) => {
        await withPlan(opts, async (admin, plan) => {
          const outcome = await createPlannedTopics(admin, plan);
          for (const name of outcome.created) process.stdout.write(`created ${name}\n`);
          for (const name of outcome.existing) process.stdout.write(`exists  ${name}\n`);
          printDifferences(topicDifferences(plan, await describePlannedTopics(admin, plan)));
        });
      }),
  );
  topics.addCommand(
    withOptions(new Command('check'))
      .description('Compare the broker\'s topics with the expected set and print every difference. Exit 0 when they match, 2 when they differ, 1 when the broker cannot be reached.')
      .action(async (opts: TopicOptions) => {
        await withPlan(opts, async (admin, plan) => {
          printDifferences(topicDifferences(plan, await describePlannedTopics(admin, plan)));
          process.stdout.write(`ok: ${plan.length} topics, ${plan[0]?.partitions} partitions, replication factor ${plan[0]?.replicationFactor}\n`);
        });
      }),
  );
  for (const command of topics.commands) command.exitOverride();
  return topics;
}

function printDifferences(differences: readonly string[]): void {
  if (differences.length > 0) throw new TopicLayoutError(differences);
}

function positive(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what} must be a positive integer; got ${JSON.stringify(text)}`);
  return n;
}

async function withPlan(opts: TopicOptions, body: (admin: Admin, plan: PlannedTopic[]) => Promise<void>): Promise<void> {
  const partitionsFlag = opts.partitions === undefined ? undefined : positive(opts.partitions, '--partitions');
  const replicationFlag = opts.replicationFactor === undefined ? undefined : positive(opts.replicationFactor, '--replication-factor');
  const settings = settingsFromEnv();
  // kafkajs retries a refused connection for about half a minute by default; an
  // operator at a terminal or a pre-install hook wants the answer sooner.
  const admin = createKafka(settings, { overrides: { connectionTimeout: 5_000, retry: { retries: 3, initialRetryTime: 300 } } }).admin();
  try {
    await admin.connect();
  } catch (error) {
    throw new TopicsCommandError(unreachable(settings, error));
  }
  try {
    const replicationFactor = replicationFlag ?? settings.TOPIC_REPLICATION_FACTOR ?? Math.min(3, await brokerCount(admin));
    await body(admin, planTopics(settings, { partitions: partitionsFlag ?? settings.TOPIC_PARTITIONS, replicationFactor }));
  } catch (error) {
    if (error instanceof TopicLayoutError || error instanceof UsageError) throw error;
    throw new TopicsCommandError(describeKafkaError(error));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function unreachable(settings: Pick<Settings, 'KAFKA_BROKERS'>, error: unknown): string {
  return kafkaUnreachableMessage(error, settings.KAFKA_BROKERS) ?? `cannot reach Kafka at ${settings.KAFKA_BROKERS.join(', ')}: ${describeKafkaError(error)}`;
}
