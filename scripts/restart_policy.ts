/**
 * When to restart a process that exited unexpectedly: exponential backoff with
 * jitter, capped, and reset once a run has stayed up a while — compose's
 * `restart: unless-stopped` and Kubernetes' CrashLoopBackOff, for `deno task dev`
 * and the fault tests.
 *
 * Hand-written (why not npm `exponential-backoff`/`p-retry`): those retry a
 * function call until it succeeds; here a long-lived child is restarted on
 * every exit, and the attempt counter resets after an uptime, which they do not model.
 * The delay itself is the shared `backoffDelay`.
 */
import { backoffDelay } from "../shared/backoff.ts";

/** How a supervised process is restarted. */
export interface RestartPolicy {
  /** Delay before the first restart. */
  initialMs: number;
  /** The delay doubles per consecutive restart up to this cap. */
  maxMs: number;
  /** A run that stayed up at least this long starts the backoff over. */
  resetAfterMs: number;
}

/**
 * The default of `deno task dev`: 0.5 s, 1 s, 2 s, … capped at 30 s; reset after
 * 30 s up (Kubernetes starts at 10 s and caps at 5 min; a developer wants sooner).
 */
export const DEV_RESTART_POLICY: RestartPolicy = {
  initialMs: 500,
  maxMs: 30_000,
  resetAfterMs: 30_000,
};

/**
 * Delay before restart number `attempt` (0 = the first after a good run):
 * `min(maxMs, initialMs · 2^attempt)`, of which a random half is taken off
 * ("equal jitter"), so processes that crashed together do not restart together.
 * `random` is in [0, 1).
 */
export function restartDelay(
  policy: RestartPolicy,
  attempt: number,
  random: number = Math.random(),
): number {
  return Math.round(
    backoffDelay(
      { initialMs: policy.initialMs, maxMs: policy.maxMs, jitter: 0.5 },
      attempt,
      random,
    ),
  );
}

/** How an exit reads in the log: `code 1` or `signal SIGKILL`. */
export function describeExit(status: Deno.CommandStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}
