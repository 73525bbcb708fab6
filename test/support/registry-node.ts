// A private schema registry for tests that stop and restart one, which the
// shared registry (scripts/test-infra.sh) must never suffer. Started and stopped
// by scripts/registry-node.sh, with file storage in a temporary directory so a
// restarted registry still knows every schema id.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './infra-endpoints.js';

const run = promisify(execFile);
const REGISTRY_NODE = join(REPO_ROOT, 'scripts/registry-node.sh');
// A JVM start on two busy cores; this bounds the wait, not a pace.
const START_TIMEOUT_MS = 120_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

async function registryNode(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('bash', [REGISTRY_NODE, ...args], {
      timeout: START_TIMEOUT_MS,
      env: { ...process.env, REGISTRY_NODE_WAIT_SECS: String(Math.floor(START_TIMEOUT_MS / 1000)) },
    });
    return stdout.trim();
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`registry-node.sh ${args[0]} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

export class RegistryNode {
  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** The Confluent-compatible API's URL. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/apis/ccompat/v7`;
  }

  static async start(): Promise<RegistryNode> {
    const node = new RegistryNode(mkdtempSync(join(tmpdir(), 'clvtest-registry-')), await freePort());
    await node.resume();
    return node;
  }

  /** Stops the process; its stored schemas stay. */
  async stop(): Promise<void> {
    await registryNode(['stop', this.dir]);
  }

  /** Starts it again on the same port and storage; resolves when it answers. */
  async resume(): Promise<void> {
    await registryNode(['start', this.dir, '--port', String(this.port), '--persistent']);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
