// docker-compose.yml and what it mounts (deploy/): services, images, health checks,
// start order, published ports, topic creation, clvstream's settings, the
// Prometheus scrape and the Grafana provisioning and dashboard. No Docker needed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateCommand } from '../../src/cli/generate-command.js';
import { settingsSchema } from '../../src/config/settings.js';
import { DEFAULT_METRICS_PREFIX, METRIC_NAMES } from '../../src/ops/metric-names.js';
import { RuntimeMetrics } from '../../src/ops/metrics.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[]; disable?: boolean; interval?: string };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}

const compose = parse(read('docker-compose.yml')) as { name: string; services: Record<string, Service> };
const services = compose.services;
const service = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`no service ${name}`);
  return s;
};
const SETTINGS = new Set(Object.keys(settingsSchema.shape));

/** What docker-compose.yml documents in its header: image (or build) and the loopback port. */
const DOCUMENTED: Record<string, { image: RegExp | 'build'; port?: number; healthcheck: boolean }> = {
  kafka: { image: /^apache\/kafka:\d+\.\d+\.\d+$/, port: 9092, healthcheck: true },
  'kafka-init': { image: 'build', healthcheck: false },
  'schema-registry': { image: /^confluentinc\/cp-schema-registry:\d+\.\d+\.\d+$/, port: 8081, healthcheck: true },
  redis: { image: /^redis:\d+\.\d+(\.\d+)?-alpine$/, port: 6379, healthcheck: true },
  clvstream: { image: 'build', port: 8080, healthcheck: true },
  generator: { image: 'build', healthcheck: false },
  prometheus: { image: /^prom\/prometheus:v\d+\.\d+\.\d+$/, port: 9090, healthcheck: true },
  grafana: { image: /^grafana\/grafana:\d+\.\d+\.\d+$/, port: 3000, healthcheck: true },
};

const hasHealthcheck = (s: Service) => s.healthcheck?.disable !== true && (s.healthcheck?.test?.length ?? 0) > 0;
const isOneShot = (s: Service) => s.restart === 'no' && (s.ports ?? []).length === 0;

/** Host side of a `./path:/container/path[:ro]` bind mount, and the container side. */
function bindMounts(s: Service): { host: string; container: string }[] {
  return (s.volumes ?? []).map((v) => {
    const [host = '', container = ''] = v.split(':');
    return { host, container };
  });
}

