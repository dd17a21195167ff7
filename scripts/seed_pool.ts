/**
 * A bounded pool of async tasks for the seed: at most `concurrency` run at
 * once, tasks may add more tasks while they run (a seller's setup adds its
 * gigs), and urgent tasks go before the others (so a seller's gigs are
 * published while their access token is fresh, before the next signup).
 *
 * The first failure stops the pool: no new task starts, the running ones
 * finish, and `run()` rejects with that failure. Aborting `signal` stops it the
 * same way and `run()` rejects with the signal's reason.
 */
export class WorkQueue {
  readonly #concurrency: number;
  readonly #signal?: AbortSignal;
  readonly #urgent: (() => Promise<void>)[] = [];
  readonly #normal: (() => Promise<void>)[] = [];
  #active = 0;
  #failure: { error: unknown } | undefined;
  #wakers: (() => void)[] = [];

  constructor(concurrency: number, signal?: AbortSignal) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, not ${concurrency}`);
    }
    this.#concurrency = concurrency;
    this.#signal = signal;
    signal?.addEventListener("abort", () => this.#wakeAll(), { once: true });
  }

  /** Queues a task; `urgent` ones run before every normal one. */
  add(task: () => Promise<void>, urgent = false): void {
    (urgent ? this.#urgent : this.#normal).push(task);
    this.#wakeAll();
  }

  /** Runs until every task (including those added meanwhile) is done, or the first failure. */
  async run(): Promise<void> {
    await Promise.all(Array.from({ length: this.#concurrency }, () => this.#worker()));
    if (this.#failure) throw this.#failure.error;
    if (this.#signal?.aborted) throw this.#signal.reason;
  }

  async #worker() {
    while (!this.#failure && !this.#signal?.aborted) {
      const task = this.#urgent.shift() ?? this.#normal.shift();
      if (!task) {
        // Nothing queued: done if nothing runs either, else a running task may add more.
        if (this.#active === 0) return;
        await new Promise<void>((wake) => this.#wakers.push(wake));
        continue;
      }
      this.#active++;
      try {
        await task();
      } catch (error) {
        this.#failure ??= { error };
      } finally {
        this.#active--;
        this.#wakeAll();
      }
    }
  }

  #wakeAll() {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const wake of wakers) wake();
  }
}
