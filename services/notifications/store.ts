/**
 * SQL of the `notifications` table (in-app notifications). Every read and write
 * that a user triggers is scoped by the caller's user id, so another user's
 * notification is indistinguishable from one that does not exist.
 */
import type { Sql, Tx } from "@mp/shared/db";
import { enqueueEvent } from "@mp/shared/outbox";
import type { InAppContent } from "./templates.ts";

/** A notification as the API returns it. */
export interface Notification {
  id: string;
  type: string;
  title: string;
  body: string;
  link: string | null;
  createdAt: string;
  readAt: string | null;
}

/** One page of a user's notifications. */
export interface NotificationPage {
  items: Notification[];
  /** Notifications matching the filter, over all pages. */
  total: number;
  /** Unread notifications of the user, whatever the filter. */
  unreadCount: number;
}

/** `notification.created`: a notification as the API shows it, and its owner. */
export interface NotificationCreated {
  notification: Notification;
  userId: string;
}

/**
 * Adds a notification in the caller's (inbox) transaction and, in the same
 * transaction, `notification.created` to the event outbox; a second one for
 * the same event and user is ignored (and publishes nothing). Returns the new
 * notification, or undefined for such a repeat.
 */
export async function insertNotification(
  tx: Tx,
  input: InAppContent & { userId: string; eventId: string },
): Promise<Notification | undefined> {
  const [row] = await tx<{ id: string; created_at: Date }[]>`
    insert into notifications (user_id, event_id, type, title, body, link)
    values (${input.userId}, ${input.eventId}, ${input.type}, ${input.title}, ${input.body}, ${input.link})
    on conflict (event_id, user_id) do nothing
    returning id, created_at`;
  if (!row) return undefined;
  const notification: Notification = {
    id: row.id,
    type: input.type,
    title: input.title,
    body: input.body,
    link: input.link,
    createdAt: row.created_at.toISOString(),
    readAt: null,
  };
  await enqueueEvent<NotificationCreated>(tx, "notification.created", {
    notification,
    userId: input.userId,
  });
  return notification;
}

/** A page of the user's notifications, newest first, with the counts the bell shows. */
export async function listNotifications(
  sql: Sql,
  userId: string,
  options: { page: number; limit: number; unreadOnly: boolean },
): Promise<NotificationPage> {
  const { page, limit, unreadOnly } = options;
  const unreadFilter = unreadOnly ? sql`and read_at is null` : sql``;
  // One snapshot, so the page and the counts agree with each other.
  return await sql.begin("isolation level repeatable read read only", async (tx) => {
    const rows = await tx<
      {
        id: string;
        type: string;
        title: string;
        body: string;
        link: string | null;
        created_at: Date;
        read_at: Date | null;
      }[]
    >`
      select id, type, title, body, link, created_at, read_at from notifications
      where user_id = ${userId} ${unreadFilter}
      order by created_at desc, id desc
      limit ${limit} offset ${(page - 1) * limit}`;
    const [counts] = await tx<{ total: number; unread: number }[]>`
      select count(*)::int as total, (count(*) filter (where read_at is null))::int as unread
      from notifications where user_id = ${userId}`;
    return {
      items: rows.map((row) => ({
        id: row.id,
        type: row.type,
        title: row.title,
        body: row.body,
        link: row.link,
        createdAt: row.created_at.toISOString(),
        readAt: row.read_at?.toISOString() ?? null,
      })),
      total: unreadOnly ? counts.unread : counts.total,
      unreadCount: counts.unread,
    };
  });
}

/**
 * Marks one of the user's notifications read (keeping the first read time).
 * Returns `false` when the user has no notification with that id.
 */
export async function markRead(sql: Sql, userId: string, id: string): Promise<boolean> {
  const rows = await sql`
    update notifications set read_at = coalesce(read_at, now())
    where id = ${id} and user_id = ${userId}
    returning id`;
  return rows.length > 0;
}

/** Marks all of the user's unread notifications read; returns how many changed. */
export async function markAllRead(sql: Sql, userId: string): Promise<number> {
  const result = await sql`
    update notifications set read_at = now()
    where user_id = ${userId} and read_at is null`;
  return result.count;
}
