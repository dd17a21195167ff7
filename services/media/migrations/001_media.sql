-- Uploads and the files they became. A row is written when an upload is
-- announced (`pending`, with the declared type and size the presigned PUT was
-- signed for) and becomes `ready` once `complete` has checked the stored bytes.
-- Pending rows older than a day are removed with their objects (janitor.ts).
create table media (
  id uuid primary key,
  owner_id uuid not null,
  purpose text not null
    check (purpose in ('avatar', 'gig_image', 'delivery', 'chat_attachment')),
  -- The object key, derived from visibility, purpose and id (purposes.ts).
  object_key text not null unique,
  name text not null check (length(name) between 1 and 255),
  content_type text not null check (length(content_type) between 3 and 127),
  size bigint not null check (size between 1 and 10737418240),
  status text not null default 'pending' check (status in ('pending', 'ready')),
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  check ((status = 'ready') = (completed_at is not null))
);
-- The janitor's walk: oldest pending uploads first.
create index media_pending_created_idx on media (created_at) where status = 'pending';
create index media_owner_idx on media (owner_id, created_at desc);
