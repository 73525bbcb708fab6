/**
 * Structured JSON logs (pino) to stderr, so stdout stays free for data (replay
 * emissions, import events). Customer data and payloads are never logged at info.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'clvstream'): Logger {
  return pino({ name, level, redact: { paths: ['*.password', '*.token', '*.secret'], censor: '<redacted>' } }, pino.destination(2));
}
