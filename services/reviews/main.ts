/**
 * Reviews service process: wiring only. Consumes user and order events, serves
 * the review routes and publishes review events through its outbox.
 *
 * Run from the repository root with the flags of README.md ("Permissions"):
 * `--allow-net` for its listen address, PostgreSQL and RabbitMQ, `--allow-env`
 * for its variables plus the PG* ones npm:postgres consults, and `--allow-read`
 * for its migrations. main_test.ts runs it under exactly those.
 */
import { EventBus } from "@mp/shared/bus";
import { env, loadConfig, serviceEnvShape } from "@mp/shared/config";
import { connectDb, isDbReady, migrate } from "@mp/shared/db";
import { idempotencyMigration } from "@mp/shared/idempotency";
import { inboxMigration } from "@mp/shared/inbox";
import { createTokenVerifier } from "@mp/shared/jwt";
import { onShutdown } from "@mp/shared/lifecycle";
import { createLogger } from "@mp/shared/log";
import { outboxMigration, OutboxRelay } from "@mp/shared/outbox";
import { RetentionJob } from "@mp/shared/retention";
import { createApp } from "./app.ts";
import { createEventHandlers } from "./events.ts";

const config = loadConfig({
  ...serviceEnvShape,
  REVIEW_WINDOW_DAYS: env.positiveInt(30),
});

const log = createLogger("reviews", config.LOG_LEVEL);
const sql = connectDb(config.DATABASE_URL);
const applied = await migrate(sql, new URL("./migrations/", import.meta.url), [
  outboxMigration,
  inboxMigration,
  idempotencyMigration,
]);
log.info("migrated", { applied });

const bus = new EventBus({
  url: config.AMQP_URL,
  exchange: config.EVENTS_EXCHANGE,
  service: "reviews",
  log,
});
await bus.start();
await bus.consume(createEventHandlers({ sql, log }));
// The relay has a connection of its own, so its batches never wait behind requests.
const relayDb = connectDb(config.DATABASE_URL, { max: 1 });
const relay = new OutboxRelay({ sql: relayDb, bus, log });
await relay.start();
// Prunes published outbox rows and processed inbox ids past their retention.
const retention = new RetentionJob({ sql, log });
retention.start();

const { app, drain } = createApp({
  sql,
  log,
  verifier: createTokenVerifier({
    jwks: config.JWT_JWKS,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  }),
  reviewWindowMs: config.REVIEW_WINDOW_DAYS * 86_400_000,
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
    { name: "database", run: () => sql.end({ timeout: 5 }) },
  ],
});

export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;
