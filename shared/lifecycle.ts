/**
 * Graceful shutdown on SIGTERM/SIGINT.
 *
 * Services run under `deno serve`, which owns the listener, so "stop accepting"
 * happens in the app: the `Drain` answers new requests (and `/readyz`) with 503
 * while requests in progress finish. Then the steps run in order (stop consumers,
 * stop relays, close broker, database and Redis connections) and the process
 * exits, with a hard deadline so a stuck dependency cannot keep it alive.
 */
import type { Drain } from "./http.ts";
import type { Logger } from "./log.ts";

/** One named shutdown step. */
export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown> | unknown;
}

/** Installs the signal handlers. Returns the shutdown function (also used by tests). */
export function onShutdown(
  options: { log: Logger; drain: Drain; steps: ShutdownStep[]; deadlineMs?: number },
): () => Promise<void> {
  const { log, drain, steps, deadlineMs = 10_000 } = options;
  let started: Promise<void> | undefined;
  const shutdown = () => {
    started ??= (async () => {
      log.info("shutting down");
      const deadline = setTimeout(() => {
        log.error("shutdown deadline passed, exiting");
        Deno.exit(1);
      }, deadlineMs);
      await drain.drain();
      for (const step of steps) {
        try {
          await step.run();
        } catch (error) {
          log.warn("shutdown step failed", { step: step.name, error });
        }
      }
      clearTimeout(deadline);
      log.info("stopped");
      Deno.exit(0);
    })();
    return started;
  };
  Deno.addSignalListener("SIGTERM", shutdown);
  Deno.addSignalListener("SIGINT", shutdown);
  return shutdown;
}
