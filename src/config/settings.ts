/**
 * Every setting clvstream reads, in one zod schema. Names are the environment
 * variable names; a configuration file (CLVSTREAM_CONFIG, JSON or YAML) uses the
 * same flat names, and the environment wins over the file. Defaults work against
 * the local stack (docker-compose or scripts/test-infra.sh).
 */
import { z } from 'zod';
import { isKnownCurrency } from '../contracts/currency.js';
import { TOPIC_CONTRACTS } from '../contracts/topics.js';

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

const fraction = (fallback: number) => number(0, 1, fallback);

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
  TOPIC_SEGMENT_CHANGED: topicName('segment-changed'),
  TOPIC_CHURN_RISK: topicName('churn-risk'),
  TOPIC_DEAD_LETTER: topicName('dead-letter'),
  TOPIC_INTERNAL: topicName('internal'),
  SCHEMA_REGISTRY_URL: z.url({ message: 'an http(s) URL' }).optional(),
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
  ACQUISITION_COST: baseAmount,
  REFERRAL_VALUE: baseAmount,
  REFERRAL_PURCHASE_SHARE: fraction(0.1),
  REFERRAL_WINDOW_DAYS: integer(0, 3650, 365),
  RETENTION_RATE: number(0, 0.99, 0.6),
  CLV_HORIZON_DAYS: integer(1, 3650, 365 * 3),
  CLV_ANNUAL_DISCOUNT_RATE: number(0, 1, 0.1),
  // Runtime / operations
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'a pino level' }).default('info'),
  HTTP_PORT: integer(0, 65_535, 8080),
});

export type Settings = z.infer<typeof settingsSchema>;
export type SettingName = keyof Settings;
