/**
 * The relay thread's entry (see threaded-relay.ts): its own Redis connection,
 * its own idempotent producer, and the same OutboxRelay the runner would run in
 * process. Read → produce → ack stays one unit here, so the delivery guarantee
 * is the in-process relay's; only the CPU of encoding records for the broker
 * moves off the thread that consumes and commits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { KafkaConfig } from 'kafkajs';
import type { RedisOptions } from 'ioredis';
import { createKafka } from '../kafka/client.js';
import { outboundEncoderFrom } from '../kafka/outbound-encoder.js';
import { loggerFromSettings } from '../ops/logger.js';
import { instrumentRedis } from '../state/redis-timing.js';
import { connectState } from '../state/connect.js';
import { OutboxRelay, relayProducerOptions, type RelayedRecord } from './outbox-relay.js';
import type { RelayCommand, RelayThreadMessage, RelayThreadInit } from './relay-thread-protocol.js';

const port = parentPort;
if (port === null) throw new Error('relay-worker.ts runs as a worker thread (threaded-relay.ts starts it)');

const init = workerData as RelayThreadInit;
const logger = loggerFromSettings(init.settings).child({ thread: 'relay' });
const state = connectState(init.settings, { redisOptions: init.redisOptions as RedisOptions | undefined, errorLog: { logger, connection: 'relay' } });
const kafka = createKafka(init.settings, { logger, overrides: init.kafkaOverrides as Partial<KafkaConfig> | undefined });

const post = (report: RelayThreadMessage): void => port.postMessage(report);

// The thread's Redis commands are timed here and reported in batches: the histogram lives with the runner's metrics.
const REDIS_REPORT_MS = 1_000;
let commands: string[] = [];
let seconds: number[] = [];
const uninstrument = instrumentRedis(state.redis, {
  redisCommand(command, s) {
    commands.push(command);
    seconds.push(s);
  },
});
function sendRedisTimings(): void {
  if (commands.length === 0) return;
  post({ kind: 'redis', commands, seconds: Float64Array.from(seconds) });
  commands = [];
  seconds = [];
}
const redisReports = setInterval(sendRedisTimings, REDIS_REPORT_MS);
redisReports.unref();

function relayedMessage(partition: number, records: readonly RelayedRecord[], ackedAtMs: number): RelayThreadMessage {
  const topics: string[] = [];
  const index = new Map<string, number>();
  const topicOf = new Uint16Array(records.length);
  const eventTimes = new Float64Array(records.length);
  records.forEach((r, i) => {
    let t = index.get(r.topic);
    if (t === undefined) index.set(r.topic, (t = topics.push(r.topic) - 1));
    topicOf[i] = t;
    eventTimes[i] = r.eventTimeMs ?? Number.NaN;
  });
  return { kind: 'relayed', partition, ackedAtMs, topics, topicOf, eventTimes };
}

const relay = new OutboxRelay(
  state.store,
  () => kafka.producer(relayProducerOptions(init.settings)),
  init.batchSize,
  {
    relayed(partition, records, ackedAtMs) {
      post(relayedMessage(partition, records, ackedAtMs));
    },
  },
  outboundEncoderFrom(init.settings),
);

const halts = new Map<number, AbortController>();
let closing = false;

port.on('message', (command: RelayCommand) => {
  switch (command.kind) {
    case 'relay': {
      if (closing) {
        post({ kind: 'failed', pass: command.pass, name: 'RelayClosedError', message: 'the relay is shutting down' });
        return;
      }
      const halt = new AbortController();
      halts.set(command.pass, halt);
      relay.relay(command.partition, halt.signal).then(
        (result) => post({ kind: 'done', pass: command.pass, relayed: result.relayed, drained: result.drained }),
        (error: unknown) => {
          const e = error instanceof Error ? error : new Error(String(error));
          post({ kind: 'failed', pass: command.pass, name: e.name, message: e.message });
        },
      ).finally(() => halts.delete(command.pass));
      return;
    }
    case 'halt':
      halts.get(command.pass)?.abort();
      return;
    case 'close':
      closing = true;
      void (async () => {
        await relay.idle();
        await relay.close();
        clearInterval(redisReports);
        sendRedisTimings();
        uninstrument();
        await state.close().catch(() => undefined);
        logger.flush();
        port.close();
      })();
      return;
  }
});