describe('docker-compose.yml', () => {
  it('has exactly the documented services, each with its image or the repository build', () => {
    expect(Object.keys(services).sort()).toEqual(Object.keys(DOCUMENTED).sort());
    for (const [name, doc] of Object.entries(DOCUMENTED)) {
      const s = service(name);
      if (doc.image === 'build') {
        expect(s.build, name).toEqual({ context: '.', dockerfile: 'Dockerfile' });
        expect(s.image, name).toBe('clvstream:local');
      } else {
        expect(s.build, name).toBeUndefined();
        expect(s.image, name).toMatch(doc.image);
      }
    }
    // The broker version is the one the integration tests and the benchmark run.
    const pom = read('infra/kafka/pom.xml');
    const tested = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
    expect(service('kafka').image).toBe(`apache/kafka:${tested}`);
  });

  it('health checks exist where documented (and the generator, without HTTP server, disables the image’s)', () => {
    for (const [name, doc] of Object.entries(DOCUMENTED)) {
      expect(hasHealthcheck(service(name)), name).toBe(doc.healthcheck);
    }
    expect(service('generator').healthcheck).toEqual({ disable: true });
    expect(service('clvstream').healthcheck?.test?.join(' ')).toContain('/healthz');
  });

  it('depends_on is consistent: known services, healthy only when checked, completed only for one-shots, no cycles', () => {
    const conditions = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);
    for (const [name, s] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(s.depends_on ?? {})) {
        const target = service(dependency);
        expect(conditions.has(condition), `${name} → ${dependency}: ${condition}`).toBe(true);
        if (condition === 'service_healthy') expect(hasHealthcheck(target), `${name} waits for ${dependency} to be healthy`).toBe(true);
        if (condition === 'service_completed_successfully') expect(isOneShot(target), `${dependency} is a one-shot`).toBe(true);
      }
    }
    // `up --wait` only accepts an exited one-shot that a long-running service waits for.
    for (const [name, s] of Object.entries(services)) {
      if (!isOneShot(s) || name === 'generator') continue;
      const adopters = Object.entries(services).filter(
        ([, other]) => !isOneShot(other) && other.depends_on?.[name]?.condition === 'service_completed_successfully',
      );
      expect(adopters.length, `${name} is waited for by a long-running service`).toBeGreaterThan(0);
    }
    // Topological order exists.
    const done = new Set<string>();
    for (let round = 0; round < Object.keys(services).length; round++) {
      for (const [name, s] of Object.entries(services)) {
        if (Object.keys(s.depends_on ?? {}).every((d) => done.has(d))) done.add(name);
      }
    }
    expect([...done].sort()).toEqual(Object.keys(services).sort());
    // The service starts after its topics and stores; the generator after the service.
    expect(service('clvstream').depends_on).toEqual({
      'kafka-init': { condition: 'service_completed_successfully' },
      redis: { condition: 'service_healthy' },
      'schema-registry': { condition: 'service_healthy' },
    });
    expect(service('generator').depends_on).toEqual({
      'kafka-init': { condition: 'service_completed_successfully' },
      clvstream: { condition: 'service_started' },
    });
  });

  it('ports are published on loopback only, and only where documented', () => {
    for (const [name, doc] of Object.entries(DOCUMENTED)) {
      const ports = service(name).ports ?? [];
      if (doc.port === undefined) {
        expect(ports, name).toEqual([]);
      } else {
        expect(ports, name).toEqual([`127.0.0.1:${doc.port}:${doc.port}`]);
      }
    }
  });

  it('bind mounts point at files of this repository', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const { host } of bindMounts(s)) {
        expect(host.startsWith('./'), `${name}: ${host} is relative to the repository`).toBe(true);
        expect(existsSync(join(ROOT, host)), `${name}: ${host} exists`).toBe(true);
      }
    }
  });

  it('kafka-init is `clvstream topics create` with valid settings, one partition count; auto-creation is off', () => {
    const init = service('kafka-init');
    expect(init.command).toEqual(['topics', 'create']);
    const env = Object.fromEntries(Object.entries(init.environment ?? {}).map(([k, v]) => [k, String(v)]));
    for (const name of Object.keys(env)) expect(SETTINGS.has(name), `${name} is a setting`).toBe(true);
    const parsed = settingsSchema.safeParse(env);
    if (!parsed.success) throw new Error(parsed.error.message);
    expect(parsed.data.KAFKA_BROKERS).toEqual(['kafka:19092']);
    expect(parsed.data.TOPIC_PARTITIONS).toBeGreaterThanOrEqual(1);
    expect(parsed.data.TOPIC_REPLICATION_FACTOR).toBe(1); // one broker
    expect(service('kafka').environment?.['KAFKA_AUTO_CREATE_TOPICS_ENABLE']).toBe('false');
  });

  it('clvstream runs `run` with settings that exist and are valid, on the documented HTTP port', () => {
    const s = service('clvstream');
    expect(s.command).toEqual(['run']);
    const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));
    for (const name of Object.keys(env)) expect(SETTINGS.has(name), `${name} is a setting`).toBe(true);
    const parsed = settingsSchema.safeParse(env);
    if (!parsed.success) throw new Error(parsed.error.message);
    expect(parsed.data.KAFKA_BROKERS).toEqual(['kafka:19092']); // the in-network listener
    expect(parsed.data.REDIS_URL).toBe('redis://redis:6379');
    expect(parsed.data.SCHEMA_REGISTRY_URL).toBe('http://schema-registry:8081');
    expect(s.ports).toEqual([`127.0.0.1:${parsed.data.HTTP_PORT}:${parsed.data.HTTP_PORT}`]);
    expect(s.healthcheck?.test?.join(' ')).toContain(`127.0.0.1:${parsed.data.HTTP_PORT}/healthz`);
  });

  it('the generator runs `generate` against Kafka with options the command has, and settings that exist', () => {
    const s = service('generator');
    const command = s.command ?? [];
    expect(command[0]).toBe('generate');
    const known = new Set(generateCommand().options.map((o) => o.long));
    for (const flag of command.filter((a) => a.startsWith('--'))) expect(known.has(flag), `generate ${flag}`).toBe(true);
    // --brokers without a list: KAFKA_BROKERS.
    expect(command[command.indexOf('--brokers') + 1]).toMatch(/^--/);
    for (const flag of ['--customers', '--rate', '--duration', '--seed']) {
      expect(Number(command[command.indexOf(flag) + 1]), flag).toBeGreaterThan(0);
    }
    const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));
    for (const name of Object.keys(env)) expect(SETTINGS.has(name), `${name} is a setting`).toBe(true);
    expect(settingsSchema.safeParse(env).success).toBe(true);
    expect(env['KAFKA_BROKERS']).toBe(service('clvstream').environment?.['KAFKA_BROKERS']);
  });
});

