/**
 * The three Redis connections of an instance: commands (presence, contacts;
 * under `REDIS_PREFIX`, failing fast as the kit's `connectRedis` does), and the
 * Socket.io adapter's publisher and subscriber.
 *
 * The adapter calls `publish` without handling its promise; with the kit's
 * fail-fast client a publish during an outage would reject unhandled and stop
 * the process, so the publisher logs such failures instead. The subscriber
 * queues its (re)subscriptions until connected.
 */
import { closeRedis, connectRedis } from "@mp/shared/redis";
import type { Logger } from "@mp/shared/log";
import { Redis } from "ioredis";

/** The connections of one instance. */
export interface EdgeRedis {
  commands: Redis;
  pub: Redis;
  sub: Redis;
  /** All three connected. */
  isReady(): boolean;
  close(): Promise<void>;
}

/** Opens the connections and resolves once all three are connected (they reconnect by themselves). */
export async function connectEdgeRedis(
  url: string,
  prefix: string,
  log: Logger,
): Promise<EdgeRedis> {
  const commands = connectRedis(url, log, {
    keyPrefix: prefix,
    downMessage: "redis unavailable: no presence, typing or cross-instance pushes",
  });
  const pub = connectRedis(url, log, { downMessage: "redis publisher unavailable" });
  const publish = pub.publish.bind(pub) as (...args: unknown[]) => Promise<number>;
  (pub as unknown as { publish: typeof publish }).publish = (...args) => {
    const sent = publish(...args);
    sent.catch((error: Error) => log.warn("redis publish failed", { error: error.message }));
    return sent;
  };
  const sub = new Redis(url, {
    maxRetriesPerRequest: null,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  sub.on("error", () => {}); // the command client logs the outage
  const all = [commands, pub, sub];
  await Promise.all(
    all.map((client) =>
      client.status === "ready"
        ? undefined
        : new Promise<void>((resolve) => client.once("ready", () => resolve()))
    ),
  );
  return {
    commands,
    pub,
    sub,
    isReady: () => all.every((client) => client.status === "ready"),
    close: async () => {
      await Promise.all(all.map((client) => closeRedis(client).catch(() => client.disconnect())));
    },
  };
}
