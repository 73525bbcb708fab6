/** A logger whose JSON lines are collected in memory, for assertions. Not a test file itself. */
import type { LevelWithSilent } from 'pino';
import { createLogger, type Logger } from '../../src/ops/logger.js';

export interface CapturedLogger {
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
  /** Everything written, as one string (to assert something never appears). */
  readonly text: () => string;
}

export function captureLogger(level: LevelWithSilent = 'info'): CapturedLogger {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    destination: {
      write: (s: string) => {
        raw.push(s);
        for (const line of s.split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { logger, lines, text: () => raw.join('') };
}
