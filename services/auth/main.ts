/**
 * Auth service process: wiring only. Run with `deno serve` (see README.md for
 * the exact permission flags).
 */
import { EventBus } from "@mp/shared/bus";
import { env, loadConfig, serviceEnvShape } from "@mp/shared/config";
import { connectDb, isDbReady, migrate } from "@mp/shared/db";
import { createTokenVerifier } from "@mp/shared/jwt";
import { onShutdown } from "@mp/shared/lifecycle";
import { createLogger } from "@mp/shared/log";
import { outboxMigration, OutboxRelay } from "@mp/shared/outbox";
import { RetentionJob } from "@mp/shared/retention";
import { createApp } from "./app.ts";
import { backfillIdentityKeys } from "./identity_keys.ts";
import { createPasswordHasher } from "./password.ts";

const config = loadConfig({
  ...serviceEnvShape,
  AUTH_REFRESH_TTL_DAYS: env.positiveInt(30),
  AUTH_VERIFY_TTL_HOURS: env.positiveInt(24),
  AUTH_RESET_TTL_MINUTES: env.positiveInt(60),
});

const log = createLogger("auth", config.LOG_LEVEL);
const sql = connectDb(config.DATABASE_URL);
await migrate(sql, new URL("./migrations/", import.meta.url), [outboxMigration]);
// Accounts from before migration 002 get their canonical keys before any lookup.
await backfillIdentityKeys(sql, log);
const bus = new EventBus({
  url: config.AMQP_URL,
  exchange: config.EVENTS_EXCHANGE,
  service: "auth",
  log,
});
await bus.start();
// The relay has a connection of its own, so its batches never wait behind requests.
const relayDb = connectDb(config.DATABASE_URL, { max: 1 });
const relay = new OutboxRelay({ sql: relayDb, bus, log });
await relay.start();
// Prunes published outbox rows past their retention (auth has no inbox; skipped).
const retention = new RetentionJob({ sql, log });
retention.start();
const hasher = createPasswordHasher();

const { app, drain } = createApp({
  sql,
  hasher,
  log,
  verifier: createTokenVerifier({
    jwks: config.JWT_JWKS,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  }),
  lifetimes: {
    refreshMs: config.AUTH_REFRESH_TTL_DAYS * 86_400_000,
    verifyEmailMs: config.AUTH_VERIFY_TTL_HOURS * 3_600_000,
    resetPasswordMs: config.AUTH_RESET_TTL_MINUTES * 60_000,
  },
  readiness: { database: () => isDbReady(sql), broker: () => bus.isConnected() },
});

onShutdown({
  log,
  drain,
  steps: [
    { name: "retention job", run: () => retention.stop() },
    {
      name: "outbox relay",
      run: async () => {
        await relay.stop();
        await relayDb.end({ timeout: 5 });
      },
    },
    { name: "broker", run: () => bus.close() },
    { name: "password workers", run: () => hasher.close() },
    { name: "database", run: () => sql.end({ timeout: 5 }) },
  ],
});

export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;
