// Vitest global setup of the `integration` project: decides once per run
// where the servers are (see infra-endpoints.ts), starts testcontainers if
// that is the way, and hands the result to the test workers via
// provide/inject ('clvstreamInfra').
import type { TestProject } from 'vitest/node';
import {
  configuredEndpoints,
  dockerProblem,
  notConfiguredReason,
  probeEndpoints,
  type InfraState,
} from './infra-endpoints.js';

function log(line: string): void {
  console.log(`[integration infra] ${line}`);
}

async function resolveInfra(): Promise<{ state: InfraState; teardown?: () => Promise<void> }> {
  let configured;
  try {
    configured = configuredEndpoints();
  } catch (err) {
    // A malformed configuration is a bug to fix, not a reason to skip.
    throw new Error(`integration infra: bad configuration: ${(err as Error).message}`, { cause: err });
  }

  if (configured) {
    const problem = await probeEndpoints(configured);
    if (problem) {
      const where = configured.source === 'local' ? '.infra/env' : 'environment variables';
      const hint = configured.source === 'local' ? '; run `bash scripts/test-infra.sh start`' : '';
      return { state: { available: false, reason: `servers from ${where} not reachable (${problem})${hint}` } };
    }
    return { state: { available: true, endpoints: configured } };
  }

  const docker = await dockerProblem();
  if (docker) return { state: { available: false, reason: notConfiguredReason(docker) } };

  log('no .infra/env; Docker is available, starting Kafka, Redis and Schema Registry with testcontainers');
  try {
    const { startContainers } = await import('./containers.js');
    const started = await startContainers(log);
    return { state: { available: true, endpoints: started.endpoints }, teardown: () => started.stop() };
  } catch (err) {
    return { state: { available: false, reason: `testcontainers failed: ${(err as Error).message}` } };
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const { state, teardown } = await resolveInfra();
  project.provide('clvstreamInfra', state);
  if (state.available) {
    const e = state.endpoints;
    log(
      `${e.source}: kafka=${e.kafkaBrokers.join(',')} ` +
        `redis=${e.redisUrl} cluster=${e.redisClusterNodes ? e.redisClusterNodes.map((n) => `${n.host}:${n.port}`).join(',') : 'none'}` +
        `${e.schemaRegistryUrl ? ` schema-registry=${e.schemaRegistryUrl}` : ''}`,
    );
  } else {
    log(`UNAVAILABLE, integration tests will be skipped: ${state.reason}`);
  }
  return teardown;
}
