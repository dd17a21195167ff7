-- Gigs, the seller replica they are shown with, favorites, and what search needs.

-- Trigram matching for typo tolerance. pg_trgm is a trusted extension (PostgreSQL
-- 13+), so the database owner creates it without superuser rights.
create extension if not exists pg_trgm;

-- Replica of the users service's profiles, kept from events: `seller.created`,
-- `seller.updated` and `user.profile_updated`. A row with a null `level` is a
-- profile we heard of before (or without) its seller profile: not a seller.
-- Each group of fields remembers when the event it came from happened, so an
-- older event arriving late never overwrites newer data.
create table sellers (
  user_id uuid primary key,
  username text not null,
  display_name text not null,
  avatar_url text,
  profile_at timestamptz not null,
  level text check (level in ('new', 'level_1', 'level_2', 'top_rated')),
  rating_average numeric(3, 2),
  rating_count integer not null default 0,
  seller_at timestamptz
);
create index sellers_username on sellers (lower(username));

create table gigs (
  id uuid primary key,
  seller_id uuid not null references sellers (user_id),
  title text not null,
  description text not null,
  category text not null,
  subcategory text not null,
  tags text[] not null default '{}',
  images text[] not null default '{}',
  packages jsonb not null,
  requirements jsonb not null default '[]',
  faq jsonb not null default '[]',
  -- Derived from the packages on every write, so search filters and sorts on columns.
  currency text not null,
  starting_price bigint not null check (starting_price > 0),
  min_delivery_days integer not null check (min_delivery_days > 0),
  status text not null default 'active' check (status in ('active', 'paused', 'deleted')),
  -- Buyer-to-seller reviews of this gig, from `review.created`.
  rating_sum bigint not null default 0,
  rating_count integer not null default 0,
  rating_average numeric(3, 2) generated always as (
    case when rating_count > 0 then round(rating_sum::numeric / rating_count, 2) end
  ) stored,
  -- Title (A), tags (B) and description (C), set by the trigger below.
  search_vector tsvector not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);

-- Search only ever reads active gigs, so its indexes are partial: smaller, and a
-- paused or deleted gig costs them nothing. Every query states
-- `status = 'active'` literally so the planner can use them.
create index gigs_search on gigs using gin (search_vector) where status = 'active';
-- Price filters and sorts, alone or within a category or subcategory. `id` makes
-- the order total (stable pages); the included columns let facet counts over a
-- price range be answered from the index alone.
create index gigs_price on gigs (starting_price, id) include (category, subcategory)
  where status = 'active';
create index gigs_category_price on gigs (category, starting_price, id) where status = 'active';
create index gigs_subcategory_price on gigs (subcategory, starting_price, id)
  where status = 'active';
create index gigs_rating on gigs (rating_average desc nulls last, rating_count desc, id)
  where status = 'active';
create index gigs_newest on gigs (created_at desc, id desc) where status = 'active';
create index gigs_delivery on gigs (min_delivery_days) where status = 'active';
-- Not partial: a seller's own list shows paused gigs too.
create index gigs_seller on gigs (seller_id, created_at desc);

-- Words of titles and tags, for typo correction: a query word that is not one of
-- them is widened with its nearest trigram neighbours. Only ever grows; a word
-- whose gigs are gone merely matches nothing.
create table search_terms (term text primary key);
create index search_terms_trgm on search_terms using gin (term gin_trgm_ops);

create function gigs_search_fields() returns trigger language plpgsql as $$
begin
  new.search_vector :=
    setweight(to_tsvector('english', new.title), 'A') ||
    setweight(to_tsvector('english', array_to_string(new.tags, ' ')), 'B') ||
    setweight(to_tsvector('english', new.description), 'C');
  insert into search_terms (term)
    select distinct word
    from regexp_split_to_table(lower(new.title || ' ' || array_to_string(new.tags, ' ')),
                               '[^[:alnum:]]+') as word
    where length(word) between 3 and 40
  on conflict do nothing;
  return new;
end $$;

create trigger gigs_search_fields before insert or update of title, tags, description on gigs
  for each row execute function gigs_search_fields();

-- Active gigs per subcategory, kept exact by the trigger below: the category
-- list and the facets of an unfiltered browse read this instead of counting gigs.
create table category_counts (
  category text not null,
  subcategory text not null,
  active integer not null default 0 check (active >= 0),
  primary key (category, subcategory)
);

create function gigs_count_active() returns trigger language plpgsql as $$
declare
  was boolean := tg_op <> 'INSERT' and old.status = 'active';
  is_now boolean := tg_op <> 'DELETE' and new.status = 'active';
begin
  if was and is_now and old.category = new.category and old.subcategory = new.subcategory then
    return null;
  end if;
  -- Two rows change when a gig moves between subcategories; touching them in key
  -- order means two opposite moves cannot deadlock.
  if was and (not is_now or (old.category, old.subcategory) < (new.category, new.subcategory)) then
    update category_counts set active = active - 1
      where category = old.category and subcategory = old.subcategory;
    was := false;
  end if;
  if is_now then
    insert into category_counts (category, subcategory, active)
      values (new.category, new.subcategory, 1)
    on conflict (category, subcategory) do update set active = category_counts.active + 1;
  end if;
  if was then
    update category_counts set active = active - 1
      where category = old.category and subcategory = old.subcategory;
  end if;
  return null;
end $$;

create trigger gigs_count_active after insert or delete or update of status, category, subcategory
  on gigs for each row execute function gigs_count_active();

create table favorites (
  user_id uuid not null,
  gig_id uuid not null references gigs (id),
  created_at timestamptz not null default now(),
  primary key (user_id, gig_id)
);
create index favorites_user_recent on favorites (user_id, created_at desc, gig_id);
