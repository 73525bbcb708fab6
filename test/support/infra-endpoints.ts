// Where the integration tests' servers are, and how we found out. Used by the
// vitest global setup (main process) and, as a fallback, by test workers.
// No vitest imports here: the global setup runs outside the test runtime.
//
// Resolution order:
//   1. process.env: KAFKA_BROKERS + REDIS_URL (+ optional REDIS_CLUSTER_NODES,
//      SCHEMA_REGISTRY_URL) — e.g. CI with real services.
//   2. .infra/env written by `bash scripts/test-infra.sh start` (an Apache
//      Kafka node, local redis-servers).
//   3. A reachable Docker engine (`docker info` succeeds): Kafka (KRaft),
//      Redis and Schema Registry via testcontainers (global setup only).
//   4. Otherwise: unavailable, with a reason the tests report when skipping.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseEnvFile } from './env-file.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface InfraEndpoints {
  /** 'env': process.env; 'local': .infra/env (scripts/test-infra.sh); 'testcontainers': Docker. */
  source: 'env' | 'local' | 'testcontainers';
  kafkaBrokers: string[];
  redisUrl: string;
  /** Redis Cluster seed nodes; undefined when no cluster is available (Docker path). */
  redisClusterNodes: HostPort[] | undefined;
  schemaRegistryUrl: string | undefined;
}

export type InfraState = { available: true; endpoints: InfraEndpoints } | { available: false; reason: string };

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const INFRA_ENV_FILE = `${REPO_ROOT}.infra/env`;
export const INFRA_START_ERROR_FILE = `${REPO_ROOT}.infra/start-error`;
const START_HINT = 'run `bash scripts/test-infra.sh start`';

export function parseHostPort(value: string): HostPort {
  const i = value.lastIndexOf(':');
  const port = Number(value.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`invalid host:port '${value}'`);
  }
  return { host: value.slice(0, i), port };
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Builds endpoints from variables; throws on malformed values (a broken config must not look like "no infra"). */
export function endpointsFromVariables(
  vars: Record<string, string | undefined>,
  source: 'env' | 'local',
): InfraEndpoints {
  const kafkaBrokers = splitList(vars.KAFKA_BROKERS);
  kafkaBrokers.forEach(parseHostPort);
  const redisUrl = vars.REDIS_URL ?? '';
  if (!/^rediss?:\/\//.test(redisUrl)) throw new Error(`invalid REDIS_URL '${redisUrl}'`);
  const cluster = splitList(vars.REDIS_CLUSTER_NODES).map(parseHostPort);
  return {
    source,
    kafkaBrokers,
    redisUrl,
    redisClusterNodes: cluster.length > 0 ? cluster : undefined,
    schemaRegistryUrl: vars.SCHEMA_REGISTRY_URL?.trim() || undefined,
  };
}

/**
 * Synchronous part of the resolution (steps 1 and 2). Returns undefined when
 * nothing is configured; the caller decides about Docker.
 */
export function configuredEndpoints(env: NodeJS.ProcessEnv = process.env): InfraEndpoints | undefined {
  if (env.KAFKA_BROKERS && env.REDIS_URL) return endpointsFromVariables(env, 'env');
  if (existsSync(INFRA_ENV_FILE)) {
    return endpointsFromVariables(parseEnvFile(readFileSync(INFRA_ENV_FILE, 'utf8')), 'local');
  }
  return undefined;
}

/** Why `scripts/test-infra.sh start` last failed, if it did. */
export function lastStartError(): string | undefined {
  if (!existsSync(INFRA_START_ERROR_FILE)) return undefined;
  return readFileSync(INFRA_START_ERROR_FILE, 'utf8').trim() || undefined;
}

/** Reason text when nothing is configured (used when Docker is not considered or not available). */
export function notConfiguredReason(dockerProblem?: string): string {
  const startError = lastStartError();
  const parts = [
    startError ? `test-infra.sh start failed: ${startError}` : `no .infra/env (${START_HINT})`,
  ];
  if (dockerProblem) parts.push(`no Docker engine (${dockerProblem})`);
  return parts.join('; ');
}

/** Resolves with undefined if a TCP connection succeeds within timeoutMs, else with the error text. */
export function tcpProbe({ host, port }: HostPort, timeoutMs = 2_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (problem: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => done(`${host}:${port}: no connection within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => done(undefined));
    socket.once('error', (err) => done(`${host}:${port}: ${err.message}`));
  });
}

/** Checks that configured servers accept connections; returns a problem description or undefined. */
export async function probeEndpoints(e: InfraEndpoints): Promise<string | undefined> {
  const targets: [string, HostPort][] = [];
  const firstBroker = e.kafkaBrokers[0];
  if (!firstBroker) return 'KAFKA_BROKERS is empty';
  targets.push(['kafka', parseHostPort(firstBroker)]);
  const redis = new URL(e.redisUrl);
  targets.push(['redis', { host: redis.hostname, port: Number(redis.port || 6379) }]);
  for (const node of e.redisClusterNodes ?? []) targets.push(['redis cluster', node]);
  const problems = await Promise.all(targets.map(async ([what, hp]) => {
    const problem = await tcpProbe(hp);
    return problem ? `${what} ${problem}` : undefined;
  }));
  return problems.filter(Boolean).join(', ') || undefined;
}

/** `docker info` with a time bound; resolves with undefined when an engine answers, else the problem. */
export function dockerProblem(timeoutMs = 15_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: timeoutMs }, (err, _out, stderr) => {
      if (!err) return resolve(undefined);
      const firstLine = (stderr || err.message).split('\n').find((l) => l.trim()) ?? 'failed';
      resolve(`\`docker info\`: ${firstLine.trim()}`);
    });
  });
}

// Typed provide/inject between the global setup and the test workers.
declare module 'vitest' {
  export interface ProvidedContext {
    clvstreamInfra: InfraState;
  }
}
