/**
 * The one backoff of the project: exponential, capped, with jitter. Every retry
 * and reconnect delay (outbox relay, mail sender, bus reconnect and handler
 * retries, database transaction retries and reconnects, the dev supervisor's
 * restarts) is `backoffDelay` with its own policy.
 *
 * Hand-written (why not npm `exponential-backoff`): it only wraps a function in
 * a retry loop and does not hand out the delay, which our loops, amqplib's
 * `calculateDelay` and the postgres driver's `backoff` option need.
 */

/** How a delay grows with consecutive failures. */
export interface BackoffPolicy {
  /** Delay (ms) at attempt 0; it doubles per attempt. */
  initialMs: number;
  /** Cap on the doubled delay (ms); `Infinity` for none. */
  maxMs: number;
  /**
   * Fraction of the delay taken off at random, from 0 (none) to 1 ("full
   * jitter"); 0.5 is "equal jitter". Keeps processes that failed together from
   * retrying together.
   */
  jitter: number;
}

/**
 * Delay (ms) before retry number `attempt` (0 = the first):
 * `base = min(maxMs, initialMs · 2^attempt)`, less `jitter · base · (1 − random)`,
 * so the result lies in `[base · (1 − jitter), base]`. `random` is in [0, 1).
 */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  random: number = Math.random(),
): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return base * (1 - policy.jitter) + base * policy.jitter * random;
}

/**
 * The wait of a background loop after consecutive failures of its work (the
 * database or broker is likely down): 0.4 s doubling to 5 s, equal jitter.
 * `attempt` 0 follows the first failure.
 */
export const LOOP_FAILURE_BACKOFF: BackoffPolicy = { initialMs: 400, maxMs: 5_000, jitter: 0.5 };
