-- Who receives what. Order and review events carry user ids only; mails need an
-- address and a name, learned from auth's events into a local directory.
create table user_directory (
  user_id text primary key check (length(user_id) between 1 and 200),
  email text not null,
  username text not null,
  -- occurredAt of the event the row was last learned from: an older event
  -- delivered late never overwrites what a newer one said.
  as_of timestamptz not null,
  updated_at timestamptz not null default now()
);

-- Mails of order and review events whose recipient is not in the directory yet
-- (their user.registered has not arrived). The event's parsed data is kept, and the
-- mail is rendered and moved to mail_outbox, in the transaction that learns the
-- user. The in-app notification does not wait: it needs only the user id.
create table pending_mails (
  user_id text not null,
  event_id uuid not null,
  event_type text not null,
  event_data jsonb not null,
  created_at timestamptz not null default now(),
  primary key (user_id, event_id)
);

-- Who asked for a cancellation, from order.cancellation_requested, so that
-- order.cancellation_answered (which does not say) reaches the party that asked.
create table cancellation_requests (
  request_id text primary key check (length(request_id) between 1 and 200),
  requested_by text not null check (requested_by in ('buyer', 'seller')),
  created_at timestamptz not null default now()
);
