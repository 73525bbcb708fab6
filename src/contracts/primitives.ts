/**
 * Field-level building blocks shared by every event contract.
 *
 * Every rule carries its own message so that a rejection names the field (from the
 * zod path) and the rule (from the message) — these messages are what operators read
 * in the dead-letter topic.
 */
import { z } from 'zod';

/** Printable ASCII without spaces: safe in Redis keys, Kafka keys and log lines. */
const TOKEN = /^[\x21-\x7e]+$/;

export const MAX_ID_LENGTH = 128;
export const MAX_CUSTOMER_ID_LENGTH = 64;
export const MAX_TEXT_LENGTH = 200;

/** Largest accepted amount in major units; anything above is a data error, not a sale. */
export const MAX_AMOUNT_MAJOR = 1_000_000_000;

export const eventId = z
  .string({ message: 'must be a string' })
  .min(1, { message: 'must not be empty' })
  .max(MAX_ID_LENGTH, { message: `must be at most ${MAX_ID_LENGTH} characters` })
  .regex(TOKEN, { message: 'must be printable ASCII without spaces' })
  .describe('Globally unique id of the event, chosen by the producer; repeats are dropped.');

export const customerId = z
  .string({ message: 'must be a string' })
  .min(1, { message: 'must not be empty' })
  .max(MAX_CUSTOMER_ID_LENGTH, { message: `must be at most ${MAX_CUSTOMER_ID_LENGTH} characters` })
  .regex(TOKEN, { message: 'must be printable ASCII without spaces' })
  .describe('Customer identifier; also the Kafka message key.');

export const boundedText = (what: string) =>
  z
    .string({ message: 'must be a string' })
    .min(1, { message: 'must not be empty' })
    .max(MAX_TEXT_LENGTH, { message: `must be at most ${MAX_TEXT_LENGTH} characters` })
    .describe(what);

export const timestamp = z.iso
  .datetime({ offset: true, message: 'must be an ISO-8601 date-time with a UTC offset, e.g. 2026-03-01T12:00:00+01:00' })
  .describe('ISO-8601 date-time with an explicit offset (Z or ±hh:mm).');

export const currencyCode = z
  .string({ message: 'must be a string' })
  .regex(/^[A-Z]{3}$/, { message: 'must be a three-letter upper-case ISO 4217 code' })
  .describe('ISO 4217 currency code.');

/**
 * A money amount as written by the producer: a decimal string ("12.50", preferred,
 * exact) or a JSON number (accepted; its shortest round-trip decimal form is used).
 * Sign, size and precision are checked against the currency in `money.ts`.
 */
export const decimalAmount = z
  .union(
    [
      z.string().regex(/^\d{1,13}(\.\d{1,6})?$/, { message: 'must be a plain decimal like "12.50"' }),
      z.number().finite(),
    ],
    { message: 'must be a decimal string like "12.50" or a number' },
  )
  .describe('Positive amount in major units of `currency`; no finer than the currency allows.');

export type DecimalAmount = z.infer<typeof decimalAmount>;
