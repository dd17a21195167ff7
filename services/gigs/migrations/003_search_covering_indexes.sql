-- Covering indexes for searches without keywords (browse, filters, seller,
-- sort only). Each index holds every column a search filters or sorts on, its
-- key columns first and the rest INCLUDEd, so any combination of filters is
-- checked on the index entries alone (an index-only scan: no heap page read per
-- gig that fails a filter). Before, "subcategory + delivery ≤ 3, sorted by
-- rating" walked the rating index and read the heap row of every gig to test
-- the delivery filter: up to the whole table for a filter that matches nothing.
--
-- Three families, all partial on active gigs like the indexes they replace:
-- - a sort or a filter leads: rating, price, newest, delivery (any search with
--   no place, and the filter-led counting of facets);
-- - a category leads, then a sort: a search within a category walks only its
--   gigs, in the order asked for;
-- - likewise a subcategory.
-- `id` ends each sort key so the order is total and pages are stable.
drop index gigs_price;
drop index gigs_category_price;
drop index gigs_subcategory_price;
drop index gigs_rating;
drop index gigs_newest;
drop index gigs_delivery;

create index gigs_rating on gigs (rating_average desc nulls last, rating_count desc, id)
  include (category, subcategory, starting_price, min_delivery_days, created_at)
  where status = 'active';
create index gigs_price on gigs (starting_price, id)
  include (category, subcategory, min_delivery_days, rating_average, rating_count, created_at)
  where status = 'active';
create index gigs_newest on gigs (created_at desc, id desc)
  include (category, subcategory, starting_price, min_delivery_days, rating_average, rating_count)
  where status = 'active';
create index gigs_delivery on gigs (min_delivery_days)
  include (id, category, subcategory, starting_price, rating_average, rating_count, created_at)
  where status = 'active';

create index gigs_category_rating on gigs
  (category, rating_average desc nulls last, rating_count desc, id)
  include (subcategory, starting_price, min_delivery_days, created_at) where status = 'active';
create index gigs_category_price on gigs (category, starting_price, id)
  include (subcategory, min_delivery_days, rating_average, rating_count, created_at)
  where status = 'active';
create index gigs_category_newest on gigs (category, created_at desc, id desc)
  include (subcategory, starting_price, min_delivery_days, rating_average, rating_count)
  where status = 'active';

create index gigs_subcategory_rating on gigs
  (subcategory, rating_average desc nulls last, rating_count desc, id)
  include (category, starting_price, min_delivery_days, created_at) where status = 'active';
create index gigs_subcategory_price on gigs (subcategory, starting_price, id)
  include (category, min_delivery_days, rating_average, rating_count, created_at)
  where status = 'active';
create index gigs_subcategory_newest on gigs (subcategory, created_at desc, id desc)
  include (category, starting_price, min_delivery_days, rating_average, rating_count)
  where status = 'active';

-- One seller's active gigs (the seller filter); `gigs_seller` still serves a
-- seller's own list, which shows paused gigs too.
create index gigs_seller_active on gigs (seller_id)
  include (id, category, subcategory, starting_price, min_delivery_days, rating_average,
    rating_count, created_at)
  where status = 'active';
