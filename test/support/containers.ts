// Docker path of the integration infrastructure: Kafka (apache/kafka, KRaft,
// single node), Redis and Schema Registry started with testcontainers. Used
// only by the vitest global setup when no .infra/env / env variables exist and
// `docker info` succeeds. testcontainers is imported lazily so the local path
// never loads dockerode.
//
// Images can be overridden (e.g. to a mirror) with CLVSTREAM_KAFKA_IMAGE,
// CLVSTREAM_REDIS_IMAGE and CLVSTREAM_SCHEMA_REGISTRY_IMAGE.
import net from 'node:net';
import type { StartedTestContainer } from 'testcontainers';
import type { InfraEndpoints } from './infra-endpoints.js';

const KAFKA_IMAGE = process.env.CLVSTREAM_KAFKA_IMAGE ?? 'apache/kafka:4.4.0';
const REDIS_IMAGE = process.env.CLVSTREAM_REDIS_IMAGE ?? 'redis:7.2-alpine';
const SCHEMA_REGISTRY_IMAGE = process.env.CLVSTREAM_SCHEMA_REGISTRY_IMAGE ?? 'confluentinc/cp-schema-registry:7.9.0';

const STARTUP_TIMEOUT_MS = 180_000; // first run may pull images
const PORT_ATTEMPTS = 3;

export interface StartedInfra {
  endpoints: InfraEndpoints;
  stop(): Promise<void>;
}

/** A port that was free on this host a moment ago (assumes a local Docker engine). */
function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

export async function startContainers(log: (line: string) => void): Promise<StartedInfra> {
  const { GenericContainer, Network, Wait, getContainerRuntimeClient } = await import('testcontainers');

  // Everything started so far, stopped in reverse order on failure/teardown.
  const stack: { name: string; stop: () => Promise<unknown> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const item of stack.splice(0).reverse()) {
      try {
        await item.stop();
      } catch (err) {
        log(`stopping ${item.name} failed: ${(err as Error).message}`);
      }
    }
  };

  try {
    const runtime = await getContainerRuntimeClient();
    const host = runtime.info.containerRuntime.host;
    const network = await new Network().start();
    stack.push({ name: 'network', stop: () => network.stop() });

    const redisPromise = new GenericContainer(REDIS_IMAGE)
      .withExposedPorts(6379)
      .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
      .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
      .withStartupTimeout(STARTUP_TIMEOUT_MS)
      .start();
    // Started in parallel with Kafka; registered now so that a Kafka failure
    // still stops it, and marked handled so its own failure cannot surface as
    // an unhandled rejection while we wait for Kafka.
    redisPromise.catch(() => undefined);
    stack.push({ name: 'redis', stop: async () => (await redisPromise).stop() });

    // Kafka must advertise an address the host can reach, but the mapped port
    // is only known after start. So we bind a fixed, free host port and
    // advertise it; a second listener (BROKER) serves containers on the network.
    let kafka: StartedTestContainer | undefined;
    let kafkaPort = 0;
    let lastError: unknown;
    for (let attempt = 0; attempt < PORT_ATTEMPTS && !kafka; attempt++) {
      kafkaPort = await freeLocalPort();
      try {
        kafka = await new GenericContainer(KAFKA_IMAGE)
          .withNetwork(network)
          .withNetworkAliases('kafka')
          .withExposedPorts({ container: 9092, host: kafkaPort })
          .withEnvironment({
            KAFKA_NODE_ID: '1',
            KAFKA_PROCESS_ROLES: 'broker,controller',
            KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
            KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:19092,CONTROLLER://0.0.0.0:9093',
            KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${kafkaPort},BROKER://kafka:19092`,
            KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
            KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
            KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
            // Single node: internal topics cannot have more replicas.
            KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
            KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
            KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
            // Tests should not wait 3 s for every first consumer group join.
            KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
            KAFKA_NUM_PARTITIONS: '3',
          })
          .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
          .withStartupTimeout(STARTUP_TIMEOUT_MS)
          .start();
      } catch (err) {
        lastError = err;
        log(`kafka container failed to start on host port ${kafkaPort}: ${(err as Error).message}`);
      }
    }
    if (!kafka) throw lastError instanceof Error ? lastError : new Error('kafka container failed to start');
    const startedKafka = kafka;
    stack.push({ name: 'kafka', stop: () => startedKafka.stop() });

    const redis = await redisPromise;

    const schemaRegistry = await new GenericContainer(SCHEMA_REGISTRY_IMAGE)
      .withNetwork(network)
      .withNetworkAliases('schema-registry')
      .withExposedPorts(8081)
      .withEnvironment({
        SCHEMA_REGISTRY_HOST_NAME: 'schema-registry',
        SCHEMA_REGISTRY_LISTENERS: 'http://0.0.0.0:8081',
        SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: 'PLAINTEXT://kafka:19092',
      })
      .withWaitStrategy(Wait.forHttp('/subjects', 8081).forStatusCode(200))
      .withStartupTimeout(STARTUP_TIMEOUT_MS)
      .start();
    stack.push({ name: 'schema-registry', stop: () => schemaRegistry.stop() });

    return {
      endpoints: {
        source: 'testcontainers',
        kafkaBrokers: [`${host}:${kafkaPort}`],
        redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
        redisClusterNodes: undefined,
        schemaRegistryUrl: `http://${schemaRegistry.getHost()}:${schemaRegistry.getMappedPort(8081)}`,
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
