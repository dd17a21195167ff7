-- Resized WebP variants of avatars and gig images (variants.ts). `complete`
-- queues a job in the transaction that makes the file ready; a worker loop on
-- every replica claims jobs with SKIP LOCKED, renders in a Web Worker and
-- writes the variants next to the original. Both go with their file.
create table media_variant_jobs (
  media_id uuid primary key references media (id) on delete cascade,
  state text not null default 'queued' check (state in ('queued', 'done', 'failed')),
  -- Claims so far: a claim counts before the work, so an image that crashes the
  -- process is given up after the limit instead of looping.
  attempts integer not null default 0 check (attempts >= 0),
  -- Not before: a claim pushes it one lease ahead (a replica that died mid-job
  -- leaves it to another after the lease), a failure by its backoff.
  run_after timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now(),
  finished_at timestamptz,
  check ((state = 'queued') = (finished_at is null))
);
create index media_variant_jobs_queued_idx on media_variant_jobs (run_after)
  where state = 'queued';

create table media_variants (
  media_id uuid not null references media (id) on delete cascade,
  width integer not null check (width in (200, 800)),
  height integer not null check (height > 0),
  object_key text not null unique,
  size integer not null check (size > 0),
  primary key (media_id, width)
);
