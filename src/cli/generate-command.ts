import { Command, InvalidArgumentError, Option } from 'commander';
import { timestamp } from '../contracts/primitives.js';
import { inboundTopicsOf, kafkaEventSink } from '../app/generate-kafka.js';
import { jsonLinesSink, runGenerator, type EventSink, type Pacing } from '../app/generate-run.js';
import { syntheticTraffic } from '../app/generate.js';
import { LineOutput } from '../app/line-output.js';
import { isKnownCurrency } from '../contracts/currency.js';
import { createKafka } from '../kafka/client.js';
import { loggerFromSettings } from '../ops/logger.js';
import { settingsFromEnv } from './settings-from-env.js';
import { UsageError } from './usage-error.js';

interface GenerateFlags {
  customers: number;
  rate: number;
  duration: number;
  seed: number;
  out?: string;
  brokers?: string | true;
  start: string;
  end?: string;
  currency?: string;
  idPrefix?: string;
  realtime?: boolean;
}

/** Where simulated time starts unless --start says otherwise: fixed, so that a seed alone fixes the output. */
export const DEFAULT_START = '2024-01-01T00:00:00Z';

const positiveNumber = (what: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive number`);
  return n;
};

const positiveInteger = (what: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000_000) throw new InvalidArgumentError(`${what} must be an integer from 1 to 10000000`);
  return n;
};

const seedNumber = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError('the seed must be an integer from 0 to 4294967295');
  return n;
};

export function generateCommand(): Command {
  return new Command('generate')
    // Commander errors reach main.ts (exit code 2) instead of exiting here with 1.
    .exitOverride()
    .description(
      'Produce realistic synthetic customer events (purchases, returns, referrals, cancellations, NPS feedback) from a BG/NBD-like population: as JSON lines (--out) or to the inbound Kafka topics (--brokers). At most rate × duration events; deterministic for a seed.',
    )
    .addOption(new Option('--customers <n>', 'size of the customer population').default(1000).argParser(positiveInteger('--customers')))
    .addOption(new Option('--rate <events/s>', 'events per second (Kafka and --realtime: paced; else only the count)').default(50).argParser(positiveNumber('--rate')))
    .addOption(new Option('--duration <seconds>', 'length of the run; at most rate × duration events').default(60).argParser(positiveNumber('--duration')))
    .addOption(new Option('--seed <n>', 'random seed: the same seed and options give the same events').default(1).argParser(seedNumber))
    .option('-o, --out <file>', 'write JSON lines to this file; "-" is stdout')
    .option('--brokers [host:port,...]', 'produce to Kafka: these brokers, or KAFKA_BROKERS when no list is given (topics: TOPIC_PURCHASE ... TOPIC_FEEDBACK)')
    .option('--start <time>', 'event time of the simulation start (date or ISO-8601 time with offset)', DEFAULT_START)
    .option('--end <time>', 'stop before the first event after this time (JSON lines: default now)')
    .option('--currency <code>', 'currency of every amount (default: BASE_CURRENCY)')
    .option('--id-prefix <prefix>', 'prefix of customer, order and event ids (default: gen<seed>)')
    .option('--realtime', 'pace JSON lines at --rate too (Kafka output is always paced)')
    .addHelpText(
      'after',
      `
Simulated time runs from --start as fast as the rate allows (a population of N
customers makes roughly 1 to 1.5 × N events per simulated year). Kafka output never
gets ahead of the wall clock: once it has caught up, events follow real time.
JSON lines stop at --end, by default the current time, so the output depends only
on the options and the seed as long as it ends before now (or --end is given).
Event ids are <prefix>-e<n>: running the same seed twice produces the same ids,
which clvstream drops as repeats.`,
    )
    .action(async (flags: GenerateFlags) => {
      if ((flags.out === undefined) === (flags.brokers === undefined)) {
        throw new UsageError('generate needs exactly one of --out <file|-> and --brokers');
      }
      const settings = settingsFromEnv();
      const currency = flags.currency ?? settings.BASE_CURRENCY;
      if (!isKnownCurrency(currency)) throw new UsageError(`--currency ${currency} is not an ISO 4217 currency code`);
      const idPrefix = flags.idPrefix ?? `gen${flags.seed}`;
      if (!/^[\x21-\x7e]{1,40}$/.test(idPrefix)) throw new UsageError('--id-prefix must be 1–40 printable ASCII characters without spaces');
      const startMs = parseTime('--start', flags.start, 'start');
      const toKafka = flags.brokers !== undefined;
      // Events after now would be rejected as from the future: JSON lines stop there
      // unless --end says otherwise; Kafka output holds them back until their time.
      const endMs = flags.end !== undefined ? parseTime('--end', flags.end, 'end') : toKafka ? null : Date.now();
      const maxEvents = Math.floor(flags.rate * flags.duration);
      if (maxEvents < 1) throw new UsageError('--rate × --duration must allow at least one event');

      let sink: EventSink;
      if (flags.brokers !== undefined) {
        const brokers = flags.brokers === true ? settings.KAFKA_BROKERS : parseBrokers(flags.brokers);
        // TLS and SASL as configured (KAFKA_SSL, KAFKA_SASL_*), like the service.
        const kafka = createKafka(
          { ...settings, KAFKA_BROKERS: brokers, KAFKA_CLIENT_ID: `${settings.KAFKA_CLIENT_ID}-generator` },
          { logger: loggerFromSettings(settings) },
        );
        sink = await kafkaEventSink(kafka, inboundTopicsOf(settings));
      } else {
        const out = flags.out as string;
        sink = jsonLinesSink(out === '-' ? LineOutput.toStream(process.stdout) : LineOutput.toFile(out));
      }
      const pacing: Pacing | null =
        toKafka || flags.realtime === true ? { rate: flags.rate, durationMs: flags.duration * 1000, notAfterNow: toKafka } : null;

      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      // A reader that goes away (`generate --out - | head`) ends the run quietly.
      const onStdoutError = (error: NodeJS.ErrnoException): void => {
        if (error.code !== 'EPIPE') throw error;
        abort.abort();
      };
      if (flags.out === '-') process.stdout.on('error', onStdoutError);
      try {
        const summary = await runGenerator({
          events: syntheticTraffic({ seed: flags.seed, customers: flags.customers, startMs, currency, idPrefix }),
          sink,
          maxEvents,
          pacing,
          endMs,
          signal: abort.signal,
        });
        process.stderr.write(JSON.stringify({ generate: summary }) + '\n');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        await sink.close().catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EPIPE') throw error;
        });
      }
    });
}

/** A bare date is midnight UTC (the start) or the end of that day (the end); a time must carry its offset. */
function parseTime(flag: string, value: string, edge: 'start' | 'end'): number {
  const bare = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const iso = bare ? `${value}T${edge === 'start' ? '00:00:00' : '23:59:59'}Z` : value;
  if (!timestamp.safeParse(iso).success) {
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a date (2024-01-01) or an ISO-8601 time with offset`);
  }
  return Date.parse(iso);
}

function parseBrokers(list: string): string[] {
  const brokers = list.split(',').map((b) => b.trim()).filter((b) => b !== '');
  if (brokers.length === 0 || !brokers.every((b) => /^[^\s:]+:\d{1,5}$/.test(b))) {
    throw new UsageError(`--brokers ${JSON.stringify(list)} must be a comma-separated list of host:port`);
  }
  return brokers;
}
