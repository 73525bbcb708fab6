/**
 * The process logger: pino, one JSON object per line on stdout, level from
 * LOG_LEVEL. Secrets never reach the output:
 *
 * - fields named like a credential (password, token, secret, authorization,
 *   cookie, the secret settings) are replaced by `[redacted]` at the top level
 *   and up to two levels deep;
 * - fields named like a URL (url, REDIS_URL, SCHEMA_REGISTRY_URL, …) keep the URL
 *   but lose its user name and password (`redactUrl`);
 * - error messages and stacks have credentials in URLs stripped (`redactUrlsInText`).
 *
 * Convention: the runtime logs partition work through `partitionLogger`, which
 * binds topic / partition / offset. Customer data (ids, states) and message
 * payloads are never logged at info level or above; they may appear at debug or
 * trace only (docs/operations.md).
 */
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import type { Settings } from '../config/settings.js';

export type { Logger };

const CENSOR = '[redacted]';

/** Field names whose value is a secret, wherever they appear (case-sensitive, as written in code and settings). */
const SECRET_FIELDS = [
  'password',
  'passwd',
  'secret',
  'token',
  'accessToken',
  'bearerToken',
  'apiKey',
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'sasl',
  'KAFKA_SASL_PASSWORD',
  'SCHEMA_REGISTRY_PASSWORD',
  'HTTP_BEARER_TOKEN',
] as const;

/** Field names whose value is a URL that may carry credentials. */
const URL_FIELDS = ['url', 'href', 'redisUrl', 'REDIS_URL', 'SCHEMA_REGISTRY_URL', 'host'] as const;

const URL_FIELD_SET: ReadonlySet<string> = new Set(URL_FIELDS);

/** The pino redact paths: each field at the top level and one and two levels deep. */
export const REDACT_PATHS: readonly string[] = [...SECRET_FIELDS, ...URL_FIELDS].flatMap((field) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(field) ? field : `["${field}"]`;
  const sep = key.startsWith('[') ? '' : '.';
  return [key, `*${sep}${key}`, `*.*${sep}${key}`];
});

/**
 * The URL without user name and password (`redis://:****@host:6379/0` →
 * `redis://host:6379/0`); query parameters named like a secret are masked too.
 * Text that does not parse as a URL is returned with any `user:pass@` part removed.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return redactUrlsInText(url);
  }
  const hadCredentials = u.username !== '' || u.password !== '';
  u.username = '';
  u.password = '';
  let maskedQuery = false;
  for (const name of [...u.searchParams.keys()]) {
    if (/pass|secret|token|key|auth/i.test(name)) {
      u.searchParams.set(name, CENSOR);
      maskedQuery = true;
    }
  }
  if (!hadCredentials && !maskedQuery) return url; // keep the original spelling
  return u.toString();
}

/** Removes `user:password@` from every `scheme://…` URL inside free text (error messages, stacks). */
export function redactUrlsInText(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1');
}

function censor(value: unknown, path: string[]): unknown {
  const field = path[path.length - 1];
  if (typeof value === 'string' && field !== undefined && URL_FIELD_SET.has(field)) return redactUrl(value);
  if (field !== undefined && URL_FIELD_SET.has(field)) return value; // a number, an object…: nothing to strip
  return CENSOR;
}

/**
 * pino's error serializer, with credentials in URLs stripped from message and
 * stack. Stack traces only with `keepStack` (LOG_LEVEL debug or trace): at the
 * usual levels an error is its type, code and message, one readable line.
 */
function errorSerializer(keepStack: boolean): (err: unknown) => unknown {
  return (err) => {
    const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
    if (typeof out !== 'object' || out === null) return out;
    if (!keepStack) delete out['stack'];
    for (const field of ['message', 'stack'] as const) {
      const v = out[field];
      if (typeof v === 'string') out[field] = redactUrlsInText(v);
    }
    return out;
  };
}

export interface LoggerOptions {
  /** Default `info`. */
  readonly level?: LevelWithSilent;
  /** Where lines go; default stdout. Tests pass a stream that collects them. */
  readonly destination?: DestinationStream;
  /** Fields on every line (default: none besides pino's pid/hostname). */
  readonly base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const serializer = errorSerializer(level === 'debug' || level === 'trace');
  const config = {
    level,
    base: { pid: process.pid, ...options.base },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    serializers: { err: serializer, error: serializer },
    redact: { paths: [...REDACT_PATHS], censor },
  };
  return options.destination === undefined ? pino(config) : pino(config, options.destination);
}

/** The logger of `clvstream run` and the other long-running commands. */
export function loggerFromSettings(settings: Pick<Settings, 'LOG_LEVEL'>, destination?: DestinationStream): Logger {
  return createLogger({ level: settings.LOG_LEVEL, base: { service: 'clvstream' }, destination });
}

export interface PartitionContext {
  readonly topic?: string;
  readonly partition: number;
  /** The record's offset (decimal string; Kafka offsets are int64). */
  readonly offset?: string | bigint | number;
}

/**
 * A child logger bound to a partition (and topic, offset): what the runtime uses
 * for everything it does on behalf of a partition, so lines can be filtered by it.
 */
export function partitionLogger(logger: Logger, context: PartitionContext): Logger {
  const bindings: Record<string, string | number> = { partition: context.partition };
  if (context.topic !== undefined) bindings['topic'] = context.topic;
  if (context.offset !== undefined) bindings['offset'] = String(context.offset);
  return logger.child(bindings);
}

const SECRET_SETTING = /PASSWORD|TOKEN|SECRET/;

/**
 * The settings as they may be logged at start-up: secrets replaced by
 * `[redacted]` (or left out when unset), URLs without credentials.
 */
export function settingsForLog(settings: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(settings) as [string, unknown][]) {
    if (value === undefined) continue;
    if (SECRET_SETTING.test(name)) out[name] = CENSOR;
    else if (typeof value === 'string' && /_URL$/.test(name)) out[name] = redactUrl(value);
    else out[name] = value;
  }
  return out;
}
