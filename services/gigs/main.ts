/**
 * Gigs service process: wiring only. Run with `deno serve` (see README.md for
 * the exact permission flags, and why this one needs a bare `--allow-env`).
 */
import { z } from "zod";
import { EventBus } from "@mp/shared/bus";
import { env, loadConfig, serviceEnvShape } from "@mp/shared/config";
import { connectDb, isDbReady, migrate } from "@mp/shared/db";
import { inboxMigration } from "@mp/shared/inbox";
import { createTokenVerifier } from "@mp/shared/jwt";
import { onShutdown } from "@mp/shared/lifecycle";
import { createLogger } from "@mp/shared/log";
import { outboxMigration, OutboxRelay } from "@mp/shared/outbox";
import { RetentionJob } from "@mp/shared/retention";
import { createApp } from "./app.ts";
import { connectRedis, createGigCache } from "./cache.ts";
import { createEventHandlers } from "./events.ts";

const config = loadConfig({
  ...serviceEnvShape,
  REDIS_URL: env.url(["redis", "rediss"]).default("redis://127.0.0.1:6379"),
  GIGS_REDIS_PREFIX: z.string().regex(/^[\w.:-]{1,64}$/).default("gigs:"),
  GIGS_DETAIL_CACHE_TTL_SECONDS: env.positiveInt(300),
  GIGS_SEARCH_CACHE_TTL_SECONDS: env.positiveInt(30),
});

const log = createLogger("gigs", config.LOG_LEVEL);
const sql = connectDb(config.DATABASE_URL);
await migrate(sql, new URL("./migrations/", import.meta.url), [outboxMigration, inboxMigration]);

const redis = connectRedis(config.REDIS_URL, config.GIGS_REDIS_PREFIX, log);
const cache = createGigCache({
  redis,
  log,
  detailTtlSeconds: config.GIGS_DETAIL_CACHE_TTL_SECONDS,
  searchTtlSeconds: config.GIGS_SEARCH_CACHE_TTL_SECONDS,
});

const bus = new EventBus({
  url: config.AMQP_URL,
  exchange: config.EVENTS_EXCHANGE,
  service: "gigs",
  log,
});
await bus.start();
await bus.consume(createEventHandlers({ sql, cache, log }));
// The relay has a connection of its own, so its batches never wait behind requests.
const relayDb = connectDb(config.DATABASE_URL, { max: 1 });
const relay = new OutboxRelay({ sql: relayDb, bus, log });
await relay.start();
// Prunes published outbox rows and processed inbox ids past their retention.
const retention = new RetentionJob({ sql, log });
retention.start();

const { app, drain } = createApp({
  sql,
  cache,
  log,
  verifier: createTokenVerifier({
    jwks: config.JWT_JWKS,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  }),
  // Redis is not a readiness condition: without it reads go to the database.
  readiness: { database: () => isDbReady(sql), broker: () => bus.isConnected() },
});

onShutdown({
  log,
  drain,
  steps: [
    { name: "stop consuming", run: () => bus.stopConsuming() },
    { name: "retention job", run: () => retention.stop() },
    {
      name: "outbox relay",
      run: async () => {
        await relay.stop();
        await relayDb.end({ timeout: 5 });
      },
    },
    { name: "broker", run: () => bus.close() },
    { name: "redis", run: () => redis.quit().catch(() => redis.disconnect()) },
    { name: "database", run: () => sql.end({ timeout: 5 }) },
  ],
});

export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;
