/**
 * A small time-bounded cache with single flight: within `ttlMs` a key's last
 * result is served; while it is being computed, every caller shares the one
 * computation. A failed computation is not cached. For expensive whole-population
 * reads behind the HTTP server.
 */
export class Cached<T> {
  private readonly done = new Map<string, { readonly at: number; readonly value: T }>();
  private readonly running = new Map<string, Promise<T>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    /** At most this many keys are kept (oldest dropped first). */
    private readonly maxKeys = 32,
  ) {}

  get(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.done.get(key);
    if (hit !== undefined && this.now() - hit.at < this.ttlMs) return Promise.resolve(hit.value);
    const pending = this.running.get(key);
    if (pending !== undefined) return pending;
    const run = compute().then(
      (value) => {
        this.running.delete(key);
        this.done.delete(key);
        this.done.set(key, { at: this.now(), value });
        while (this.done.size > this.maxKeys) this.done.delete(this.done.keys().next().value as string);
        return value;
      },
      (err: unknown) => {
        this.running.delete(key);
        throw err;
      },
    );
    this.running.set(key, run);
    return run;
  }
}
