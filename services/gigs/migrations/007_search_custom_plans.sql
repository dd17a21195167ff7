-- A keyword search orders the first 1,000 matches the full-text index returns
-- (a LIMIT inside a materialized CTE, search.ts). After five executions of a
-- prepared statement PostgreSQL may switch to a generic plan, built without
-- the parameters' values, which can reach the matches by another path: its
-- first 1,000 were other gigs, so the pages of one broad search were cut from
-- different candidate sets (search_oracle_test.ts saw 30 of 1,000 results twice
-- across the pages of "logo" by price). A plan made for each execution's
-- values picks the same path every time, and was the better plan for these
-- skewed filters anyway; planning costs well under a millisecond here.
do $$
begin
  execute format('alter database %I set plan_cache_mode = force_custom_plan', current_database());
end $$;
set plan_cache_mode = force_custom_plan;
