/**
 * Chat service process: its own part of the kit's start-up (shared/service.ts):
 * the Redis connection (only to read the realtime edge's presence keys) and the
 * two loops of workers.ts (unread reminders, offer expiry). Consumes user, gig
 * and order events and `media.uploaded` (the media replica), serves the conversation and offer routes and publishes its
 * events through its outbox.
 *
 * Run from the repository root with the flags of README.md ("Permissions");
 * main_test.ts runs it under exactly those. deploy.ts serves the same handler
 * with `Deno.serve`.
 */
import { z } from "zod";
import { env } from "@mp/shared/config";
import { closeRedis, connectRedis } from "@mp/shared/redis";
import { startService } from "@mp/shared/service";
import { mediaUploadedHandler, migrateMediaRefs } from "@mp/shared/media_refs";
import { createApp, DEFAULT_LIMITS } from "./app.ts";
import { createEventHandlers } from "./events.ts";
import { redisPresence, startWorkers } from "./workers.ts";

const MINUTE = 60_000;

export default await startService({
  name: "chat",
  env: {
    REDIS_URL: env.url(["redis", "rediss"]).default("redis://127.0.0.1:6379"),
    CHAT_PRESENCE_KEY_PREFIX: z.string().regex(/^[\w.:-]{1,128}$/).default("realtime:online:"),
    CHAT_MESSAGES_PER_MINUTE: env.positiveInt(DEFAULT_LIMITS.messagesPerMinute),
    CHAT_PAGE_MAX: env.positiveInt(DEFAULT_LIMITS.pageMax),
    CHAT_ATTACHMENTS_MAX: env.positiveInt(DEFAULT_LIMITS.attachmentsMax),
    CHAT_ATTACHMENT_MAX_BYTES: env.positiveInt(DEFAULT_LIMITS.attachmentMaxBytes),
    CHAT_MAIL_DELAY_MINUTES: env.positiveInt(DEFAULT_LIMITS.mailDelayMinutes),
    CHAT_REMINDER_POLL_MS: env.positiveInt(30_000),
    CHAT_OFFER_EXPIRY_POLL_MS: env.positiveInt(60_000),
  },
  migrations: new URL("./migrations/", import.meta.url),
  publishes: true,
  idempotency: true,
  // The replica of media files (chat attachments are checked against it).
  setup: ({ sql }) => migrateMediaRefs(sql, new URL("./migrations/", import.meta.url)),
  consumes: ({ sql, log }) => ({
    ...createEventHandlers({ sql, log }),
    "media.uploaded": mediaUploadedHandler({ sql, log }),
  }),
  start: ({ sql, log, config, onStop, onClose }) => {
    const redis = connectRedis(config.REDIS_URL, log, {
      downMessage: "redis unavailable: unread reminders treat everyone as offline",
    });
    const stopWorkers = startWorkers({
      sql,
      log,
      online: redisPresence(redis, config.CHAT_PRESENCE_KEY_PREFIX, log),
      recheckMs: config.CHAT_REMINDER_POLL_MS,
      reminderPollMs: config.CHAT_REMINDER_POLL_MS,
      expiryPollMs: config.CHAT_OFFER_EXPIRY_POLL_MS,
    });
    onStop("stop chat workers", stopWorkers);
    onClose("close redis", () => closeRedis(redis));
  },
  // Redis is not a readiness condition: only reminders read it.
  createApp: ({ sql, log, verifier, readiness, config }) =>
    createApp({
      sql,
      log,
      verifier,
      readiness,
      limits: {
        messagesPerMinute: config.CHAT_MESSAGES_PER_MINUTE,
        pageMax: config.CHAT_PAGE_MAX,
        attachmentsMax: config.CHAT_ATTACHMENTS_MAX,
        attachmentMaxBytes: config.CHAT_ATTACHMENT_MAX_BYTES,
        mailDelayMs: config.CHAT_MAIL_DELAY_MINUTES * MINUTE,
      },
    }),
}) satisfies Deno.ServeDefaultExport;
