/**
 * The realtime edge as a process: `deno run` (not `deno serve`: Socket.io
 * attaches to a node:http server, README.md says why), with the flags of
 * README.md ("Permissions"); main_test.ts runs it under exactly those.
 * SIGTERM: readyz 503, stop consuming, tell and close the sockets, close the
 * server, broker and Redis, exit 0.
 */
import { ConfigError } from "@mp/shared/config";
import { onShutdown } from "@mp/shared/lifecycle";
import { createLogger } from "@mp/shared/log";
import { startRuntimeMetrics } from "@mp/shared/metrics";
import { configOrExit } from "@mp/shared/service";
import { readConfig } from "./config.ts";
import { authenticatorFor, startEdge } from "./edge.ts";

const config = await configOrExit("realtime", () => {
  const config = readConfig();
  try {
    authenticatorFor(config);
  } catch (error) {
    throw new ConfigError([`JWT_JWKS: ${error instanceof Error ? error.message : error}`]);
  }
  return config;
});
const log = createLogger("realtime", config.LOG_LEVEL);
startRuntimeMetrics();

// Whatever a client or a dependency does, one failure must not end every socket.
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  log.error("unhandled rejection", { error: event.reason });
});

const edge = await startEdge(config, log);
onShutdown({ log, drain: edge.drain, steps: edge.steps });
log.info("started", { name: "realtime" });
