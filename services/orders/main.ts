/**
 * Orders service process: wiring only. Consumes gig events into the replica,
 * serves the order, payment and balance routes, relays its outbox and runs the
 * scheduler (auto-completion, clearing, refund and payout retries).
 *
 * Run from the repository root with the flags of README.md ("Permissions"):
 * `--allow-net` for its listen address, PostgreSQL, RabbitMQ and the Stripe API
 * (api.stripe.com:443, or the host:port of STRIPE_API_URL), `--allow-env` for
 * its variables plus the PG* ones npm:postgres consults, and `--allow-read` for
 * its migrations. main_test.ts runs it under exactly those.
 */
import { EventBus } from "@mp/shared/bus";
import { connectDb, isDbReady, migrate } from "@mp/shared/db";
import { idempotencyMigration } from "@mp/shared/idempotency";
import { inboxMigration } from "@mp/shared/inbox";
import { createTokenVerifier } from "@mp/shared/jwt";
import { onShutdown } from "@mp/shared/lifecycle";
import { createLogger } from "@mp/shared/log";
import { outboxMigration, OutboxRelay } from "@mp/shared/outbox";
import { RetentionJob } from "@mp/shared/retention";
import { createApp } from "./app.ts";
import { readConfig } from "./config.ts";
import { createEventHandlers } from "./events.ts";
import { localTestPayments, stripePayments } from "./payments.ts";
import { Scheduler } from "./scheduler.ts";

const config = readConfig();
const log = createLogger("orders", config.LOG_LEVEL);
const payments = config.PAYMENTS_MODE === "stripe"
  ? stripePayments({
    secretKey: config.STRIPE_SECRET_KEY!,
    webhookSecret: config.STRIPE_WEBHOOK_SECRET!,
    apiUrl: config.STRIPE_API_URL,
  })
  : localTestPayments();
if (payments.mode === "local_test") {
  log.warn("LOCAL TEST PAYMENT MODE: no Stripe, no money moves; for development only");
}

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
  service: "orders",
  log,
});
await bus.start();
await bus.consume(createEventHandlers({ sql, log }));
// The relay has a connection of its own, so its batches never wait behind requests.
const relayDb = connectDb(config.DATABASE_URL, { max: 1 });
const relay = new OutboxRelay({ sql: relayDb, bus, log });
await relay.start();

const now = () => new Date();
const settings = { autoCompleteMs: config.autoCompleteMs, clearingMs: config.clearingMs };
const fees = {
  buyerFeeBps: config.BUYER_FEE_BPS,
  buyerFeeFixed: config.BUYER_FEE_FIXED,
  commissionBps: config.PLATFORM_COMMISSION_BPS,
};
const scheduler = new Scheduler({
  sql,
  log,
  transitions: { sql, settings, log, now },
  settlement: { sql, payments, log, now, publicUrl: config.PUBLIC_URL },
  pollMs: config.SCHEDULER_POLL_MS,
});
scheduler.start();
// Prunes published outbox rows and processed inbox ids past their retention.
const retention = new RetentionJob({ sql, log });
retention.start();

const { app, drain } = createApp({
  sql,
  log,
  payments,
  fees,
  settings,
  publicUrl: config.PUBLIC_URL,
  now,
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
    { name: "stop consuming", run: () => bus.stopConsuming() },
    { name: "stop scheduler", run: () => scheduler.stop() },
    { name: "stop retention job", run: () => retention.stop() },
    {
      name: "stop outbox relay",
      run: async () => {
        await relay.stop();
        await relayDb.end({ timeout: 5 });
      },
    },
    { name: "close broker", run: () => bus.close() },
    { name: "close database", run: () => sql.end({ timeout: 5 }) },
  ],
});

export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;
