/**
 * Loads and validates the configuration once, at start-up. An invalid setting is
 * fatal and the error names the setting, the value given and what is allowed.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { settingsSchema, type Settings } from './settings.js';
import { ConfigError } from './config-error.js';

const SECRET = /PASSWORD|TOKEN|SECRET|KEY$/;

export interface LoadOptions {
  /** Usually `process.env`. */
  env: Record<string, string | undefined>;
  /** Overrides the CLVSTREAM_CONFIG file path. */
  file?: string;
  /** Reads a file; injectable for tests. */
  readFile?: (path: string) => string;
}

export function loadSettings(options: LoadOptions): Settings {
  const known = new Set(Object.keys(settingsSchema.shape));
  const read = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  const file = options.file ?? options.env['CLVSTREAM_CONFIG'];
  if (file) Object.assign(raw, resolveSecretFiles(readConfigFile(file, read), known, read, problems, 'the configuration file'));
  const fromEnv: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options.env)) {
    if ((known.has(name) || known.has(secretFileBase(name) ?? '')) && value !== undefined && value !== '') fromEnv[name] = value;
  }
  const env = resolveSecretFiles(fromEnv, known, read, problems, 'the environment');
  // The environment wins over the file, also across the two spellings X and X_FILE.
  for (const name of Object.keys(env)) delete raw[name];
  Object.assign(raw, env);
  const redisConflict = redisTargetConflict(raw['REDIS_URL'], raw['REDIS_CLUSTER_NODES']);
  if (redisConflict !== null) problems.push(redisConflict);
  if (problems.length > 0) throw new ConfigError(problems);
  const parsed = settingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const name = issue.path.length > 0 ? String(issue.path[0]) : '(file)';
    if (issue.code === 'unrecognized_keys') {
      problems.push(`unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')} in the configuration file`);
      continue;
    }
    const value = raw[name];
    if (value === undefined) {
      problems.push(`${name} is not set: expected ${issue.message}`);
      continue;
    }
    const shown = SECRET.test(name) ? '<redacted>' : JSON.stringify(value);
    problems.push(`${name}=${shown} is invalid: expected ${issue.message}`);
  }
  throw new ConfigError(problems);
}

/**
 * With REDIS_CLUSTER_NODES set, REDIS_URL only lends the cluster its credentials
 * and TLS: a URL naming any other server would be silently ignored (the operator
 * meant one Redis and the service would write to another), so it is refused. The
 * raw values are checked because REDIS_URL has a default.
 */
function redisTargetConflict(url: unknown, clusterNodes: unknown): string | null {
  if (typeof url !== 'string' || typeof clusterNodes !== 'string') return null;
  const nodes = clusterNodes.split(',').map((n) => n.trim()).filter((n) => n !== '');
  let host: string;
  try {
    const parsed = new URL(url);
    host = `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return null; // the schema names the malformed URL itself
  }
  if (nodes.includes(host)) return null;
  return (
    `REDIS_URL and REDIS_CLUSTER_NODES are both set, and REDIS_URL names ${host}, which is not one of the cluster nodes (${nodes.join(', ')}): ` +
    'set REDIS_URL alone for a single Redis, or REDIS_CLUSTER_NODES for a cluster (with REDIS_URL, if given, naming one of its nodes to carry the credentials and TLS)'
  );
}

/** `X` for a name `X_FILE`, else undefined. */
function secretFileBase(name: string): string | undefined {
  return name.endsWith('_FILE') && name.length > '_FILE'.length ? name.slice(0, -'_FILE'.length) : undefined;
}

/**
 * `X_FILE=<path>` for a known setting X (typically a mounted Kubernetes or Docker
 * secret) reads the file into X, without its final line break. Setting both X
 * and X_FILE in one source is an error. Names that are settings themselves (e.g.
 * KAFKA_SSL_CA_FILE, a path) are left alone.
 */
function resolveSecretFiles(
  values: Record<string, unknown>,
  known: ReadonlySet<string>,
  read: (path: string) => string,
  problems: string[],
  source: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const base = secretFileBase(name);
    if (known.has(name) || base === undefined || !known.has(base)) {
      out[name] = value;
      continue;
    }
    if (values[base] !== undefined) {
      problems.push(`${base} and ${name} are both set in ${source}: set one of them`);
      continue;
    }
    const path = String(value);
    try {
      out[base] = read(path).replace(/(\r?\n)+$/, '');
    } catch (cause) {
      problems.push(`${name}=${JSON.stringify(path)} cannot be read: ${(cause as Error).message}`);
    }
  }
  return out;
}

function readConfigFile(path: string, read: (p: string) => string): Record<string, unknown> {
  let text: string;
  try {
    text = read(path);
  } catch (cause) {
    throw new ConfigError([`CLVSTREAM_CONFIG=${JSON.stringify(path)} cannot be read: ${(cause as Error).message}`]);
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new ConfigError([`CLVSTREAM_CONFIG=${JSON.stringify(path)} is not valid JSON/YAML: ${(cause as Error).message}`]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError([`CLVSTREAM_CONFIG=${JSON.stringify(path)} must hold a mapping of SETTING: value`]);
  }
  // File values may be numbers or lists; settings are parsed from their string form like env vars.
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : typeof v === 'object' ? v : String(v)]),
  );
}
