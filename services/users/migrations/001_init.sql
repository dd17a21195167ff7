-- Profiles, sellers and the aggregates kept from other services' events.
--
-- Events can arrive in any order (a review may be consumed before the
-- registration of the user it is about), so every fact learned from an event is
-- stored in its own table keyed by user id, with no foreign key to `profiles`.
-- Reads join them; nothing is ever waiting for a row that has not arrived yet.

-- One per account, created from auth's user.registered.
create table profiles (
  user_id uuid primary key,
  username text not null,
  -- Private: shown to the owner only, never in a public profile or an event.
  email text not null,
  display_name text not null,
  bio text not null default '',
  country text,
  languages jsonb not null default '[]',
  avatar_url text,
  time_zone text,
  member_since timestamptz not null,
  updated_at timestamptz not null default now(),
  -- Incremented with every user.profile_updated, so consumers can drop stale copies.
  version integer not null default 1
);
-- Usernames are unique case-insensitively (auth decides; this index only keeps us honest).
create unique index profiles_username_key on profiles (lower(username));

-- From user.email_verified; apart from `profiles` because it may come first.
create table email_verifications (
  user_id uuid primary key,
  verified_at timestamptz not null default now()
);

-- A seller profile; only an existing profile with a verified email may have one.
create table sellers (
  user_id uuid primary key references profiles (user_id),
  description text not null,
  skills jsonb not null,
  languages jsonb not null,
  education jsonb not null,
  certifications jsonb not null,
  portfolio jsonb not null,
  level text not null default 'new' check (level in ('new', 'level_1', 'level_2', 'top_rated')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Incremented with every seller.created/seller.updated (see events.ts).
  version integer not null default 1
);

-- Rating aggregates per user and role, from review.created.
create table rating_aggregates (
  user_id uuid not null,
  role text not null check (role in ('seller', 'buyer')),
  count integer not null default 0,
  sum integer not null default 0,
  stars_1 integer not null default 0,
  stars_2 integer not null default 0,
  stars_3 integer not null default 0,
  stars_4 integer not null default 0,
  stars_5 integer not null default 0,
  primary key (user_id, role)
);

-- Every review counted, by review id: a second event about the same review (a
-- republication with a new event id) adds nothing, and aggregates can be rebuilt.
create table counted_reviews (
  review_id text primary key,
  reviewee_id uuid not null,
  role text not null check (role in ('seller', 'buyer')),
  rating smallint not null check (rating between 1 and 5),
  counted_at timestamptz not null default now()
);

-- Every completed order counted, by order id (same reasons as counted_reviews), with
-- what the seller earned from it (`sellerEarnings`, else `price`).
create table counted_orders (
  order_id text primary key,
  seller_id uuid not null,
  amount bigint not null check (amount >= 0),
  currency text not null,
  counted_at timestamptz not null default now()
);

-- A seller's completed orders and earnings (minor units, one row per currency),
-- the inputs of the level rules besides the rating.
create table seller_stats (
  user_id uuid primary key,
  completed_orders integer not null default 0
);
create table seller_earnings (
  user_id uuid not null,
  currency text not null,
  amount bigint not null default 0,
  primary key (user_id, currency)
);
