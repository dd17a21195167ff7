/**
 * SQL of who receives what: the user directory (user id → address and name,
 * learned from auth's events), mails waiting for a recipient the directory does
 * not know yet, and who asked for a cancellation.
 *
 * The directory and the waiting mails meet under a per-user lock
 * (`lockRecipients`). An order event looks a user up and, not finding them,
 * parks the mail; a `user.registered` adds the user and takes the parked mails.
 * Without the lock the two could run at once, each in its own snapshot: the
 * order event would not see the new user, the registration would not see the
 * parked mail, and the mail would wait forever.
 */
import type { Tx } from "@mp/shared/db";

/** A user as mails need them. */
export interface Recipient {
  userId: string;
  email: string;
  username: string;
}

/** A mail parked until its recipient is known. */
export interface PendingMail {
  eventId: string;
  eventType: string;
  /** The event's parsed data, to render the mail from once the user is known. */
  eventData: unknown;
}

// First key of the two-key advisory locks of this service's users. Two-key locks
// live apart from the one-key lock of the migration runner.
const USER_LOCK_SPACE = 727_007;

/**
 * Takes this transaction's lock on each user, in a fixed order so two events
 * naming the same two users cannot deadlock. Released at commit or rollback.
 */
export async function lockRecipients(tx: Tx, userIds: string[]): Promise<void> {
  for (const userId of [...new Set(userIds)].sort()) {
    await tx`select pg_advisory_xact_lock(${USER_LOCK_SPACE}, hashtext(${userId}))`;
  }
}

/** The directory entries of these users (those it knows). */
export async function findRecipients(tx: Tx, userIds: string[]): Promise<Map<string, Recipient>> {
  const rows = await tx<{ user_id: string; email: string; username: string }[]>`
    select user_id, email, username from user_directory where user_id = any(${userIds}::text[])`;
  return new Map(
    rows.map((row) => [row.user_id, {
      userId: row.user_id,
      email: row.email,
      username: row.username,
    }]),
  );
}

/**
 * Records what an auth event says of a user, unless the directory already holds
 * what a later event said. Returns the entry as it now stands. Call under
 * `lockRecipients`.
 */
export async function learnRecipient(tx: Tx, user: Recipient, asOf: Date): Promise<Recipient> {
  await tx`
    insert into user_directory (user_id, email, username, as_of)
    values (${user.userId}, ${user.email}, ${user.username}, ${asOf})
    on conflict (user_id) do update set
      email = excluded.email, username = excluded.username, as_of = excluded.as_of,
      updated_at = now()
    where user_directory.as_of <= excluded.as_of`;
  const known = await findRecipients(tx, [user.userId]);
  return known.get(user.userId)!;
}

/** Parks a mail until its recipient is known; a second one for the same event is ignored. */
export async function parkMail(tx: Tx, userId: string, mail: PendingMail): Promise<void> {
  await tx`
    insert into pending_mails (user_id, event_id, event_type, event_data)
    values (${userId}, ${mail.eventId}, ${mail.eventType}, ${tx.json(mail.eventData as never)})
    on conflict (user_id, event_id) do nothing`;
}

/** The mails parked for a user, oldest first. Call under `lockRecipients`. */
export async function parkedMails(tx: Tx, userId: string): Promise<PendingMail[]> {
  const rows = await tx<{ event_id: string; event_type: string; event_data: unknown }[]>`
    select event_id, event_type, event_data from pending_mails
    where user_id = ${userId} order by created_at, event_id`;
  return rows.map((row) => ({
    eventId: row.event_id,
    eventType: row.event_type,
    eventData: row.event_data,
  }));
}

/** Removes a parked mail once it has been moved to the mail outbox. */
export async function unparkMail(tx: Tx, userId: string, eventId: string): Promise<void> {
  await tx`delete from pending_mails where user_id = ${userId} and event_id = ${eventId}`;
}

/** Remembers which party asked for a cancellation (first word wins). */
export async function rememberCancellationRequest(
  tx: Tx,
  requestId: string,
  requestedBy: "buyer" | "seller",
): Promise<void> {
  await tx`
    insert into cancellation_requests (request_id, requested_by)
    values (${requestId}, ${requestedBy})
    on conflict (request_id) do nothing`;
}

/** The party that asked for a cancellation, if its request was seen. */
export async function cancellationRequester(
  tx: Tx,
  requestId: string,
): Promise<"buyer" | "seller" | undefined> {
  const [row] = await tx<{ requested_by: "buyer" | "seller" }[]>`
    select requested_by from cancellation_requests where request_id = ${requestId}`;
  return row?.requested_by;
}
