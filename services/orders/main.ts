/**
 * Orders service process: its own part of the kit's start-up (shared/service.ts):
 * payments (Stripe, or the local test mode), the scheduler (auto-completion,
 * clearing, refund and payout retries) and the fee settings. Consumes gig events
 * into the replica, accepted custom offers into orders (offers.ts) and
 * `media.uploaded` into the media replica (delivery files), serves
 * the order, payment and balance routes.
 *
 * Run from the repository root with the flags of README.md ("Permissions");
 * main_test.ts runs it under exactly those. deploy.ts serves the same handler
 * with `Deno.serve`.
 */
import { startService } from "@mp/shared/service";
import { mediaUploadedHandler, migrateMediaRefs } from "@mp/shared/media_refs";
import { createApp } from "./app.ts";
import { readConfig } from "./config.ts";
import { createEventHandlers } from "./events.ts";
import { createOfferHandlers } from "./offers.ts";
import { localTestPayments, stripePayments } from "./payments.ts";
import { Scheduler } from "./scheduler.ts";

export default await startService({
  name: "orders",
  readConfig,
  migrations: new URL("./migrations/", import.meta.url),
  publishes: true,
  idempotency: true,
  setup: async ({ config, log, sql }) => {
    // The replica of media files (delivery files are checked against it).
    await migrateMediaRefs(sql, new URL("./migrations/", import.meta.url));
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
    return {
      payments,
      now: () => new Date(),
      settings: { autoCompleteMs: config.autoCompleteMs, clearingMs: config.clearingMs },
      fees: {
        buyerFeeBps: config.BUYER_FEE_BPS,
        buyerFeeFixed: config.BUYER_FEE_FIXED,
        commissionBps: config.PLATFORM_COMMISSION_BPS,
      },
    };
  },
  consumes: ({ sql, log, payments, fees, now }) => ({
    ...createEventHandlers({ sql, log }),
    ...createOfferHandlers({ sql, log, payments, fees, now }),
    "media.uploaded": mediaUploadedHandler({ sql, log }),
  }),
  start: ({ sql, log, config, payments, now, settings, onStop }) => {
    const scheduler = new Scheduler({
      sql,
      log,
      transitions: { sql, settings, log, now },
      settlement: { sql, payments, log, now, publicUrl: config.PUBLIC_URL },
      pollMs: config.SCHEDULER_POLL_MS,
    });
    scheduler.start();
    onStop("stop scheduler", () => scheduler.stop());
  },
  createApp: ({ sql, log, payments, now, settings, fees, config, verifier, readiness }) =>
    createApp({
      sql,
      log,
      payments,
      settings,
      now,
      verifier,
      readiness,
      publicUrl: config.PUBLIC_URL,
      fees,
    }),
}) satisfies Deno.ServeDefaultExport;
