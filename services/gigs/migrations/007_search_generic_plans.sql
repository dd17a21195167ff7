-- A keyword search orders the first 1,000 matches the full-text index returns
-- (a LIMIT inside a materialized CTE, search.ts). PostgreSQL plans a prepared
-- statement for its values five times, then may switch to a generic plan that
-- reaches the matches by another path: its first 1,000 were other gigs, so the
-- pages of one broad search were cut from different candidate sets
-- (search_oracle_test.ts saw 30 of 1,000 results twice across the pages of
-- "logo" by price). One plan for every execution keeps the candidates the same
-- from page to page. Generic rather than custom: planning each execution put
-- the search benchmark's p95 at 108 ms (PostgreSQL 68 % of a core) against
-- 26 ms with generic plans (48 %), 100/s over 100,000 gigs. The cost: a cold
-- search with no keyword and no filter (a sort alone) took 84 ms at the median
-- instead of 5 ms. A new ANALYZE can still change the plan, and with it the
-- candidates of a search paged across that moment.
do $$
begin
  execute format('alter database %I set plan_cache_mode = force_generic_plan', current_database());
end $$;
set plan_cache_mode = force_generic_plan;
