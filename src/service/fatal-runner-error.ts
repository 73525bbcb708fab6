/** The reason a stream runner stopped on its own; `run` rejects with it. */
export class FatalRunnerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FatalRunnerError';
  }
}
