/**
 * Users service process: wiring only. Run with `deno serve` (see README.md for
 * the exact permission flags).
 */
import { EventBus } from "@mp/shared/bus";
import { loadConfig, serviceEnvShape } from "@mp/shared/config";
import { connectDb, isDbReady, migrate } from "@mp/shared/db";
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
});

const log = createLogger("users", config.LOG_LEVEL);
const sql = connectDb(config.DATABASE_URL);
await migrate(sql, new URL("./migrations/", import.meta.url), [outboxMigration, inboxMigration]);
const bus = new EventBus({
  url: config.AMQP_URL,
  exchange: config.EVENTS_EXCHANGE,
  service: "users",
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
  readiness: { database: () => isDbReady(sql), broker: () => bus.isConnected() },
});

onShutdown({
  log,
  drain,
  steps: [
    // Finish the events in hand first: their transactions need the database.
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
