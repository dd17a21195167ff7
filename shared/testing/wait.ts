import { createLogger, type Logger } from "../log.ts";

/**
 * A logger for tests: silent, since many tests provoke errors on purpose. Set
 * TEST_LOG=debug|info|warn|error to see the logs of a failing test.
 */
export function quietLogger(service = "test"): Logger {
  const level = Deno.env.get("TEST_LOG");
  const known = ["debug", "info", "warn", "error"] as const;
  return createLogger(service, known.find((l) => l === level) ?? "silent");
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  { timeoutMs = 10_000, intervalMs = 50, what = "condition" } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError}` : ""}`);
}

/** Runs every step in order, then throws the first failure, if any (a cleanup that must finish). */
export async function settleAll(steps: (() => Promise<unknown>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}