describe('deploy/prometheus/prometheus.yml', () => {
  const config = parse(read('deploy/prometheus/prometheus.yml')) as {
    global: { scrape_interval: string };
    scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
  };

  it('scrapes clvstream’s /metrics on its HTTP port', () => {
    const job = config.scrape_configs.find((j) => j.job_name === 'clvstream');
    expect(job).toBeDefined();
    expect(job?.metrics_path ?? '/metrics').toBe('/metrics');
    const port = String(service('clvstream').environment?.['HTTP_PORT'] ?? 8080);
    expect(job?.static_configs.flatMap((c) => c.targets)).toEqual([`clvstream:${port}`]);
  });

  it('is mounted where the Prometheus image reads its configuration', () => {
    expect(bindMounts(service('prometheus'))).toContainEqual({ host: './deploy/prometheus/prometheus.yml', container: '/etc/prometheus/prometheus.yml' });
  });

  it.skipIf(!hasPromtool())('passes promtool check config', () => {
    const out = spawnSync('promtool', ['check', 'config', join(ROOT, 'deploy/prometheus/prometheus.yml')], { encoding: 'utf8' });
    expect(out.stdout + out.stderr).toContain('SUCCESS');
    expect(out.status).toBe(0);
  });
});

// ------------------------------------------------------------------ grafana --

interface Target {
  expr?: string;
  datasource?: { type: string; uid: string };
  refId: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; datasource?: { uid: string }; query?: { query: string } | string; definition?: string }[] };
}

const grafanaMounts = bindMounts(service('grafana'));
const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
  apiVersion: number;
  datasources: { name: string; uid: string; type: string; url: string; isDefault?: boolean }[];
};
const providers = parse(read('deploy/grafana/provisioning/dashboards/clvstream.yml')) as {
  apiVersion: number;
  providers: { name: string; type: string; options: { path: string } }[];
};
const dashboard = JSON.parse(read('deploy/grafana/dashboards/clvstream.json')) as Dashboard;
const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');
const expressions = (): string[] => [
  ...queryPanels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')),
  ...dashboard.templating.list.map((v) => (typeof v.query === 'string' ? v.query : (v.query?.query ?? ''))),
];

function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
}

describe('Grafana provisioning (deploy/grafana)', () => {
  it('the provisioning files parse and are mounted where Grafana reads them', () => {
    expect(datasources.apiVersion).toBe(1);
    expect(providers.apiVersion).toBe(1);
    expect(grafanaMounts).toContainEqual({ host: './deploy/grafana/provisioning', container: '/etc/grafana/provisioning' });
    expect(existsSync(join(ROOT, 'deploy/grafana/provisioning/datasources'))).toBe(true);
    expect(existsSync(join(ROOT, 'deploy/grafana/provisioning/dashboards'))).toBe(true);
  });

  it('the datasource is the compose Prometheus', () => {
    expect(datasources.datasources).toHaveLength(1);
    expect(datasources.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true });
    expect(service('prometheus').ports).toEqual(['127.0.0.1:9090:9090']);
  });

  it('the dashboard provider reads the directory the dashboards are mounted at', () => {
    expect(providers.providers).toHaveLength(1);
    const provider = providers.providers[0];
    expect(provider?.type).toBe('file');
    const mount = grafanaMounts.find((m) => m.host === './deploy/grafana/dashboards');
    expect(mount?.container).toBe(provider?.options.path);
    expect(service('grafana').environment?.['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH']).toBe(`${provider?.options.path}/clvstream.json`);
  });
});

