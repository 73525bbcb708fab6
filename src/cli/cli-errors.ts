/**
 * How the command line ends on an error: one line on stderr, always with the
 * `clvstream:` prefix, and an exit code that says whose fault it was.
 *   2: the command line or the configuration (bad flag or value, a file that
 *      cannot be opened, an invalid setting, a wrong topic layout);
 *   1: a runtime failure (the stack trace only with LOG_LEVEL=debug or trace);
 *   0: the reader closed our output (`clvstream … | head`): not an error.
 */
import { CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { StateAccessError } from '../state/access-check.js';
import { FatalRunnerError } from '../service/fatal-runner-error.js';
import { TopologyError } from '../service/topology.js';
import { RuntimeFailure } from './runtime-failure.js';
import { TopicLayoutError, TopicsCommandError } from './topics-command.js';
import { UsageError } from './usage-error.js';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export const PREFIX = 'clvstream: ';

/** File-system error codes that mean "the path given on the command line is not usable". */
const PATH_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EPERM: 'operation not permitted',
};

/** "no such file or directory" for a file-system error, else its message. */
export function fileErrorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return (typeof code === 'string' ? PATH_ERRORS[code] : undefined) ?? (error instanceof Error ? error.message : String(error));
}

interface Failure {
  readonly exitCode: number;
  /** The line to print (without prefix and newline), or null to print nothing. */
  readonly line: string | null;
  /** A stack trace to print after it, when asked for. */
  readonly stack?: string;
}

/** A closed pipe on our output: the reader has what it wanted. */
export function isClosedPipe(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === 'EPIPE';
}

export function failureOf(error: unknown, options: { debug: boolean }): Failure {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or help/version, which exit 0).
    return { exitCode: error.exitCode === 0 ? EXIT.ok : EXIT.usage, line: null };
  }
  if (isClosedPipe(error)) return { exitCode: EXIT.ok, line: null };
  if (error instanceof ConfigError || error instanceof UsageError || error instanceof TopologyError) {
    return { exitCode: EXIT.usage, line: error.message };
  }
  if (error instanceof TopicLayoutError) {
    // One line per difference, then the count.
    return { exitCode: EXIT.usage, line: [...error.differences, error.message].join(`\n${PREFIX}`) };
  }
  const errno = error as NodeJS.ErrnoException;
  if (typeof errno?.path === 'string' && typeof errno.code === 'string' && errno.code in PATH_ERRORS) {
    return { exitCode: EXIT.usage, line: `${errno.path}: ${PATH_ERRORS[errno.code]}` };
  }
  if (error instanceof RuntimeFailure || error instanceof FatalRunnerError || error instanceof TopicsCommandError || error instanceof StateAccessError) {
    return { exitCode: EXIT.failure, line: error.message, stack: options.debug ? error.stack : undefined };
  }
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error ? error.stack : undefined;
  return {
    exitCode: EXIT.failure,
    line: options.debug ? message : `${message} (LOG_LEVEL=debug shows where)`,
    stack: options.debug ? stack : undefined,
  };
}
