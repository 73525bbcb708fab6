/**
 * Entry point of a bare or naive worker process (forked by workers.ts; the
 * configuration is argv[2] as JSON). Connects, says `ready`, joins the group
 * on `start` (so that every instance joins within the mock broker's initial
 * rebalance delay and the group forms once), pushes its counters every 50 ms,
 * moves to the live start offsets on `live`, and leaves on `stop` — or when the
 * bench goes away (IPC channel closed).
 */
import { Kafka, logLevel } from 'kafkajs';
import { bareEachBatch } from './bare.js';
import { naiveProcessor } from './naive.js';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.js';
import { FETCH_MAX_WAIT_MS, GROUP_HEARTBEAT_INTERVAL_MS, GROUP_SESSION_TIMEOUT_MS } from './system.js';
import { Tracker } from './tracker.js';

const REPORT_EVERY_MS = 50;

function send(message: FromWorker): void {
  if (process.connected) process.send?.(message);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
  const kafka = new Kafka({ clientId: config.clientId, brokers: [...config.brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: config.groupId, sessionTimeout: GROUP_SESSION_TIMEOUT_MS, rebalanceTimeout: GROUP_SESSION_TIMEOUT_MS, heartbeatInterval: GROUP_HEARTBEAT_INTERVAL_MS, maxWaitTimeInMs: FETCH_MAX_WAIT_MS });
  const tracker = new Tracker();
  const report = (): void => {
    tracker.dirty = false;
    send({ type: 'progress', counters: { ...tracker.counters } });
  };
  tracker.onFirst = report;
  let assignment: Record<string, number[]> = {};
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assignment = payload.memberAssignment;
    tracker.counters.assigned = Object.values(assignment).reduce((n, ps) => n + ps.length, 0);
    tracker.counters.joins++;
    report();
  });
  const naive = config.kind === 'naive' ? await naiveProcessor(kafka, config, tracker) : null;
  let stopping = false;
  const timer = setInterval(() => {
    if (tracker.dirty) report();
  }, REPORT_EVERY_MS);
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    report();
    await consumer.disconnect().catch(() => undefined);
    await naive?.close();
    process.exit(code);
  };
  const fatal = (message: string): void => {
    send({ type: 'fatal', message });
    void stop(1);
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) fatal(`consumer crashed: ${payload.error.message}`);
  });

  await consumer.connect();

  process.on('disconnect', () => void stop(1));
  process.on('message', (raw: ToWorker) => {
    switch (raw.cmd) {
      case 'start':
        void (async () => {
          await consumer.subscribe({ topics: Object.values(config.inbound), fromBeginning: true });
          await consumer.run(naive ? { eachMessage: naive.eachMessage } : { eachBatch: bareEachBatch(tracker) });
        })().catch((error: Error) => fatal(`start: ${error.message}`));
        break;
      case 'live':
        tracker.setLive(raw.offsets);
        // Skip what is left of the backlog: seek each assigned partition to its live start.
        for (const o of raw.offsets) {
          if (assignment[o.topic]?.includes(o.partition)) consumer.seek({ topic: o.topic, partition: o.partition, offset: String(o.offset) });
        }
        send({ type: 'live-ack' });
        break;
      case 'stop':
        void stop(0);
        break;
    }
  });
  send({ type: 'ready' });
}

main().catch((error: Error) => {
  send({ type: 'fatal', message: error.message });
  process.exit(1);
});
