/**
 * A JSON-lines sink over a writable stream that respects back-pressure, so that a
 * replay of millions of events neither buffers everything in memory nor drops lines.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

export class LineOutput {
  private pending = '';
  /** The stream's error (a file that cannot be opened, a closed pipe), thrown by the next flush or close. */
  private failure: Error | null = null;
  private constructor(
    private readonly stream: Writable,
    private readonly owned: boolean,
  ) {
    // Without a listener a stream error would be an uncaught exception with a stack trace.
    stream.on('error', (error: Error) => (this.failure ??= error));
  }

  static toFile(path: string): LineOutput {
    return new LineOutput(createWriteStream(path), true);
  }

  static toStream(stream: Writable): LineOutput {
    return new LineOutput(stream, false);
  }

  /** Queues one line of text as it is (a CSV row); call `flush` periodically (and always at the end). */
  writeRaw(line: string): void {
    this.pending += line + '\n';
  }

  /** Queues one JSON line; call `flush` periodically (and always at the end). */
  write(value: unknown): void {
    this.pending += JSON.stringify(value) + '\n';
  }

  async flush(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (this.pending === '') return;
    const chunk = this.pending;
    this.pending = '';
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.owned) {
      if (this.failure !== null) throw this.failure;
      this.stream.end();
      await once(this.stream, 'finish');
    }
  }
}
