/**
 * SQL of the `mail_outbox` table: event handlers enqueue rendered mails in their
 * inbox transaction; the sender claims one due row at a time with a lease, then
 * marks it sent, schedules a retry or marks it failed.
 *
 * The lease is `next_attempt_at` itself: claiming moves it to `now() + lease`, so a
 * row whose sender died mid-send becomes due again when the lease runs out, with
 * no separate reaper. `claim` is a random token per claim; completing a row checks
 * it, so a sender whose lease ran out cannot overwrite the outcome of the sender
 * that took the row over.
 */
import type { Sql, Tx } from "@mp/shared/db";
import { currentContext } from "@mp/shared/log";
import { activeTraceparent, validTraceparent } from "@mp/shared/tracing";
import type { MailContent } from "./templates.ts";

/** Channel notified at commit when mails are enqueued; wakes the sender. */
export const MAIL_CHANNEL = "mail_outbox";

/** A mail to send, as enqueued by an event handler. */
export interface NewMail extends MailContent {
  eventId: string;
  recipient: string;
  /** Template name, for operators reading the table. */
  template: string;
}

/** A row claimed by a sender. */
export interface ClaimedMail {
  id: string;
  eventId: string;
  recipient: string;
  subject: string;
  text: string;
  html: string;
  /** Template name; the send span names it (never the address). */
  template: string;
  /** W3C traceparent of the work that queued the mail, continued by its send span. */
  traceparent: string | undefined;
  /** Attempts including this one. */
  attempts: number;
}

/**
 * The traceparent a mail queued now is sent under: the active span's (the
 * consumer span of the event being handled, when Deno traces), else the work
 * context's (the event's own header, with tracing off), as `outboxHeaders()`
 * chooses for events. Only a valid header, normalised; else `null`.
 */
function queuedTraceparent(): string | null {
  return validTraceparent(activeTraceparent(), currentContext()?.traceparent) ?? null;
}

/**
 * Adds a mail in the caller's transaction, with the active trace (see
 * `queuedTraceparent`). A second mail for the same event and recipient is
 * ignored. Returns whether a row was inserted.
 */
export async function enqueueMail(tx: Tx, mail: NewMail): Promise<boolean> {
  const inserted = await tx`
    insert into mail_outbox
      (event_id, recipient, template, subject, text_body, html_body, traceparent)
    values (${mail.eventId}, ${mail.recipient}, ${mail.template}, ${mail.subject},
      ${mail.text}, ${mail.html}, ${queuedTraceparent()})
    on conflict (event_id, lower(recipient)) do nothing
    returning id`;
  // Delivered at commit, so the sender wakes at once instead of at its next poll.
  if (inserted.length > 0) await tx`select pg_notify(${MAIL_CHANNEL}, '')`;
  return inserted.length > 0;
}

/**
 * Claims the oldest due mail for `leaseMs` under `claim`, or returns undefined.
 * `skip locked` lets concurrent senders pass over a row another is claiming, and
 * the moved `next_attempt_at` keeps them off it once the claim commits.
 */
export async function claimNextMail(
  sql: Sql,
  claim: string,
  leaseMs: number,
): Promise<ClaimedMail | undefined> {
  const [row] = await sql<
    {
      id: string;
      event_id: string;
      recipient: string;
      subject: string;
      text_body: string;
      html_body: string;
      template: string;
      traceparent: string | null;
      attempts: number;
    }[]
  >`
    update mail_outbox set
      claim = ${claim},
      attempts = attempts + 1,
      next_attempt_at = now() + ${leaseMs}::float8 * interval '1 millisecond'
    where id = (
      select id from mail_outbox
      where status = 'pending' and next_attempt_at <= now()
      order by next_attempt_at, created_at
      limit 1
      for update skip locked
    )
    returning id, event_id, recipient, subject, text_body, html_body, template, traceparent,
      attempts`;
  if (!row) return undefined;
  return {
    id: row.id,
    eventId: row.event_id,
    recipient: row.recipient,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    template: row.template,
    traceparent: row.traceparent ?? undefined,
    attempts: row.attempts,
  };
}

/**
 * Marks a claimed mail sent and drops its bodies (they hold one-time tokens that
 * have no business staying at rest). `false` when the claim was lost meanwhile.
 */
export async function markMailSent(sql: Sql, id: string, claim: string): Promise<boolean> {
  const rows = await sql`
    update mail_outbox set status = 'sent', sent_at = now(), claim = null,
      text_body = null, html_body = null, last_error = null
    where id = ${id} and claim = ${claim} and status = 'pending'
    returning id`;
  return rows.length > 0;
}

/** Releases a claimed mail to be tried again after `delayMs`, recording why it failed. */
export async function scheduleMailRetry(
  sql: Sql,
  id: string,
  claim: string,
  delayMs: number,
  error: string,
): Promise<boolean> {
  const rows = await sql`
    update mail_outbox set claim = null, last_error = ${error.slice(0, 2000)},
      next_attempt_at = now() + ${Math.round(delayMs)}::float8 * interval '1 millisecond'
    where id = ${id} and claim = ${claim} and status = 'pending'
    returning id`;
  return rows.length > 0;
}

/**
 * Gives a claimed mail back untried (the sender is stopping): due at once, and
 * the claim does not count as an attempt.
 */
export async function releaseMail(sql: Sql, id: string, claim: string): Promise<boolean> {
  const rows = await sql`
    update mail_outbox set claim = null, next_attempt_at = now(), attempts = attempts - 1
    where id = ${id} and claim = ${claim} and status = 'pending'
    returning id`;
  return rows.length > 0;
}

/**
 * Marks a claimed mail as permanently failed (the server refused the recipient).
 * The row stays, bodies included, for an operator to inspect or re-queue with
 * `update mail_outbox set status = 'pending', next_attempt_at = now() where id = …`.
 */
export async function markMailFailed(
  sql: Sql,
  id: string,
  claim: string,
  error: string,
): Promise<boolean> {
  const rows = await sql`
    update mail_outbox set status = 'failed', claim = null, last_error = ${error.slice(0, 2000)}
    where id = ${id} and claim = ${claim} and status = 'pending'
    returning id`;
  return rows.length > 0;
}
