/**
 * How much CPU password hashing may take, adapted to how the rest of the
 * process fares: the hashing duty cycle (hash time per wall second and worker)
 * is capped, halved when the event loop falls behind and raised step by step
 * while it keeps up (AIMD, as TCP does with its window).
 *
 * Why the event loop's delay: an argon2id hash holds a core for ~50 ms; on a
 * small machine that core is taken from the gateway, PostgreSQL and auth's own
 * request thread. When they lack CPU, auth's timers fire late, so a timer's
 * lateness is the cheapest signal of "the rest is slowing" a process can read
 * without extra permissions (load averages need `--allow-sys`, and lag a minute).
 * A hash cannot be paused once started; the governor only spaces the starts.
 *
 * Why not a library: hash-wasm has no scheduler, and the pool (password.ts) is
 * the only place that knows when a hash starts and ends.
 */

/** Settings of the governor; every field has a default. */
export interface GovernorOptions {
  /** Highest share of wall time one worker may spend hashing (0–1]. Default 0.25. */
  maxDuty?: number;
  /** Lowest share it is throttled to, so logins still progress under load. Default 0.05. */
  minDuty?: number;
  /** Worst event-loop delay per period (ms) above which hashing is halved. Default 10. */
  lagLimitMs?: number;
  /** Control period (ms): the loop is sampled every tenth of it (read by the pool). Default 250. */
  periodMs?: number;
  /**
   * Longest rest after one hash (ms). Default 1,000. A hash's time is wall time: on a
   * starved machine (or the first hash, which compiles the WebAssembly) it can take
   * seconds, and at a low duty its rest would then keep every sign-in waiting past
   * the gateway's timeout.
   */
  maxRestMs?: number;
}

/** Additive increase per calm period, as a share of wall time. */
const STEP = 0.05;

/**
 * The duty cycle and its AIMD rule. Pure: fed one measurement per period by
 * `watchEventLoop` (or a test), read by the pool before each start.
 */
export class HashGovernor {
  readonly maxDuty: number;
  readonly minDuty: number;
  readonly lagLimitMs: number;
  readonly maxRestMs: number;
  #duty: number;

  constructor(options: GovernorOptions = {}) {
    this.maxDuty = options.maxDuty ?? 0.25;
    this.minDuty = Math.min(options.minDuty ?? 0.05, this.maxDuty);
    this.lagLimitMs = options.lagLimitMs ?? 10;
    this.maxRestMs = options.maxRestMs ?? 1_000;
    if (!(this.minDuty > 0 && this.maxDuty <= 1)) {
      throw new RangeError("duty cycles must lie in (0, 1]");
    }
    this.#duty = this.maxDuty;
  }

  /** Current share of wall time a worker may spend hashing. */
  get duty(): number {
    return this.#duty;
  }

  /** Feeds one period's worst event-loop delay: halve when over the limit, else step up. */
  observe(lagMs: number): void {
    this.#duty = lagMs > this.lagLimitMs
      ? Math.max(this.minDuty, this.#duty / 2)
      : Math.min(this.maxDuty, this.#duty + STEP);
  }

  /**
   * Rest a worker owes after a hash of `busyMs`, at the current duty: busy ÷
   * (busy + rest) = duty, at most `maxRestMs`. Read at each check, so a
   * throttle lengthens rests already running.
   */
  restMs(busyMs: number): number {
    return Math.min(this.maxRestMs, busyMs * (1 / this.#duty - 1));
  }
}

/**
 * Samples this thread's event-loop delay (how late a timer set for a tenth of
 * the period fires) and calls `onPeriod` with the worst delay once per
 * `periodMs`. Returns a stop function. The timer does not keep the process alive.
 */
export function watchEventLoop(periodMs: number, onPeriod: (worstLagMs: number) => void) {
  const sampleMs = Math.max(1, Math.round(periodMs / 10));
  let expected = performance.now() + sampleMs;
  let periodEnd = performance.now() + periodMs;
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - expected);
    expected = now + sampleMs;
    if (now >= periodEnd) {
      onPeriod(worst);
      worst = 0;
      periodEnd = now + periodMs;
    }
  }, sampleMs);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
