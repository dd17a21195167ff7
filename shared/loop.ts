/**
 * The one polling loop of the project, behind the outbox relay, retention, the
 * orders scheduler and the mail sender: run a tick, keep going while it finds
 * work, otherwise wait for the interval or a `wake()` (a NOTIFY), back off after
 * failures, and stop cleanly between ticks.
 *
 * Hand-written (why not npm `set-interval-async`): it runs on a fixed interval
 * only; the wake-up, the "busy, go again" and the failure backoff are what our
 * loops need.
 */
import { backoffDelay, type BackoffPolicy } from "./backoff.ts";

/**
 * What a tick found:
 * - `busy`: there may be more; the next tick runs at once.
 * - `idle`: nothing to do; wait for the interval, unless `wake()` was called
 *   during the tick (its news may have come after the tick looked).
 * - `pause`: wait for the interval even if woken during the tick (a failed send:
 *   the next row would likely fail too); a wake during the wait still ends it.
 */
export type TickResult = "busy" | "idle" | "pause";

/** Options of `PollingLoop`. */
export interface PollingLoopOptions {
  /** One round of work. `signal` is aborted by `stop()`, for work that can end early. */
  tick: (signal: AbortSignal) => Promise<TickResult>;
  /** Wait (ms) after an idle tick. */
  intervalMs: number;
  /** Wait (ms) before the first tick; default 0. */
  firstDelayMs?: number;
  /** Told of every failed tick, with the count of consecutive failures (logging). */
  onError: (error: unknown, failures: number) => void;
  /** Wait after a failed tick, by consecutive failures; default: the interval. */
  failureBackoff?: BackoffPolicy;
}

/** A background loop of ticks; `start()`, `wake()` when there is news, `stop()` on shutdown. */
export class PollingLoop {
  #running = false;
  #loop?: Promise<void>;
  #abort = new AbortController();
  // Set by wake(); cleared when a tick begins, so a wake during a tick is not missed.
  #woken = false;
  #endWait?: () => void;

  constructor(private readonly options: PollingLoopOptions) {}

  /** `true` between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }

  /** Starts the loop in the background; a no-op when running. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    this.#loop = this.#run();
  }

  /** Ends the current wait now, or, during a tick, makes an `idle` tick run again at once. */
  wake(): void {
    this.#woken = true;
    this.#endWait?.();
  }

  /** Aborts the tick's signal, ends the wait, and resolves once the tick in progress is over. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#abort.abort();
    this.#endWait?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { tick, intervalMs, firstDelayMs = 0, onError, failureBackoff } = this.options;
    let failures = 0;
    if (firstDelayMs > 0) await this.#wait(firstDelayMs);
    while (this.#running) {
      this.#woken = false;
      let wait: number;
      try {
        const result = await tick(this.#abort.signal);
        failures = 0;
        if (result === "busy" || (result === "idle" && this.#woken)) continue;
        wait = intervalMs;
      } catch (error) {
        failures++;
        onError(error, failures);
        wait = failureBackoff ? backoffDelay(failureBackoff, failures - 1) : intervalMs;
      }
      if (!this.#running) break;
      await this.#wait(wait);
    }
  }

  #wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.#endWait = undefined;
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.#endWait = end;
    });
  }
}
