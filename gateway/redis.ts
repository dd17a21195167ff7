/**
 * The gateway's Redis connection, set up so that Redis trouble can never make
 * a request wait: commands fail at once while disconnected (no offline queue)
 * and time out quickly when Redis is slow. Callers decide what a failure means
 * (see rate_limit.ts for fail-open and fail-closed limits).
 */
import { Redis } from "ioredis";
import type { Logger } from "@mp/shared/log";

/** Longest a single Redis command may take before it counts as failed. */
export const REDIS_COMMAND_TIMEOUT_MS = 500;

/** Opens the connection; it reconnects by itself, logging once per outage. */
export function connectRedis(url: string, log: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let down = false;
  redis.on("error", (error: Error) => {
    if (down) return;
    down = true;
    // The message may name the host; this goes to the log only, never to a client.
    log.warn("redis unavailable", { error: error.message });
  });
  redis.on("ready", () => {
    if (down) log.info("redis available again");
    down = false;
  });
  return redis;
}
