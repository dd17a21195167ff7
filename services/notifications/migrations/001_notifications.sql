-- In-app notifications: what a user sees in the bell menu. Rows are written only
-- by event handlers (in the inbox transaction) and read or marked read by the user.
create table notifications (
  id uuid primary key default gen_random_uuid(),
  -- The owner; auth's user id, kept as text so this service assumes nothing of its format.
  user_id text not null check (length(user_id) between 1 and 200),
  -- The event that caused it; with the unique index below a notification cannot be
  -- created twice for one event even outside the inbox.
  event_id uuid not null,
  type text not null,
  title text not null,
  body text not null,
  link text,
  created_at timestamptz not null default now(),
  read_at timestamptz,
  unique (event_id, user_id)
);
-- The list is newest first per user; unread counts use the partial index.
create index notifications_by_user on notifications (user_id, created_at desc, id desc);
create index notifications_unread_by_user on notifications (user_id) where read_at is null;

-- Mails to send. Event handlers insert rows in the inbox transaction; the sender
-- loop claims, sends and marks them. One row per (event, recipient), so one mail
-- even when an event is delivered twice.
create table mail_outbox (
  id uuid primary key default gen_random_uuid(),
  event_id uuid not null,
  recipient text not null,
  template text not null,
  subject text not null,
  -- Bodies carry one-time tokens; they are cleared once the mail is sent.
  text_body text,
  html_body text,
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
  -- Claims made so far (a claim is an attempt, also one a crashed sender never finished).
  attempts integer not null default 0,
  -- When a sender may next claim the row: now for a new mail, the backoff after a
  -- failed attempt, or the end of the lease while a sender holds it.
  next_attempt_at timestamptz not null default now(),
  -- Random token of the claim in progress; a sender only completes its own claim.
  claim uuid,
  last_error text,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  check (status <> 'pending' or (text_body is not null and html_body is not null))
);
create unique index mail_outbox_once on mail_outbox (event_id, lower(recipient));
create index mail_outbox_due on mail_outbox (next_attempt_at) where status = 'pending';
