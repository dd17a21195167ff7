/**
 * The events this service consumes (published by auth, see docs/CONTRACTS.md) and
 * what each one causes: a mail in `mail_outbox`, an in-app notification, or both.
 *
 * Each handler parses only the fields it uses (a payload missing one is a poison
 * message, dead-lettered at once) and writes its effects inside `handleOnce`, so
 * the inbox row, the mail and the notification commit together or not at all and
 * a redelivered event changes nothing. Sending happens later, in the mail sender.
 */
import type { EventEnvelope, EventHandler } from "@mp/shared/bus";
import type { Sql } from "@mp/shared/db";
import { handleOnce, parseEventData } from "@mp/shared/inbox";
import type { Logger } from "@mp/shared/log";
import { z } from "zod";
import { enqueueMail } from "./mail_outbox.ts";
import { insertNotification } from "./store.ts";
import {
  describeDuration,
  emailVerifiedMail,
  emailVerifiedNotification,
  type InAppContent,
  type MailContent,
  passwordChangedMail,
  passwordChangedNotification,
  passwordResetMail,
  tokenLink,
  verifyEmailMail,
  welcomeMail,
  welcomeNotification,
} from "./templates.ts";

const instant = z.string().refine(
  (value) => !Number.isNaN(Date.parse(value)),
  "must be a timestamp",
)
  .transform((value) => new Date(value));
const user = { userId: z.string().min(1).max(200), email: z.email(), username: z.string() };

const registered = z.object({
  ...user,
  verificationToken: z.string().min(1),
  verificationExpiresAt: instant,
});
const verificationRequested = registered;
const emailVerified = z.object(user);
const passwordResetRequested = z.object({
  ...user,
  resetToken: z.string().min(1),
  resetExpiresAt: instant,
});
const passwordChanged = z.object({ ...user, via: z.enum(["change", "reset"]) });

/** What one event causes. */
interface Effects {
  mail?: { template: string; recipient: string; content: MailContent };
  notification?: { userId: string; content: InAppContent };
}

/** Dependencies of the handlers. */
export interface EventHandlerDeps {
  sql: Sql;
  /** Base of links in mails (`PUBLIC_URL`). */
  publicUrl: string;
  log: Logger;
}

/** Builds the handlers to pass to `EventBus.consume`, keyed by event type. */
export function createEventHandlers(deps: EventHandlerDeps): Record<string, EventHandler> {
  const { publicUrl } = deps;
  const verifyUrl = (token: string) => tokenLink(publicUrl, "verify-email", token);
  return {
    "user.registered": handler(deps, registered, (data, envelope) => ({
      mail: {
        template: "welcome",
        recipient: data.email,
        content: welcomeMail({
          username: data.username,
          verifyUrl: verifyUrl(data.verificationToken),
          expiresIn: validFor(envelope, data.verificationExpiresAt),
        }),
      },
      notification: {
        userId: data.userId,
        content: welcomeNotification({ username: data.username, email: data.email }),
      },
    })),
    "user.email_verification_requested": handler(deps, verificationRequested, (data, envelope) => ({
      mail: {
        template: "verify_email",
        recipient: data.email,
        content: verifyEmailMail({
          username: data.username,
          verifyUrl: verifyUrl(data.verificationToken),
          expiresIn: validFor(envelope, data.verificationExpiresAt),
        }),
      },
    })),
    "user.email_verified": handler(deps, emailVerified, (data) => ({
      mail: {
        template: "email_verified",
        recipient: data.email,
        content: emailVerifiedMail({ username: data.username, email: data.email }),
      },
      notification: {
        userId: data.userId,
        content: emailVerifiedNotification({ email: data.email }),
      },
    })),
    "user.password_reset_requested": handler(deps, passwordResetRequested, (data, envelope) => ({
      mail: {
        template: "password_reset",
        recipient: data.email,
        content: passwordResetMail({
          username: data.username,
          resetUrl: tokenLink(publicUrl, "reset-password", data.resetToken),
          expiresIn: validFor(envelope, data.resetExpiresAt),
        }),
      },
    })),
    "user.password_changed": handler(deps, passwordChanged, (data) => ({
      mail: {
        template: "password_changed",
        recipient: data.email,
        content: passwordChangedMail({ username: data.username, email: data.email, via: data.via }),
      },
      notification: {
        userId: data.userId,
        content: passwordChangedNotification({ via: data.via }),
      },
    })),
  };
}

/** The event types handled, e.g. for documentation and tests. */
export const CONSUMED_EVENTS = [
  "user.registered",
  "user.email_verification_requested",
  "user.email_verified",
  "user.password_reset_requested",
  "user.password_changed",
] as const;

function handler<S extends z.ZodType>(
  deps: EventHandlerDeps,
  schema: S,
  plan: (data: z.infer<S>, envelope: EventEnvelope) => Effects,
): EventHandler {
  return async (envelope) => {
    const effects = plan(parseEventData(schema, envelope), envelope);
    const fresh = await handleOnce(deps.sql, envelope, async (tx) => {
      if (effects.mail) {
        const { template, recipient, content } = effects.mail;
        await enqueueMail(tx, { eventId: envelope.id, template, recipient, ...content });
      }
      if (effects.notification) {
        const { userId, content } = effects.notification;
        await insertNotification(tx, { eventId: envelope.id, userId, ...content });
      }
    });
    deps.log.info(fresh ? "event handled" : "duplicate event ignored", {
      eventId: envelope.id,
      type: envelope.type,
    });
  };
}

/** How long a token stays valid, counted from when the event happened. */
function validFor(envelope: EventEnvelope, expiresAt: Date): string {
  const occurred = Date.parse(envelope.occurredAt);
  return describeDuration(expiresAt.getTime() - (Number.isNaN(occurred) ? Date.now() : occurred));
}
