// Private Apache Kafka nodes for tests that kill, restart, pause or cluster
// brokers, which the shared test broker must never suffer. Each node is
// configured, formatted and started by scripts/kafka-node.sh (the one place that
// knows a test broker's configuration), in a temporary directory that outlives a
// SIGKILL, so a restarted node finds its log where it left it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './infra-endpoints.js';

const run = promisify(execFile);
const KAFKA_NODE = join(REPO_ROOT, 'scripts/kafka-node.sh');
// Starting three JVMs at once on two busy cores is slow; this bounds the wait, not a pace.
const START_TIMEOUT_MS = 180_000;

/**
 * A port free on loopback a moment ago, from below Linux's ephemeral range
 * (32768+) and above scripts/test-infra.sh's (20000–22700; its Redis Cluster
 * bus ports are those + 10000, so 30000–32700 is avoided too): a port the
 * kernel hands out for `listen(0)` can be taken by an outgoing connection
 * before the JVM binds it, which failed a 3-node start under load.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 23_000 + Math.floor(Math.random() * 7_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port in 23000-29999');
}

async function kafkaNode(args: string[], timeout = START_TIMEOUT_MS): Promise<string> {
  try {
    const { stdout } = await run('bash', [KAFKA_NODE, ...args], { timeout, env: { ...process.env, KAFKA_NODE_WAIT_SECS: String(Math.floor(timeout / 1000)) } });
    return stdout.trim();
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`kafka-node.sh ${args[0]} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

export interface KafkaNode {
  readonly id: number;
  readonly port: number;
  readonly address: string;
  readonly dir: string;
  pid: number | undefined;
}

/** One or more Kafka nodes forming their own cluster (a static quorum of all of them). */
export class KafkaNodes {
  private constructor(
    private readonly root: string,
    readonly nodes: readonly KafkaNode[],
  ) {}

  /**
   * Starts `count` nodes (1 or 3 in practice) and waits until every one serves.
   * `initArgs` go to `kafka-node.sh init` (e.g. `--secure CERTDIR --scram U=P`).
   */
  static async start(count: number, options: { initArgs?: readonly string[] } = {}): Promise<KafkaNodes> {
    const root = mkdtempSync(join(tmpdir(), 'clvtest-kafka-'));
    const taken = new Set<number>();
    const distinct = async (): Promise<number> => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const port = await freePort();
        if (!taken.has(port)) return taken.add(port), port;
      }
      throw new Error('no distinct free port found');
    };
    const ports: { port: number; controller: number }[] = [];
    for (let i = 0; i < count; i++) ports.push({ port: await distinct(), controller: await distinct() });
    const nodes: KafkaNode[] = ports.map((p, i) => ({ id: i + 1, port: p.port, address: `127.0.0.1:${p.port}`, dir: join(root, `node-${i + 1}`), pid: undefined }));
    const cluster = new KafkaNodes(root, nodes);
    try {
      const voters = count > 1 ? ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controller}`).join(',') : undefined;
      const clusterId = randomClusterId();
      for (const [i, node] of nodes.entries()) {
        const args = ['init', node.dir, '--node-id', String(node.id), '--port', String(node.port), '--controller-port', String(ports[i]!.controller), '--cluster-id', clusterId];
        if (voters !== undefined) args.push('--voters', voters);
        args.push(...(options.initArgs ?? []));
        await kafkaNode(args);
      }
      // A node of a quorum serves only once a majority runs: start them together.
      await Promise.all(nodes.map((node) => cluster.restart(node.id)));
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  get brokers(): string[] {
    return this.nodes.map((n) => n.address);
  }

  node(id: number): KafkaNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no Kafka node ${id}`);
    return node;
  }

  /** SIGKILL: the node dies with whatever it had not flushed; its data directory stays. Resolves once it is gone. */
  async kill(id: number): Promise<void> {
    const pid = this.node(id).pid;
    this.signal(id, 'SIGKILL');
    this.node(id).pid = undefined;
    for (let round = 0; round < 500 && pid !== undefined && processRuns(pid); round++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** SIGSTOP / SIGCONT: the node keeps its sockets open and answers nothing. */
  pause(id: number): void {
    this.signal(id, 'SIGSTOP');
  }

  resume(id: number): void {
    this.signal(id, 'SIGCONT');
  }

  /** Starts a node that is not running (again, on its old log); resolves once it serves. */
  async restart(id: number): Promise<void> {
    const node = this.node(id);
    if (node.pid !== undefined) throw new Error(`Kafka node ${id} still runs (pid ${node.pid})`);
    node.pid = Number(await kafkaNode(['start', node.dir]));
  }

  /** Stops every node by its pid and removes the directories. */
  stop(): Promise<void> {
    for (const node of this.nodes) {
      if (node.pid === undefined) continue;
      this.signal(node.id, 'SIGCONT'); // a paused node cannot shut down
      this.signal(node.id, 'SIGKILL'); // their data is thrown away: no clean shutdown needed
      node.pid = undefined;
    }
    rmSync(this.root, { recursive: true, force: true });
    return Promise.resolve();
  }

  private signal(id: number, signal: NodeJS.Signals): void {
    const pid = this.node(id).pid;
    if (pid === undefined) throw new Error(`Kafka node ${id} does not run`);
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
}

/** Whether pid is a live process (a zombie waiting for its reaper counts as gone). */
function processRuns(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * 16 random bytes in URL-safe base64 without padding: a KRaft cluster id. Not one
 * that starts with '-': the storage tool reads `-t -…` as an option and fails to
 * format (1 start in 64; Kafka's own random ids avoid it the same way).
 */
function randomClusterId(): string {
  const bytes = new Uint8Array(16);
  for (;;) {
    crypto.getRandomValues(bytes);
    const id = Buffer.from(bytes).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
