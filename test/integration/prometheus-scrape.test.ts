// A real Prometheus (Debian package `prometheus`, installed by
// scripts/test-infra.sh) scrapes the ops HTTP server's /metrics with the bearer
// token, and the lag gauges come back from its query API. Without the binary the
// suite is reported as skipped with the reason (failing under
// CLVSTREAM_REQUIRE_INFRA=1); installing it is the infrastructure script's job.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { UNFITTED_MODEL } from '../../src/domain/model-snapshot.js';
import { createHttpServer, listen } from '../../src/app/http/http-server.js';
import { RuntimeMetrics } from '../../src/ops/metrics.js';
import type { PartitionStore } from '../../src/state/store.js';
import { captureLogger } from '../ops/capture-logger.js';

const TOKEN = 'prometheus-scrape-token-0123';
const WAIT_MS = 30_000;

function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/bin', '/usr/local/bin'])) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const binary = findBinary('prometheus');
const reason = 'prometheus binary not found (scripts/test-infra.sh start installs the Debian package `prometheus`)';

interface QueryResult {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

if (binary === undefined && process.env.CLVSTREAM_REQUIRE_INFRA === '1') {
  describe('Prometheus scrapes /metrics', () => {
    it('has the prometheus binary (CLVSTREAM_REQUIRE_INFRA=1)', () => {
      throw new Error(reason);
    });
  });
} else {
  if (binary === undefined) console.warn(`[integration] skipping Prometheus scrape test: ${reason}`);
  describe.skipIf(binary === undefined)(
    binary === undefined ? `Prometheus scrapes /metrics [skipped: ${reason}]` : 'Prometheus scrapes /metrics',
    () => {
      let server: FastifyInstance;
      let metrics: RuntimeMetrics;
      let dir: string;
      let prometheus: ChildProcess | undefined;
      let output = '';
      let api = '';

      beforeAll(async () => {
        metrics = new RuntimeMetrics();
        metrics.lag('clv.purchases', 0, 42);
        metrics.lag('clv.purchases', 1, 7);
        metrics.lag('clv.returns', 1, 0);
        metrics.modelLoaded('unfitted'); // age NaN: the scrape must still parse
        server = await createHttpServer({
          logger: captureLogger('warn').logger,
          registry: metrics.registry,
          readiness: () => ({ kafkaGroupJoined: true, redisReachable: true, modelLoaded: true }),
          store: {} as PartitionStore, // no customer routes are called
          partitionCount: 1,
          model: () => UNFITTED_MODEL,
          parameters: defaultDomainParameters,
          bearerToken: TOKEN,
        });
        const target = new URL(await listen(server, 0, '127.0.0.1')).host;

        dir = mkdtempSync(join(tmpdir(), 'clvstream-prometheus-'));
        writeFileSync(
          join(dir, 'prometheus.yml'),
          [
            'global:',
            '  scrape_interval: 1s',
            '  evaluation_interval: 1s',
            'scrape_configs:',
            '  - job_name: clvstream',
            '    scrape_interval: 1s',
            '    scrape_timeout: 1s',
            '    metrics_path: /metrics',
            '    authorization:',
            '      type: Bearer',
            `      credentials: ${TOKEN}`,
            '    static_configs:',
            `      - targets: ['${target}']`,
            '',
          ].join('\n'),
        );
        // A free port can be taken between probing and binding: retry a few times.
        for (let attempt = 0; attempt < 3 && prometheus === undefined; attempt++) {
          const port = await freePort();
          const child = spawn(
            binary as string,
            [
              `--config.file=${join(dir, 'prometheus.yml')}`,
              `--storage.tsdb.path=${join(dir, 'data')}`,
              `--web.listen-address=127.0.0.1:${port}`,
              '--log.level=warn',
            ],
            { stdio: ['ignore', 'pipe', 'pipe'] },
          );
          child.stdout.on('data', (b: Buffer) => (output += b.toString()));
          child.stderr.on('data', (b: Buffer) => (output += b.toString()));
          let exited = false;
          child.once('exit', () => (exited = true));
          let ready = false;
          for (const deadline = Date.now() + 10_000; !exited && !ready && Date.now() < deadline; ) {
            try {
              ready = (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok;
            } catch {
              await new Promise((r) => setTimeout(r, 100)); // not listening yet
            }
          }
          if (ready && !exited) {
            prometheus = child;
            api = `http://127.0.0.1:${port}`;
          } else if (!exited && child.pid !== undefined) {
            process.kill(child.pid, 'SIGKILL'); // ours, by pid: it never became ready
          }
        }
        if (prometheus === undefined) throw new Error(`prometheus did not start:\n${output}`);
      }, 45_000);

      afterAll(async () => {
        const child = prometheus;
        if (child?.pid !== undefined && child.exitCode === null) {
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          process.kill(child.pid, 'SIGTERM');
          const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
          if (!stopped && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
        }
        await server?.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      async function query(promql: string): Promise<QueryResult['data']['result']> {
        const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
        const body = (await res.json()) as QueryResult;
        if (body.status !== 'success') throw new Error(`query ${promql} failed: ${JSON.stringify(body)}`);
        return body.data.result;
      }

      it('collects the lag series with their labels and values within 30 s', async () => {
        const deadline = Date.now() + WAIT_MS;
        let result: QueryResult['data']['result'] = [];
        while (Date.now() < deadline) {
          result = await query('clvstream_consumer_lag');
          if (result.length >= 3) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        if (result.length < 3) {
          const up = await query('up').catch(() => []);
          throw new Error(`lag series not queryable after ${WAIT_MS} ms; up=${JSON.stringify(up)}; prometheus output:\n${output}`);
        }
        const values = result
          .map((r) => ({ topic: r.metric['topic'], partition: r.metric['partition'], job: r.metric['job'], value: r.value[1] }))
          .sort((a, b) => `${a.topic}/${a.partition}`.localeCompare(`${b.topic}/${b.partition}`));
        expect(values).toEqual([
          { topic: 'clv.purchases', partition: '0', job: 'clvstream', value: '42' },
          { topic: 'clv.purchases', partition: '1', job: 'clvstream', value: '7' },
          { topic: 'clv.returns', partition: '1', job: 'clvstream', value: '0' },
        ]);
        // The whole exposition parsed: the scrape is up and default metrics arrived too.
        expect((await query('up{job="clvstream"}'))[0]?.value[1]).toBe('1');
        expect((await query('clvstream_process_cpu_user_seconds_total')).length).toBe(1);
        expect((await query('clvstream_model_version_info'))[0]?.metric['version']).toBe('unfitted');
      });

      it('sees a changed gauge on a later scrape', async () => {
        metrics.lag('clv.purchases', 0, 5);
        const deadline = Date.now() + WAIT_MS;
        let value: string | undefined;
        while (Date.now() < deadline) {
          value = (await query('clvstream_consumer_lag{topic="clv.purchases",partition="0"}'))[0]?.value[1];
          if (value === '5') break;
          await new Promise((r) => setTimeout(r, 250));
        }
        expect(value).toBe('5');
      });
    },
  );
}
