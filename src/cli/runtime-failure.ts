/** A runtime failure explained in one line: printed as is (no stack trace), exit code 1. */
export class RuntimeFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeFailure';
  }
}
