-- Conversations, messages, read state and custom offers, and the replicas of
-- other services' data they need (written only by event handlers, in the inbox
-- transaction, except that a caller's own name is remembered from their token).

-- The directory: who is who, from auth's `user.registered` (username) and users'
-- `user.profile_updated` (username, display name, avatar; `profile_version`
-- keeps the newest). Not unique by username: events about a rename may arrive
-- out of order; a lookup takes the newest row (`updated_at`).
create table users (
  user_id uuid primary key,
  username text not null check (length(username) between 1 and 64),
  display_name text,
  avatar_url text,
  profile_version bigint,
  updated_at timestamptz not null default now()
);
create index users_by_username on users (lower(username), updated_at desc);

-- Gigs as far as offers go, from gigs' `gig.*` events: owner, status, currency
-- (one per gig). A version older than `source_updated_at` changes nothing; a
-- deleted gig stays deleted.
create table gigs (
  gig_id uuid primary key,
  seller_id uuid not null,
  status text not null check (status in ('active', 'paused', 'deleted')),
  currency text check (currency ~ '^[A-Z]{3}$'),
  source_updated_at timestamptz not null,
  received_at timestamptz not null default now()
);

-- Orders' parties, from `order.created`: an order attached to a message as
-- context must be between the conversation's two users.
create table orders (
  order_id uuid primary key,
  buyer_id uuid not null,
  seller_id uuid not null,
  offer_id uuid,
  received_at timestamptz not null default now()
);

-- Every activity (a new conversation, a message) takes the next number: the
-- conversation list is ordered by it and its cursor is that number.
create sequence activity_seq;

-- One conversation per pair of users: `user_a` is the smaller id.
create table conversations (
  id uuid primary key,
  user_a uuid not null,
  user_b uuid not null,
  created_at timestamptz not null default now(),
  last_activity_at timestamptz not null default now(),
  activity_seq bigint not null default nextval('activity_seq'),
  unique (user_a, user_b),
  check (user_a < user_b)
);

-- Each participant's side of a conversation: read state, block, reminder state.
create table conversation_members (
  conversation_id uuid not null references conversations (id),
  user_id uuid not null,
  other_user_id uuid not null,
  -- Messages up to this `seq` are read (0: none).
  read_upto_seq bigint not null default 0,
  read_at timestamptz,
  -- This user blocked the other one.
  blocked boolean not null default false,
  -- When an unread-message reminder falls due (null: none pending), and when the
  -- last one went out (the next is never due within CHAT_MAIL_DELAY_MINUTES of it).
  remind_at timestamptz,
  reminded_at timestamptz,
  primary key (conversation_id, user_id),
  check (user_id <> other_user_id)
);
create index conversation_members_by_user on conversation_members (user_id);
create index conversation_members_reminders on conversation_members (remind_at)
  where remind_at is not null;

create table messages (
  seq bigserial unique,
  id uuid primary key,
  conversation_id uuid not null references conversations (id),
  sender_id uuid not null,
  -- The sender's id for this send: a retry with the same one is the same message.
  client_id text not null check (length(client_id) between 1 and 100),
  kind text not null check (kind in ('text', 'offer')),
  body text not null check (char_length(body) between 1 and 5000),
  attachments jsonb not null default '[]',
  gig_id uuid,
  order_id uuid,
  offer_id uuid,
  created_at timestamptz not null default now(),
  unique (conversation_id, sender_id, client_id)
);
create index messages_by_conversation on messages (conversation_id, seq);
-- The per-user rate limit counts a sender's messages of the last minute.
create index messages_by_sender on messages (sender_id, created_at);

create table offers (
  id uuid primary key,
  conversation_id uuid not null references conversations (id),
  message_id uuid not null references messages (id),
  seller_id uuid not null,
  buyer_id uuid not null,
  gig_id uuid not null,
  description text not null,
  amount bigint not null check (amount > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  delivery_days int not null check (delivery_days > 0),
  revisions int not null check (revisions >= 0),
  expires_at timestamptz not null,
  status text not null default 'pending'
    check (status in ('pending', 'accepted', 'declined', 'withdrawn', 'expired')),
  order_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (seller_id <> buyer_id)
);
create index offers_pending_expiry on offers (expires_at) where status = 'pending';
