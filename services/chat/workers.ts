/**
 * The chat service's two background loops (shared/loop.ts), safe with several
 * replicas (each claims rows with `for update skip locked`, and writes the
 * event through the outbox in the same transaction):
 *
 * - **Unread reminders.** A participant's `remind_at` is set when a message
 *   reaches them (store.ts: the message's time plus CHAT_MAIL_DELAY_MINUTES,
 *   never within that delay of their last reminder) and moved by reading. When
 *   it falls due: nothing unread → cleared; recipient online (the realtime
 *   edge's `realtime:online:<userId>` key exists) → looked at again one poll
 *   later; otherwise `chat.unread_reminder` is published and the next one
 *   cannot fall due within the delay: at most one per conversation and
 *   recipient per window. When Redis cannot answer, the recipient counts as
 *   offline: a mail too many beats a message nobody hears of.
 * - **Offer expiry.** Pending offers past `expires_at` become `expired`, each
 *   with an `offer.updated`.
 */
import type { Sql } from "@mp/shared/db";
import type { Logger } from "@mp/shared/log";
import { PollingLoop, type TickResult } from "@mp/shared/loop";
import { LOOP_FAILURE_BACKOFF } from "@mp/shared/backoff";
import type { Redis } from "ioredis";
import { publish } from "./events.ts";
import * as store from "./store.ts";

/** Rows one tick handles; a full batch makes the loop go again at once. */
const BATCH = 100;

/** Tells whether a user has a socket on the realtime edge. */
export type PresenceCheck = (userId: string) => Promise<boolean>;

/** Presence from the edge's Redis keys `<prefix><userId>`; a Redis failure answers offline. */
export function redisPresence(redis: Redis, prefix: string, log: Logger): PresenceCheck {
  return async (userId) => {
    try {
      return (await redis.exists(`${prefix}${userId}`)) === 1;
    } catch (error) {
      log.warn("presence unknown (redis), reminding as if offline", { error });
      return false;
    }
  };
}

/** What the reminder tick needs. */
export interface ReminderDeps {
  sql: Sql;
  online: PresenceCheck;
  /** When an online recipient is looked at again. */
  recheckMs: number;
}

/** One round of reminders; returns how many due rows it handled. */
export async function remindOnce(deps: ReminderDeps): Promise<number> {
  const { sql, online, recheckMs } = deps;
  return await sql.begin(async (tx) => {
    const due = await store.claimDueReminders(tx, BATCH);
    for (const reminder of due) {
      const unread = await store.unreadFrom(tx, reminder);
      if (unread.count === 0 || !unread.first) {
        await store.rescheduleReminder(tx, reminder, null, false);
      } else if (await online(reminder.recipientId)) {
        await store.rescheduleReminder(tx, reminder, new Date(Date.now() + recheckMs), false);
      } else {
        await publish.unreadReminder(tx, {
          recipientId: reminder.recipientId,
          conversationId: reminder.conversationId,
          senderId: reminder.senderId,
          senderUsername: await store.senderUsername(tx, reminder.senderId),
          unreadCount: unread.count,
          firstUnreadAt: unread.first.toISOString(),
        });
        // Messages after this one make it due again, no sooner than a window from now.
        await store.rescheduleReminder(tx, reminder, null, true);
      }
    }
    return due.length;
  });
}

/** One round of offer expiry; returns how many offers expired. */
export async function expireOffersOnce(sql: Sql): Promise<number> {
  return await sql.begin(async (tx) => {
    const expired = await store.expireDueOffers(tx, BATCH);
    for (const offer of expired) await publish.offerUpdated(tx, offer);
    return expired.length;
  });
}

/** Options of `startWorkers`. */
export interface WorkerOptions extends ReminderDeps {
  log: Logger;
  /** CHAT_REMINDER_POLL_MS. */
  reminderPollMs: number;
  /** CHAT_OFFER_EXPIRY_POLL_MS. */
  expiryPollMs: number;
}

/** Starts both loops; the returned function stops them. */
export function startWorkers(options: WorkerOptions): () => Promise<void> {
  const { log } = options;
  const loop = (name: string, intervalMs: number, once: () => Promise<number>) =>
    new PollingLoop({
      tick: async (): Promise<TickResult> => (await once()) >= BATCH ? "busy" : "idle",
      intervalMs,
      failureBackoff: LOOP_FAILURE_BACKOFF,
      onError: (error, failures) => log.warn(`${name} failed, retrying`, { error, failures }),
    });
  const loops = [
    loop("unread reminders", options.reminderPollMs, () => remindOnce(options)),
    loop("offer expiry", options.expiryPollMs, () => expireOffersOnce(options.sql)),
  ];
  for (const l of loops) l.start();
  return async () => {
    await Promise.all(loops.map((l) => l.stop()));
  };
}
