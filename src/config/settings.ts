/**
 * Every setting clvstream reads, in one zod schema. Names are the environment
 * variable names; a configuration file (CLVSTREAM_CONFIG, JSON or YAML) uses the
 * same flat names, and the environment wins over the file. Defaults work against
 * the local stack (docker-compose or scripts/test-infra.sh).
 */
import { z } from 'zod';
import { isKnownCurrency } from '../contracts/currency.js';
import { INTERACTION_KINDS, type InteractionKind } from '../contracts/inbound.js';
import { TOPIC_CONTRACTS } from '../contracts/topics.js';
import { CHURN_LEVELS, SEGMENT_DIMENSIONS } from '../contracts/segments.js';

const topicDefault = (id: string): string => TOPIC_CONTRACTS.find((t) => t.id === id)?.defaultTopic ?? id;

const topicName = (id: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, { message: 'a Kafka topic name: 1–249 of A–Z a–z 0–9 . _ -' })
    .default(topicDefault(id));

const number = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ message: `a number between ${min} and ${max}` })
    .min(min, { message: `a number between ${min} and ${max}` })
    .max(max, { message: `a number between ${min} and ${max}` })
    .default(fallback);

const integer = (min: number, max: number, fallback: number) =>
  z.coerce
    .number({ message: `an integer between ${min} and ${max}` })
    .int({ message: `an integer between ${min} and ${max}` })
    .min(min, { message: `an integer between ${min} and ${max}` })
    .max(max, { message: `an integer between ${min} and ${max}` })
    .default(fallback);

/** A non-negative decimal amount of the base currency, e.g. "2.50". */
const baseAmount = z
  .string()
  .regex(/^\d{1,12}(\.\d{1,4})?$/, { message: 'a non-negative decimal amount like "2.50"' })
  .default('0');

const list = (item: z.ZodString, what: string) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''))
    .pipe(z.array(item).min(1, { message: `a comma-separated list of ${what}` }));

/** A comma-separated subset of `values` (at least one); default all of them. */
const enumList = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''))
    .pipe(z.array(z.enum(values, { message: `one of ${values.join(', ')}` })).min(1, { message: `a comma-separated list of ${values.join(', ')}` }))
    .default([...values]);

/** `EUR=1.0842,GBP=1.27`: units of base currency per unit of each listed currency. */
const rateTable = z
  .string()
  .default('')
  .transform((s, ctx) => {
    const rates: Record<string, string> = {};
    for (const entry of s.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
      const match = /^([A-Z]{3})=(\d{1,9}(?:\.\d{1,12})?)$/.exec(entry);
      if (!match?.[1] || !match[2] || !isKnownCurrency(match[1]) || /^0*(\.0*)?$/.test(match[2])) {
        ctx.addIssue({ code: 'custom', message: `entries like EUR=1.0842 with an ISO 4217 code and a positive rate (bad entry "${entry}")` });
        return z.NEVER;
      }
      rates[match[1]] = match[2];
    }
    return rates;
  });

/**
 * The activity-cost table, `complaint=4.50,support_contact=2.00`: the cost in
 * the base currency of a service interaction of each listed kind that carries
 * no cost of its own; unlisted kinds cost 0.
 */
const activityCostTable = z
  .string()
  .default('')
  .transform((s, ctx) => {
    const costs: Partial<Record<InteractionKind, string>> = {};
    for (const entry of s.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
      const match = /^([a-z_]+)=(\d{1,12}(?:\.\d{1,4})?)$/.exec(entry);
      const kind = match?.[1];
      if (!match?.[2] || kind === undefined || !(INTERACTION_KINDS as readonly string[]).includes(kind)) {
        ctx.addIssue({
          code: 'custom',
          message: `entries like complaint=4.50 with a kind of ${INTERACTION_KINDS.join(', ')} and a non-negative amount (bad entry "${entry}")`,
        });
        return z.NEVER;
      }
      costs[kind as InteractionKind] = match[2];
    }
    return costs;
  });

const fraction = (fallback: number) => number(0, 1, fallback);

/** `true` or `false` (a YAML boolean in the configuration file reads the same). */
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { message: 'true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true');

