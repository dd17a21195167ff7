/**
 * Notifications service process: wiring only. Consumes auth's user events and
 * the order and review events, sends mail through the mail outbox and serves the
 * caller's in-app notifications.
 *
 * Run from the repository root with the flags of README.md ("Permissions"):
 * `--allow-net` for its listen address, PostgreSQL, RabbitMQ and the SMTP server,
 * `--allow-env` for its variables plus the PG* ones npm:postgres consults, and
 * `--allow-read` for its migrations. main_test.ts runs it under exactly those.
 */
import { EventBus } from "@mp/shared/bus";
import { env, loadConfig, serviceEnvShape } from "@mp/shared/config";
import { connectDb, migrate } from "@mp/shared/db";
import { inboxMigration } from "@mp/shared/inbox";
import { createTokenVerifier } from "@mp/shared/jwt";
import { onShutdown } from "@mp/shared/lifecycle";
import { createLogger } from "@mp/shared/log";
import { RetentionJob } from "@mp/shared/retention";
import { z } from "zod";
import { createApp } from "./app.ts";
import { createEventHandlers } from "./events.ts";
import {
  addressDomain,
  createSmtpTransport,
  DEFAULT_MAIL_CONCURRENCY,
  MailSender,
} from "./mail_sender.ts";

const config = loadConfig({
  // User and database in the URL: npm:postgres would otherwise look for them in
  // PGUSER/PGDATABASE and the OS user, which the permission flags do not allow.
  ...serviceEnvShape,
  SMTP_URL: env.url(["smtp", "smtps"]),
  MAIL_FROM: z.string().refine((value) => addressDomain(value) !== undefined, {
    message: "must be an address such as `Name <no-reply@example.com>`",
  }).default("Marketplace <no-reply@marketplace.local>"),
  PUBLIC_URL: env.url(["http", "https"]).default("http://localhost:8000"),
  MAIL_SEND_CONCURRENCY: env.positiveInt(DEFAULT_MAIL_CONCURRENCY),
});

const log = createLogger("notifications", config.LOG_LEVEL);
const sql = connectDb(config.DATABASE_URL);
const applied = await migrate(sql, new URL("./migrations/", import.meta.url), [inboxMigration]);
log.info("migrated", { applied });

const bus = new EventBus({
  url: config.AMQP_URL,
  exchange: config.EVENTS_EXCHANGE,
  service: "notifications",
  log,
});
await bus.start();
await bus.consume(createEventHandlers({ sql, publicUrl: config.PUBLIC_URL, log }));

// One pooled connection per send loop, so no loop waits for another's connection.
const transport = createSmtpTransport(
  config.SMTP_URL,
  // EHLO with the sender's mail domain: a name we own, and no OS hostname lookup.
  addressDomain(config.MAIL_FROM)!,
  config.MAIL_SEND_CONCURRENCY,
);
const sender = new MailSender({
  sql,
  transport,
  from: config.MAIL_FROM,
  log,
  concurrency: config.MAIL_SEND_CONCURRENCY,
});
await sender.start();
// Prunes processed inbox ids past their retention (no shared outbox here; skipped).
const retention = new RetentionJob({ sql, log });
retention.start();

const verifier = createTokenVerifier({
  jwks: config.JWT_JWKS,
  issuer: config.JWT_ISSUER,
  audience: config.JWT_AUDIENCE,
});
const { app, drain } = createApp({ sql, verifier, log, bus });

onShutdown({
  log,
  drain,
  steps: [
    { name: "stop consuming", run: () => bus.stopConsuming() },
    { name: "stop retention job", run: () => retention.stop() },
    { name: "stop mail sender", run: () => sender.stop() },
    // After the sender: its aborted sends are already released, so nothing is in flight.
    { name: "close SMTP pool", run: () => transport.close?.() },
    { name: "close broker", run: () => bus.close() },
    { name: "close database", run: () => sql.end({ timeout: 5 }) },
  ],
});

// `satisfies` checks the shape; the `as` gives the export the explicit type that
// `deno lint` (no-slow-types, this member being a package with exports) asks for.
export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;
