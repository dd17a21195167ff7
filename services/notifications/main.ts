/**
 * Notifications service process: its own part of the kit's start-up
 * (shared/service.ts): the SMTP transport and the mail sender. Consumes auth's
 * user events, the order and review events and chat's unread reminders, sends
 * mail through the mail outbox, serves the caller's in-app notifications and
 * publishes `notification.created` through the event outbox.
 *
 * Run from the repository root with the flags of README.md ("Permissions");
 * main_test.ts runs it under exactly those. deploy.ts serves the same handler
 * with `Deno.serve`.
 */
import { env } from "@mp/shared/config";
import { startService } from "@mp/shared/service";
import { z } from "zod";
import { createApp } from "./app.ts";
import { createEventHandlers } from "./events.ts";
import {
  addressDomain,
  createSmtpTransport,
  DEFAULT_MAIL_CONCURRENCY,
  MailSender,
} from "./mail_sender.ts";

export default await startService({
  name: "notifications",
  env: {
    SMTP_URL: env.url(["smtp", "smtps"]),
    MAIL_FROM: z.string().refine((value) => addressDomain(value) !== undefined, {
      message: "must be an address such as `Name <no-reply@example.com>`",
    }).default("Marketplace <no-reply@marketplace.local>"),
    PUBLIC_URL: env.url(["http", "https"]).default("http://localhost:8000"),
    MAIL_SEND_CONCURRENCY: env.positiveInt(DEFAULT_MAIL_CONCURRENCY),
  },
  migrations: new URL("./migrations/", import.meta.url),
  publishes: true,
  consumes: ({ sql, config, log }) =>
    createEventHandlers({ sql, publicUrl: config.PUBLIC_URL, log }),
  start: async ({ sql, config, log, onStop, onClose }) => {
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
    onStop("stop mail sender", () => sender.stop());
    // After the sender: its aborted sends are already released, so nothing is in flight.
    onClose("close SMTP pool", () => transport.close?.());
  },
  createApp: ({ sql, verifier, log, bus }) => createApp({ sql, verifier, log, bus }),
}) satisfies Deno.ServeDefaultExport;
