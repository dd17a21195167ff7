-- Who besides the owner may read a private file: the other party of an order a
-- delivery was delivered in, the participants of a conversation an attachment
-- was sent in. Learned from `order.delivered` and `message.sent` (access.ts);
-- a grant goes with its file.
create table media_grants (
  media_id uuid not null references media (id) on delete cascade,
  user_id uuid not null,
  -- Why the grant exists: `order:<id>` or `conversation:<id>` (for support; never read).
  reason text not null check (length(reason) between 1 and 100),
  granted_at timestamptz not null default now(),
  primary key (media_id, user_id)
);
