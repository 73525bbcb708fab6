/**
 * The settings a command reads, with their defaults, for `--help` and
 * `clvstream config check` — generated from the one settings schema, so the
 * help can never name a setting that does not exist or a stale default.
 */
import { settingsSchema, type Settings } from '../config/index.js';
import { settingsForLog } from '../ops/logger.js';

type Name = keyof typeof settingsSchema.shape;

/** A setting value as it would be written in the environment. */
function asEnv(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    return entries.length === 0 ? '' : entries.map(([k, v]) => `${k}=${String(v)}`).join(',');
  }
  return String(value);
}

/** The default of each setting, or null when it has none (unset unless given). */
export function settingDefaults(): Map<Name, string | null> {
  const out = new Map<Name, string | null>();
  for (const [name, schema] of Object.entries(settingsSchema.shape) as [Name, (typeof settingsSchema.shape)[Name]][]) {
    const parsed = schema.safeParse(undefined);
    out.set(name, parsed.success && parsed.data !== undefined ? asEnv(parsed.data) : null);
  }
  return out;
}

/** Settings `serve` does not read: Kafka, the topics, event decoding and the stream runner's. */
export const NOT_FOR_SERVE = /^(KAFKA_|TOPIC_|SCHEMA_REGISTRY_|RUN_|EVENTS_)/;

/** The `--help` section listing the settings (optionally only those `include` accepts). */
export function settingsHelp(include: (name: string) => boolean = () => true): string {
  const defaults = [...settingDefaults()].filter(([name]) => include(name));
  const width = Math.max(...defaults.map(([name]) => name.length));
  const lines = defaults.map(([name, value]) => `  ${name.padEnd(width)}  ${value === null ? '(unset)' : value === '' ? '(empty)' : value}`);
  return [
    '',
    'Settings (environment variables, or the same names in a YAML/JSON file named by CLVSTREAM_CONFIG;',
    'a secret X can also come from the file named by X_FILE). Defaults:',
    ...lines,
    '',
    '`clvstream config check` shows the effective values; docs/operations.md explains each setting.',
  ].join('\n');
}

/** Every setting's effective value as `NAME=value` lines, secrets masked and credentials stripped from URLs. */
export function effectiveSettings(settings: Settings): string {
  const shown = settingsForLog(settings);
  const names = Object.keys(settingsSchema.shape);
  const width = Math.max(...names.map((n) => n.length));
  const defaults = settingDefaults();
  return (
    names
      .map((name) => {
        const value = shown[name];
        const text = value === undefined ? '(unset)' : asEnv(value);
        const note = value !== undefined && defaults.get(name as Name) !== asEnv(value) ? '' : '  (default)';
        return `${name.padEnd(width)}  ${text}${value === undefined ? '' : note}`;
      })
      .join('\n') + '\n'
  );
}
