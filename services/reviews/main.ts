/**
 * Reviews service process: its own part of the kit's start-up (shared/service.ts).
 * Consumes user and order events, serves the review routes and publishes review
 * events through its outbox.
 *
 * Run from the repository root with the flags of README.md ("Permissions");
 * main_test.ts runs it under exactly those. deploy.ts serves the same handler
 * with `Deno.serve`.
 */
import { env } from "@mp/shared/config";
import { startService } from "@mp/shared/service";
import { createApp } from "./app.ts";
import { createEventHandlers } from "./events.ts";

export default await startService({
  name: "reviews",
  env: { REVIEW_WINDOW_DAYS: env.positiveInt(30) },
  migrations: new URL("./migrations/", import.meta.url),
  publishes: true,
  idempotency: true,
  consumes: ({ sql, log }) => createEventHandlers({ sql, log }),
  createApp: ({ sql, log, verifier, readiness, config }) =>
    createApp({
      sql,
      log,
      verifier,
      reviewWindowMs: config.REVIEW_WINDOW_DAYS * 86_400_000,
      readiness,
    }),
}) satisfies Deno.ServeDefaultExport;
