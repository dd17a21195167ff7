/**
 * Chat's mail: `chat.unread_reminder` (published by chat when a message stayed
 * unread by an offline recipient for `CHAT_MAIL_DELAY_MINUTES`; at most one per
 * conversation per window, chat's rule) is mailed to its recipient: "You have N
 * unread messages from <sender>", with a link to `${PUBLIC_URL}/inbox/<id>`.
 *
 * Mail only, no in-app notification: the inbox's own unread counts and the live
 * `message:new` already tell a user in the app. The recipient's address comes
 * from the user directory; an unknown recipient's mail is parked until their
 * user event arrives, exactly as for order events (events.ts renders parked
 * mails of these specs too). The mail is enqueued in the inbox transaction:
 * one mail per event id and recipient, at least once, its Message-ID derived
 * from both like every other mail (mail_sender.ts).
 */
import type { EventHandler } from "@mp/shared/bus";
import type { Sql } from "@mp/shared/db";
import { handleOnce, parseEventData } from "@mp/shared/inbox";
import type { Logger } from "@mp/shared/log";
import { z } from "zod";
import { enqueueMail } from "./mail_outbox.ts";
import { instant } from "./order_events.ts";
import { formatInstant } from "./order_templates.ts";
import { findRecipients, lockRecipients, parkMail } from "./recipients.ts";
import { composeMail, type MailContent } from "./templates.ts";

/** A mail to one user, rendered once their name and address are known. */
export interface MailNotice {
  userId: string;
  /** Template name, recorded with the mail for operators. */
  template: string;
  mail(recipient: { username: string }): MailContent;
}

/** How one mail-only event is read and who gets what. */
export interface MailEventSpec<T = unknown> {
  /** The fields used (unknown ones are ignored; a missing one is a poison message). */
  schema: z.ZodType<T>;
  /** The mails, one per recipient. Pure, so a parked mail renders later exactly alike. */
  notices(data: T, publicUrl: string): MailNotice[];
}

// Auth's username rule: only such a name may appear in a subject (a header).
const SAFE_USERNAME = /^[A-Za-z][A-Za-z0-9_]{2,29}$/;

/** Fields of `chat.unread_reminder` used (chat's contract). */
export const unreadReminderData = z.object({
  recipientId: z.string().min(1).max(200),
  conversationId: z.string().min(1).max(200),
  senderUsername: z.string().min(1).max(200),
  unreadCount: z.number().int().min(1).max(1_000_000),
  firstUnreadAt: instant,
});

/** A parsed reminder. */
export type UnreadReminder = z.infer<typeof unreadReminderData>;

/** `${publicUrl}/inbox/<conversationId>`; the id is URL-encoded, so it cannot leave the path. */
export function inboxLink(publicUrl: string, conversationId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/inbox/${encodeURIComponent(conversationId)}`;
}

/** The reminder's text, greeting its recipient. */
export function unreadReminderMail(
  input: Omit<UnreadReminder, "recipientId">,
  url: string,
  recipient: { username: string },
): MailContent {
  const count = input.unreadCount === 1
    ? "1 unread message"
    : `${input.unreadCount} unread messages`;
  const sender = input.senderUsername;
  return composeMail({
    subject: SAFE_USERNAME.test(sender) ? `You have ${count} from ${sender}` : `You have ${count}`,
    greeting: `Hi ${recipient.username},`,
    intro: [`You have ${count} from ${sender}.`],
    details: [["First unread", formatInstant(input.firstUnreadAt)]],
    action: { label: "Open the conversation", url },
    outro: [
      "We send this when messages wait while you are away, at most one reminder per " +
      "conversation at a time.",
    ],
  });
}

// Erases the data type so specs of different events fit in one table.
const spec = <T>(value: MailEventSpec<T>) => value as unknown as MailEventSpec;

/** Every mail-only chat event consumed, keyed by event type. */
export const CHAT_EVENTS: Record<string, MailEventSpec> = {
  "chat.unread_reminder": spec({
    schema: unreadReminderData,
    notices: (data, publicUrl) => [{
      userId: data.recipientId,
      template: "chat_unread_reminder",
      mail: (recipient) =>
        unreadReminderMail(data, inboxLink(publicUrl, data.conversationId), recipient),
    }],
  }),
};

/** Dependencies of the handlers. */
export interface ChatHandlerDeps {
  sql: Sql;
  publicUrl: string;
  log: Logger;
}

/** The handlers of `CHAT_EVENTS`, keyed by event type. */
export function createChatHandlers(deps: ChatHandlerDeps): Record<string, EventHandler> {
  return Object.fromEntries(
    Object.entries(CHAT_EVENTS).map(([type, spec]) => [type, mailHandler(deps, spec)]),
  );
}

/** Mails each notice to its recipient, or parks it until the directory knows them. */
function mailHandler(deps: ChatHandlerDeps, spec: MailEventSpec): EventHandler {
  return async (envelope) => {
    const data = parseEventData(spec.schema, envelope);
    const notices = spec.notices(data, deps.publicUrl);
    const parked: string[] = [];
    const fresh = await handleOnce(deps.sql, envelope, async (tx) => {
      const userIds = notices.map((notice) => notice.userId);
      // The same lock as order events: a registration running now either is seen
      // here or sees the parked mail (recipients.ts).
      await lockRecipients(tx, userIds);
      const known = await findRecipients(tx, userIds);
      for (const notice of notices) {
        const recipient = known.get(notice.userId);
        if (recipient) {
          await enqueueMail(tx, {
            eventId: envelope.id,
            template: notice.template,
            recipient: recipient.email,
            ...notice.mail({ username: recipient.username }),
          });
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
    deps.log.info(fresh ? "event handled" : "duplicate event ignored", {
      eventId: envelope.id,
      type: envelope.type,
    });
  };
}