/** A file path (e.g. a mounted CA bundle); the file is read when the client is built. */
const path = z.string().min(1, { message: 'a file path' }).max(4096, { message: 'a file path' }).optional();

/** A credential: any non-empty text without line breaks (a `*_FILE` secret has its final newline removed). */
const secret = (what: string) =>
  z
    .string()
    .regex(/^[^\r\n]{1,1024}$/, { message: `${what} (1–1024 characters, one line)` })
    .optional();

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export const settingsSchema = z.strictObject({
  // Kafka
  KAFKA_BROKERS: list(z.string().regex(/^[^\s:]+:\d{1,5}$/, { message: 'host:port' }), 'host:port').default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).max(100).default('clvstream'),
  KAFKA_GROUP_ID: z.string().min(1).max(200).default('clvstream'),
  TOPIC_PURCHASE: topicName('purchase'),
  TOPIC_RETURN: topicName('return'),
  TOPIC_REFERRAL: topicName('referral'),
  TOPIC_CANCELLATION: topicName('cancellation'),
  TOPIC_FEEDBACK: topicName('feedback'),
  TOPIC_INTERACTION: topicName('interaction'),
  TOPIC_SEGMENT_CHANGED: topicName('segment-changed'),
  TOPIC_CHURN_RISK: topicName('churn-risk'),
  TOPIC_DEAD_LETTER: topicName('dead-letter'),
  TOPIC_INTERNAL: topicName('internal'),
  /** Partitions of every topic `clvstream topics create` makes (and `topics check` expects). */
  TOPIC_PARTITIONS: integer(1, 10_000, 12),
  /** Replication factor of those topics; default: 3, or the number of brokers when there are fewer. */
  TOPIC_REPLICATION_FACTOR: z.coerce
    .number({ message: 'an integer between 1 and 32' })
    .int({ message: 'an integer between 1 and 32' })
    .min(1, { message: 'an integer between 1 and 32' })
    .max(32, { message: 'an integer between 1 and 32' })
    .optional(),
  SCHEMA_REGISTRY_URL: z.url({ message: 'an http(s) URL' }).optional(),
  SCHEMA_REGISTRY_USERNAME: secret('a non-empty user name'),
  SCHEMA_REGISTRY_PASSWORD: secret('a non-empty password'),
  /** Wire format of segment-changed, churn-risk and dead letters: plain JSON, or Avro / JSON Schema through the registry. */
  OUTPUT_FORMAT: z.enum(['json', 'avro', 'json-schema'], { message: 'json, avro or json-schema' }).default('json'),
  // Kafka security (docs/operations.md)
  KAFKA_SSL: flag(false),
  KAFKA_SSL_CA_FILE: path,
  /** A client certificate and its key (PEM) for brokers that require TLS client authentication. */
  KAFKA_SSL_CERT_FILE: path,
  KAFKA_SSL_KEY_FILE: path,
  KAFKA_SASL_MECHANISM: z
    .enum(SASL_MECHANISMS, { message: 'one of plain, scram-sha-256, scram-sha-512' })
    .optional(),
  KAFKA_SASL_USERNAME: secret('a non-empty user name'),
  KAFKA_SASL_PASSWORD: secret('a non-empty password'),
  // Redis
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, { message: 'a redis:// or rediss:// URL' })
    .default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: list(z.string().regex(/^[^\s:]+:\d{1,5}$/, { message: 'host:port' }), 'host:port').optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, { message: '1–32 of A–Z a–z 0–9 _ -' })
    .default('clv'),
  REDIS_TLS_CA_FILE: path,
  /** A client certificate and its key (PEM) for a Redis with `tls-auth-clients yes`. */
  REDIS_TLS_CERT_FILE: path,
  REDIS_TLS_KEY_FILE: path,
  // Input rules
  EVENTS_UNKNOWN_FIELDS: z.enum(['reject', 'ignore'], { message: 'reject or ignore' }).default('reject'),
  EVENTS_EARLIEST: z.iso.datetime({ offset: true, message: 'an ISO-8601 date-time with offset' }).default('1990-01-01T00:00:00Z'),
  EVENTS_MAX_FUTURE_SKEW_SECONDS: integer(0, 86_400 * 7, 300),
  EVENTS_MAX_MESSAGE_BYTES: integer(256, 10 * 1024 * 1024, 64 * 1024),
  // Money
  BASE_CURRENCY: z
    .string()
    .refine(isKnownCurrency, { message: 'an ISO 4217 currency code such as USD' })
    .default('USD'),
  CURRENCY_RATES: rateTable,
  // Customer-value model
  MARGIN_RATE: fraction(0.3),
  COST_PER_ORDER: baseAmount,
  COST_PER_RETURN: baseAmount,
  /** The activity-cost table: cost per service-interaction kind when the event carries none. */
  COST_PER_INTERACTION: activityCostTable,
  /** Complaints filed within this many days count for the churn rule (docs/domain.md, "Churn risk"). */
  COMPLAINT_WINDOW_DAYS: integer(1, 3650, 90),
  /** This many open complaints within the window raise the churn level by one; 0: never. */
  COMPLAINT_OPEN_COUNT: integer(0, 1000, 1),
  /** This many complaints within the window, open or not, raise the churn level by one; 0: never. */
  COMPLAINT_REPEATED_COUNT: integer(0, 1000, 2),
  ACQUISITION_COST: baseAmount,
  REFERRAL_VALUE: baseAmount,
  REFERRAL_PURCHASE_SHARE: fraction(0.1),
  REFERRAL_WINDOW_DAYS: integer(0, 3650, 365),
  /** Days after its cause that a referral attribution or credit takes hold (docs/domain.md, "Referrals"). */
  REFERRAL_SETTLE_DAYS: integer(1, 365, 1),
  RETENTION_RATE: number(0, 0.99, 0.6),
  /** Where the simple CLV of population reports takes its yearly retention: RETENTION_RATE, or the retention measured over the latest year. */
  CLV_RETENTION_SOURCE: z.enum(['fixed', 'measured'], { message: 'fixed or measured' }).default('fixed'),
  CLV_HORIZON_DAYS: integer(1, 3650, 365 * 3),
  CLV_ANNUAL_DISCOUNT_RATE: number(0, 1, 0.1),
  /** Predicted CLV discounts period by period; this is the period length (docs/domain.md). */
  CLV_PERIOD_DAYS: integer(1, 366, 91),
  /** A YAML or JSON file of RFM grid, value-quadrant and ladder rules (config/segment-rules.yaml is the default); unset: the built-in rules. */
  SEGMENT_RULES_FILE: path,
  /** The purchase model `clvstream fit` publishes (all are fitted and compared): BG/NBD, modified BG/NBD or Pareto/NBD. */
  FIT_PURCHASE_MODEL: z.enum(['bgnbd', 'mbgnbd', 'pnbd'], { message: 'bgnbd, mbgnbd or pnbd' }).default('bgnbd'),
  /** Dimensions whose changes are emitted as segment-changed events (default: all). */
  EMIT_DIMENSIONS: enumList(SEGMENT_DIMENSIONS),
  /** Churn levels whose entry is emitted as a churn-risk event (default: all). */
  EMIT_CHURN_LEVELS: enumList(CHURN_LEVELS),
  // Streaming runtime (clvstream run)
  KAFKA_SESSION_TIMEOUT_MS: integer(3_000, 300_000, 30_000),
  KAFKA_HEARTBEAT_INTERVAL_MS: integer(100, 60_000, 3_000),
  /**
   * Longest the broker holds a fetch while it has less than KAFKA_FETCH_MIN_BYTES
   * ready: the linger before a live batch, and the wait on quiet topics.
   */
  KAFKA_FETCH_MAX_WAIT_MS: integer(10, 10_000, 25),
  /**
   * Bytes a fetch waits for (up to KAFKA_FETCH_MAX_WAIT_MS) before the broker
   * answers. Under live traffic this gathers up to the wait's worth of records
   * into each partition batch, so there are fewer, larger commits; a backlog
   * fills it at once. 1 answers as soon as anything is there.
   */
  KAFKA_FETCH_MIN_BYTES: integer(1, 64 * 1024 * 1024, 256 * 1024),
  /**
   * How old the consumer's and the relay producer's view of partition leaders may
   * get before it is read again. kafkajs' own default is 5 minutes, and a fetch
   * that a broker stops answering tells nothing of where its partitions went: a
   * short age bounds how long a missed leader change can hold a partition.
   */
  KAFKA_METADATA_MAX_AGE_MS: integer(1_000, 600_000, 5_000),
  /** How often Kafka's committed offsets are brought up to the state in Redis (lag tools read them). */
  KAFKA_OFFSET_COMMIT_INTERVAL_MS: integer(100, 600_000, 1_000),
  /** Records per partition batch: one state read and one atomic commit each. */
  RUN_BATCH_MAX_RECORDS: integer(1, 100_000, 5_000),
  /**
   * How long a partition waits after a fetch brings records before it makes
   * them a batch, so the fetch responses of one round (its topics are led by
   * different brokers) share a batch, a commit and a relay pass. 0: at once.
   */
  RUN_BATCH_LINGER_MS: integer(0, 60_000, 0),
  /** Records buffered per topic-partition before its fetching is paused. */
  RUN_MAX_BUFFERED_RECORDS: integer(100, 1_000_000, 20_000),
  /** How long the merge waits for a topic whose fetch is late before passing it over. */
  RUN_MERGE_MAX_WAIT_MS: integer(0, 600_000, 2_000),
  /** How often due checks are swept and the outbox is relayed, per partition. */
  RUN_SWEEP_INTERVAL_MS: integer(50, 600_000, 1_000),
  /** Relay the outbox from a thread of its own (false: on the thread that consumes and commits). */
  RUN_RELAY_THREAD: flag(true),
  /** A partition idle this long lets wall-clock time move its watermark (0: never). */
  RUN_IDLE_WATERMARK_SECONDS: integer(0, 86_400 * 30, 3_600),
  /**
   * An input that fails to reduce or store (a fault in our code, a state the
   * codec refuses): dead-letter it (processing_error) and go on, or stop its
   * partition (the batch is retried until someone acts).
   */
  ON_PROCESSING_ERROR: z.enum(['dead-letter', 'stop'], { message: 'dead-letter or stop' }).default('dead-letter'),
  /** Bound on a graceful stop (SIGTERM): finish the batch, commit, relay, leave the group. */
  RUN_SHUTDOWN_TIMEOUT_SECONDS: integer(1, 600, 30),
  /** How often a running processor looks for a new model version in Redis (`clvstream fit` publishes one). */
  MODEL_POLL_SECONDS: integer(1, 3_600, 15),
  /**
   * After a new model version is picked up, every customer of a partition is
   * re-scored in the background at most this fast (customers per second per
   * partition), so live events keep their pace.
   */
  RESCORE_CUSTOMERS_PER_SECOND: integer(1, 1_000_000, 2_000),
  /** Customers per re-score chunk: one load, re-score and fenced commit, between the partition's batches. */
  RESCORE_CHUNK_CUSTOMERS: integer(1, 10_000, 200),
  // Runtime / operations
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'a pino level' }).default('info'),
  HTTP_PORT: integer(0, 65_535, 8080),
  /**
   * Address the operations HTTP server binds: every interface by default (a
   * container's probes and scrapers come from outside it); 127.0.0.1 or ::1
   * keeps it on this machine.
   */
  HTTP_HOST: z.union([z.ipv4(), z.ipv6(), z.hostname()], { message: 'an IP address or a host name' }).default('0.0.0.0'),
  HTTP_BEARER_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,512}$/, { message: '16–512 printable ASCII characters without spaces' })
    .optional(),
}).superRefine((s, ctx) => {
  // Settings that only make sense together; each issue names the setting to fix.
  const need = (name: SecuritySetting, message: string) => ctx.addIssue({ code: 'custom', path: [name], message });
  if (s.KAFKA_SASL_MECHANISM !== undefined) {
    const why = `set when KAFKA_SASL_MECHANISM is ${s.KAFKA_SASL_MECHANISM}`;
    if (s.KAFKA_SASL_USERNAME === undefined) need('KAFKA_SASL_USERNAME', `a user name ${why}`);
    if (s.KAFKA_SASL_PASSWORD === undefined) need('KAFKA_SASL_PASSWORD', `a password ${why}`);
  } else {
    if (s.KAFKA_SASL_USERNAME !== undefined) need('KAFKA_SASL_MECHANISM', 'plain, scram-sha-256 or scram-sha-512 when KAFKA_SASL_USERNAME is set');
    else if (s.KAFKA_SASL_PASSWORD !== undefined) need('KAFKA_SASL_MECHANISM', 'plain, scram-sha-256 or scram-sha-512 when KAFKA_SASL_PASSWORD is set');
  }
  if (s.KAFKA_SSL_CA_FILE !== undefined && s.KAFKA_SSL !== true) need('KAFKA_SSL', 'true when KAFKA_SSL_CA_FILE is set');
  if (s.KAFKA_SSL_CERT_FILE !== undefined && s.KAFKA_SSL !== true) need('KAFKA_SSL', 'true when KAFKA_SSL_CERT_FILE is set');
  if ((s.KAFKA_SSL_CERT_FILE === undefined) !== (s.KAFKA_SSL_KEY_FILE === undefined)) {
    if (s.KAFKA_SSL_CERT_FILE === undefined) need('KAFKA_SSL_CERT_FILE', 'a PEM certificate when KAFKA_SSL_KEY_FILE is set');
    else need('KAFKA_SSL_KEY_FILE', 'a PEM key when KAFKA_SSL_CERT_FILE is set');
  }
  if ((s.REDIS_TLS_CERT_FILE === undefined) !== (s.REDIS_TLS_KEY_FILE === undefined)) {
    if (s.REDIS_TLS_CERT_FILE === undefined) need('REDIS_TLS_CERT_FILE', 'a PEM certificate when REDIS_TLS_KEY_FILE is set');
    else need('REDIS_TLS_KEY_FILE', 'a PEM key when REDIS_TLS_CERT_FILE is set');
  }
  if ((s.SCHEMA_REGISTRY_USERNAME === undefined) !== (s.SCHEMA_REGISTRY_PASSWORD === undefined)) {
    if (s.SCHEMA_REGISTRY_USERNAME === undefined) need('SCHEMA_REGISTRY_USERNAME', 'a user name when SCHEMA_REGISTRY_PASSWORD is set');
    else need('SCHEMA_REGISTRY_PASSWORD', 'a password when SCHEMA_REGISTRY_USERNAME is set');
  }
  if (s.OUTPUT_FORMAT !== 'json' && s.SCHEMA_REGISTRY_URL === undefined) {
    need('SCHEMA_REGISTRY_URL', `an http(s) URL when OUTPUT_FORMAT is ${s.OUTPUT_FORMAT}`);
  }
  if (s.SCHEMA_REGISTRY_USERNAME !== undefined && s.SCHEMA_REGISTRY_URL === undefined) {
    need('SCHEMA_REGISTRY_URL', 'an http(s) URL when SCHEMA_REGISTRY_USERNAME is set');
  }
  for (const file of ['REDIS_TLS_CA_FILE', 'REDIS_TLS_CERT_FILE'] as const) {
    if (s[file] !== undefined && typeof s.REDIS_URL === 'string' && !s.REDIS_URL.startsWith('rediss://')) {
      need('REDIS_URL', `a rediss:// URL when ${file} is set`);
      break;
    }
  }
});

type SecuritySetting =
  | 'KAFKA_SSL'
  | 'KAFKA_SSL_CERT_FILE'
  | 'KAFKA_SSL_KEY_FILE'
  | 'REDIS_TLS_CERT_FILE'
  | 'REDIS_TLS_KEY_FILE'
  | 'KAFKA_SASL_MECHANISM'
  | 'KAFKA_SASL_USERNAME'
  | 'KAFKA_SASL_PASSWORD'
  | 'SCHEMA_REGISTRY_URL'
  | 'SCHEMA_REGISTRY_USERNAME'
  | 'SCHEMA_REGISTRY_PASSWORD'
  | 'REDIS_URL';

export type Settings = z.infer<typeof settingsSchema>;
export type SettingName = keyof Settings;
