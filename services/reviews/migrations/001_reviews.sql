-- Reviews of completed orders, and the replicas of other services' data they need.
-- The replicas are written only by event handlers (in the inbox transaction).

-- Who is who, from auth's `user.registered` (and from the verified access token
-- of anyone who posts a review). Usernames are unique case-insensitively in auth;
-- the index makes the username routes a single lookup.
create table users (
  user_id uuid primary key,
  username text not null check (length(username) between 1 and 64),
  updated_at timestamptz not null default now()
);
create unique index users_username_key on users (lower(username));

-- Orders as far as reviewing goes, from orders' `order.created`, `order.completed`
-- and `order.cancelled`. Events may come in any order and more than once: each
-- column is set by the first event that knows it and never cleared, so a late or
-- repeated event changes nothing it should not. Order ids are kept as orders
-- writes them (text), gig and user ids are UUIDs from gigs and auth.
create table orders (
  order_id text primary key check (order_id ~ '^[A-Za-z0-9_-]{1,100}$'),
  gig_id uuid not null,
  buyer_id uuid not null,
  seller_id uuid not null,
  -- The gig's title when it was ordered (from order events); null until one carries it.
  gig_title text,
  completed_at timestamptz,
  cancelled_at timestamptz,
  first_seen_at timestamptz not null default now(),
  -- Buying one's own gig would let a seller rate themselves.
  check (buyer_id <> seller_id)
);

create table reviews (
  id uuid primary key,
  order_id text not null references orders (order_id),
  gig_id uuid not null,
  reviewer_id uuid not null,
  reviewee_id uuid not null,
  direction text not null check (direction in ('buyer_to_seller', 'seller_to_buyer')),
  rating smallint not null check (rating between 1 and 5),
  comment text not null check (char_length(comment) between 1 and 2000),
  reply text check (char_length(reply) between 1 and 2000),
  replied_at timestamptz,
  created_at timestamptz not null default now(),
  -- One review per order and direction, whatever races the application loses.
  unique (order_id, direction),
  check (reviewer_id <> reviewee_id),
  check ((reply is null) = (replied_at is null))
);
-- The lists: reviews a user received in one role, and buyers' reviews of a gig,
-- newest first (`id` breaks ties so pages are stable).
create index reviews_by_reviewee on reviews (reviewee_id, direction, created_at desc, id desc);
create index reviews_of_gig on reviews (gig_id, created_at desc, id desc)
  where direction = 'buyer_to_seller';
