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
  const raw: Record<string, unknown> = {};
  const file = options.file ?? options.env['CLVSTREAM_CONFIG'];
  if (file) Object.assign(raw, readConfigFile(file, options.readFile ?? ((p) => readFileSync(p, 'utf8'))));
  for (const [name, value] of Object.entries(options.env)) {
    if (known.has(name) && value !== undefined && value !== '') raw[name] = value;
  }
  const parsed = settingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = issue.path.length > 0 ? String(issue.path[0]) : '(file)';
    if (issue.code === 'unrecognized_keys') {
      return `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')} in the configuration file`;
    }
    const value = raw[name];
    const shown = SECRET.test(name) ? '<redacted>' : JSON.stringify(value);
    return `${name}=${shown} is invalid: expected ${issue.message}`;
  });
  throw new ConfigError(problems);
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
