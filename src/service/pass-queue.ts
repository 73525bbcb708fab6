/**
 * One relay pass per partition at a time, and at most one waiting behind it.
 *
 * The runner asks for a pass after every commit. Joining the pass already
 * running is not enough: it may have read the outbox before that commit, and
 * would then finish without the new records, which would wait for the next
 * commit or sweep tick (up to a second on a quiet partition, or for good at
 * shutdown). So a request made while a pass runs queues one follow-up pass,
 * started when the running one settles; every request made meanwhile shares it.
 * The follow-up starts the latest request's way (its partition task's stop
 * signal: after a re-claim, the new owner's).
 */
export class PassQueue<T> {
  private readonly running = new Map<number, Promise<T>>();
  private readonly waiting = new Map<number, Promise<T>>();
  private readonly latestStart = new Map<number, () => Promise<T>>();

  run(partition: number, start: () => Promise<T>): Promise<T> {
    const queued = this.waiting.get(partition);
    if (queued !== undefined) {
      this.latestStart.set(partition, start);
      return queued;
    }
    const current = this.running.get(partition);
    if (current === undefined) return this.begin(partition, start);
    this.latestStart.set(partition, start);
    const follow = current
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        const latest = this.latestStart.get(partition) ?? start;
        this.waiting.delete(partition);
        this.latestStart.delete(partition);
        return this.begin(partition, latest);
      });
    this.waiting.set(partition, follow);
    return follow;
  }

  /** Settles when every pass running or waiting now has settled. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.running.values(), ...this.waiting.values()]);
  }

  private begin(partition: number, start: () => Promise<T>): Promise<T> {
    const pass = start().finally(() => {
      if (this.running.get(partition) === pass) this.running.delete(partition);
    });
    this.running.set(partition, pass);
    return pass;
  }
}