describe('the clvstream dashboard (deploy/grafana/dashboards/clvstream.json)', () => {
  const uid = datasources.datasources[0]?.uid;

  it('is a dashboard with unique panel ids and non-overlapping panels', () => {
    expect(dashboard.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    const ids = dashboard.panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Map<string, number>();
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, `${p.title} fits the 24 columns`).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          const other = cells.get(`${x},${y}`);
          expect(other, `panel ${p.id} overlaps panel ${other}`).toBeUndefined();
          cells.set(`${x},${y}`, p.id);
        }
      }
    }
  });

  it('every query uses the provisioned datasource and has a unique refId in its panel', () => {
    expect(uid).toBeTruthy();
    for (const p of queryPanels) {
      expect(p.datasource?.uid, p.title).toBe(uid);
      expect(p.targets?.length, `${p.title} has queries`).toBeGreaterThan(0);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe(uid);
    }
    for (const v of dashboard.templating.list) expect(v.datasource?.uid, v.name).toBe(uid);
  });

  it('has the panels operators need', () => {
    const titles = queryPanels.map((p) => p.title.toLowerCase());
    const needs: [string, RegExp][] = [
      ['consumer lag', /consumer lag/],
      ['throughput', /events processed\/s|throughput/],
      ['dead-letter rate', /dead letters\/s/],
      ['segment transitions', /segment transitions/],
      ['segment distribution', /segment moves/],
      ['churn-risk rate', /churn-risk/],
      ['outbox depth', /outbox depth/],
      ['batch latency', /batch latency/],
    ];
    for (const [what, pattern] of needs) expect(titles.some((t) => pattern.test(t)), what).toBe(true);
    const exprOf = (pattern: RegExp) => queryPanels.filter((p) => pattern.test(p.title.toLowerCase())).flatMap((p) => p.targets ?? []).map((t) => t.expr ?? '').join('\n');
    expect(exprOf(/consumer lag/)).toContain('clvstream_consumer_lag');
    expect(exprOf(/events processed\/s/)).toMatch(/rate\(clvstream_events_processed_total/);
    expect(exprOf(/dead letters\/s/)).toMatch(/rate\(clvstream_events_rejected_total/);
    expect(exprOf(/churn-risk/)).toMatch(/rate\(clvstream_churn_risk_emitted_total/);
    expect(exprOf(/outbox depth/)).toContain('clvstream_outbox_depth');
    expect(exprOf(/batch latency/)).toMatch(/histogram_quantile\(0\.\d+, sum by \(le\) \(rate\(clvstream_batch_duration_seconds_bucket/);
  });

  it('every metric the PromQL refers to is one clvstream exposes (src/ops/metric-names.ts or the default metrics)', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: DEFAULT_METRICS_PREFIX });
    const defaults = await registry.getMetricsAsJSON();
    const exposed = new Set<string>(METRIC_NAMES);
    for (const m of defaults) exposed.add(m.name);
    // A histogram is queried through its _bucket, _sum and _count series: which of
    // the names are histograms, the runtime's registry says.
    const runtime = await new RuntimeMetrics({ defaultMetrics: false }).registry.getMetricsAsJSON();
    const histograms = [...runtime, ...defaults].filter((m) => String(m.type) === 'histogram').map((m) => m.name);
    expect(histograms).toContain('clvstream_batch_duration_seconds');
    for (const h of histograms) for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(h + suffix);

    const referenced = new Set(expressions().flatMap((e) => e.match(/\bclvstream_[a-z0-9_]+/g) ?? []));
    expect(referenced.size).toBeGreaterThan(10);
    const unknown = [...referenced].filter((name) => !exposed.has(name));
    expect(unknown).toEqual([]);
    // And the important ones are all used.
    for (const name of ['clvstream_consumer_lag', 'clvstream_events_processed_total', 'clvstream_events_rejected_total', 'clvstream_outbox_depth', 'clvstream_churn_risk_emitted_total', 'clvstream_segment_transitions_total', 'clvstream_batch_duration_seconds_bucket']) {
      expect(referenced.has(name), name).toBe(true);
    }
  });

  it.skipIf(!hasPromtool())('every PromQL expression parses (promtool check rules)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clvstream-dashboard-'));
    try {
      const grafanaVariables = (e: string) =>
        e.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h').replaceAll('$instance', '.*');
      const rules = expressions()
        .filter((e) => !e.startsWith('label_values('))
        .map((e, i) => `      - record: dashboard:expr${i}\n        expr: ${JSON.stringify(grafanaVariables(e))}`);
      const file = join(dir, 'rules.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const out = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(out.stdout + out.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
      expect(out.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
