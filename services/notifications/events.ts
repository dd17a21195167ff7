/**
 * The events this service consumes and what each one causes: mails in
 * `mail_outbox`, in-app notifications, or both.
 *
 * - Auth's user events (docs/CONTRACTS.md) carry the address: their mail goes to
 *   it. Each also updates the user directory (id → address, name) and moves any
 *   mails parked for that user to the outbox.
 * - Order and review events (order_events.ts) and chat's mail-only reminders
 *   (chat_events.ts) carry only user ids: recipients
 *   are looked up in the directory. Each recipient gets the in-app notification
 *   at once; their mail is enqueued if the directory knows them, else parked in
 *   `pending_mails` until their `user.registered` (or any user event) arrives.
 *
 * Every in-app notification created also writes `notification.created` to the
 * event outbox in the same transaction (store.ts), for the realtime edge.
 *
 * Each handler parses only the fields it uses (a payload missing one is a poison
 * message, dead-lettered at once) and writes its effects inside `handleOnce`, so
 * the inbox row, the mails and the notifications commit together or not at all
 * and a redelivered event changes nothing. Sending happens later, in the mail
 * sender.
 */
import type { EventEnvelope, EventHandler } from "@mp/shared/bus";
import type { Sql, Tx } from "@mp/shared/db";
import { handleOnce, parseEventData } from "@mp/shared/inbox";
import type { Logger } from "@mp/shared/log";
import { z } from "zod";
import { CHAT_EVENTS, createChatHandlers } from "./chat_events.ts";
import { enqueueMail } from "./mail_outbox.ts";
import { instant, type Notice, ORDER_EVENTS, type OrderEventSpec } from "./order_events.ts";
import {
  findRecipients,
  learnRecipient,
  lockRecipients,
  parkedMails,
  parkMail,
  type Recipient,
  unparkMail,
} from "./recipients.ts";
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
  const orderHandlers = Object.entries(ORDER_EVENTS).map(([type, spec]) =>
    [type, orderHandler(deps, spec)] as const
  );
  return {
    "user.registered": accountHandler(deps, registered, (data, envelope) => ({
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
    "user.email_verification_requested": accountHandler(
      deps,
      verificationRequested,
      (data, envelope) => ({
        mail: {
          template: "verify_email",
          recipient: data.email,
          content: verifyEmailMail({
            username: data.username,
            verifyUrl: verifyUrl(data.verificationToken),
            expiresIn: validFor(envelope, data.verificationExpiresAt),
          }),
        },
      }),
    ),
    "user.email_verified": accountHandler(deps, emailVerified, (data) => ({
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
    "user.password_reset_requested": accountHandler(
      deps,
      passwordResetRequested,
      (data, envelope) => ({
        mail: {
          template: "password_reset",
          recipient: data.email,
          content: passwordResetMail({
            username: data.username,
            resetUrl: tokenLink(publicUrl, "reset-password", data.resetToken),
            expiresIn: validFor(envelope, data.resetExpiresAt),
          }),
        },
      }),
    ),
    "user.password_changed": accountHandler(deps, passwordChanged, (data) => ({
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
    ...Object.fromEntries(orderHandlers),
    ...createChatHandlers(deps),
  };
}

/** Auth's events: each names the user it is about, with address and name. */
export const ACCOUNT_EVENTS = [
  "user.registered",
  "user.email_verification_requested",
  "user.email_verified",
  "user.password_reset_requested",
  "user.password_changed",
] as const;

/** The event types handled, e.g. for documentation and tests. */
export const CONSUMED_EVENTS: readonly string[] = [
  ...ACCOUNT_EVENTS,
  ...Object.keys(ORDER_EVENTS),
  ...Object.keys(CHAT_EVENTS),
];

/**
 * A handler for an auth event: learns the user (directory entry, parked mails)
 * and writes the event's own mail and notification, all in the inbox transaction.
 */
function accountHandler<S extends z.ZodType<Recipient>>(
  deps: EventHandlerDeps,
  schema: S,
  plan: (data: z.infer<S>, envelope: EventEnvelope) => Effects,
): EventHandler {
  return async (envelope) => {
    const data = parseEventData(schema, envelope);
    const effects = plan(data, envelope);
    const fresh = await handleOnce(deps.sql, envelope, async (tx) => {
      const { userId, email, username } = data;
      // An unparsable occurredAt is taken as the oldest news: it fills a gap, never overwrites.
      const occurred = Date.parse(envelope.occurredAt);
      await learnUser(tx, deps, { userId, email, username }, new Date(occurred || 0));
      if (effects.mail) {
        const { template, recipient, content } = effects.mail;
        await enqueueMail(tx, { eventId: envelope.id, template, recipient, ...content });
      }
      if (effects.notification) {
        const { userId, content } = effects.notification;
        await insertNotification(tx, { eventId: envelope.id, userId, ...content });
      }
    });
    logOutcome(deps.log, envelope, fresh);
  };
}

/**
 * A handler for an order or review event: every recipient gets the in-app
 * notification; the mail goes to the outbox when the directory knows the
 * recipient and is parked for them otherwise.
 */
function orderHandler(deps: EventHandlerDeps, spec: OrderEventSpec): EventHandler {
  return async (envelope) => {
    const parsed = parseEventData(spec.schema, envelope);
    const parked: string[] = [];
    const fresh = await handleOnce(deps.sql, envelope, async (tx) => {
      const data = spec.prepare ? await spec.prepare(tx, parsed) : parsed;
      const notices = spec.notices(data, deps.publicUrl);
      const userIds = notices.map((notice) => notice.userId);
      // Under the lock, a user is either already in the directory or their
      // registration will find the parked mail (see recipients.ts).
      await lockRecipients(tx, userIds);
      const known = await findRecipients(tx, userIds);
      for (const notice of notices) {
        await insertNotification(tx, {
          eventId: envelope.id,
          userId: notice.userId,
          ...notice.notification,
        });
        const recipient = known.get(notice.userId);
        if (recipient) {
          await enqueueNotice(tx, envelope.id, recipient, notice);
        } else {
          await parkMail(tx, notice.userId, {
            eventId: envelope.id,
            eventType: envelope.type,
            eventData: data,
          });
          parked.push(notice.userId);
        }
      }
    });
    if (fresh && parked.length > 0) {
      deps.log.info("recipient not in the directory yet; mail parked until they are", {
        eventId: envelope.id,
        type: envelope.type,
        userIds: parked,
      });
    }
    logOutcome(deps.log, envelope, fresh);
  };
}

/**
 * Records a user in the directory and moves the mails parked for them to the
 * outbox, rendered from the stored event data with the user's current entry.
 */
async function learnUser(
  tx: Tx,
  deps: EventHandlerDeps,
  user: Recipient,
  asOf: Date,
): Promise<void> {
  await lockRecipients(tx, [user.userId]);
  const recipient = await learnRecipient(tx, user, asOf);
  for (const mail of await parkedMails(tx, user.userId)) {
    const spec = ORDER_EVENTS[mail.eventType] ?? CHAT_EVENTS[mail.eventType];
    const parsed = spec?.schema.safeParse(mail.eventData);
    if (!spec || !parsed?.success) {
      // Only possible if a newer version stopped reading what an older one parked.
      // Leaving the row keeps the mail for an operator; failing would block the user.
      deps.log.error("parked mail cannot be rendered; left in pending_mails", {
        eventId: mail.eventId,
        type: mail.eventType,
        userId: user.userId,
      });
      continue;
    }
    for (const notice of spec.notices(parsed.data, deps.publicUrl)) {
      if (notice.userId === user.userId) {
        await enqueueNotice(tx, mail.eventId, recipient, notice);
      }
    }
    await unparkMail(tx, user.userId, mail.eventId);
  }
}

/** Renders a notice's mail for its recipient and enqueues it. */
async function enqueueNotice(
  tx: Tx,
  eventId: string,
  recipient: Recipient,
  notice: Pick<Notice, "template" | "mail">,
): Promise<void> {
  await enqueueMail(tx, {
    eventId,
    template: notice.template,
    recipient: recipient.email,
    ...notice.mail({ username: recipient.username }),
  });
}

function logOutcome(log: Logger, envelope: EventEnvelope, fresh: boolean) {
  log.info(fresh ? "event handled" : "duplicate event ignored", {
    eventId: envelope.id,
    type: envelope.type,
  });
}

/** How long a token stays valid, counted from when the event happened. */
function validFor(envelope: EventEnvelope, expiresAt: Date): string {
  const occurred = Date.parse(envelope.occurredAt);
  return describeDuration(expiresAt.getTime() - (Number.isNaN(occurred) ? Date.now() : occurred));
}
