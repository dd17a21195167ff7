/**
 * The one Redis connection setup (ioredis), made so that Redis trouble can never
 * make a request wait: commands fail at once while disconnected (no offline
 * queue) and time out quickly when Redis is slow. Callers decide what a failure
 * means (the gateway's limits fail open or closed, gigs' cache reads the database).
 */
import { Redis } from "ioredis";
import type { Logger } from "./log.ts";

/** Longest a single Redis command may take before it counts as failed. */
export const REDIS_COMMAND_TIMEOUT_MS = 500;

/** Options of `connectRedis`. */
export interface RedisOptions {
  /** Namespaces every key (tests use a unique one per suite). */
  keyPrefix?: string;
  /** Logged once per outage; says what the process does meanwhile. */
  downMessage?: string;
}

/** Opens the connection; it reconnects by itself, logging once per outage. */
export function connectRedis(url: string, log: Logger, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    keyPrefix: options.keyPrefix,
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
    log.warn(options.downMessage ?? "redis unavailable", { error: error.message });
  });
  redis.on("ready", () => {
    if (down) log.info("redis available again");
    down = false;
  });
  return redis;
}

/** Closes the connection: QUIT waits for pending replies; without a connection there are none. */
export function closeRedis(redis: Redis): Promise<unknown> {
  return redis.status === "ready" ? redis.quit() : Promise.resolve(redis.disconnect());
}
