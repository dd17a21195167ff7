-- Small heap rows for search. A keyword search reads the heap row of each gig
-- its GIN index matches (up to ~1,300 per search: the ranked first matches and
-- the counted ones) for a few short columns, but a gig's row carried its
-- description, packages, FAQ and full tsvector inline: about 2 KB, so 100,000
-- gigs filled ~190 MB of heap, more than PostgreSQL's default shared buffers,
-- and those reads went to the operating system's cache.
--
-- 1. Relevance is ranked on `rank_vector` (title A, tags B), about 140 bytes,
--    instead of the whole `search_vector`: a match in the description still
--    finds a gig (the GIN index is on `search_vector`), but only the title and
--    tags order the results, and ranking no longer reads the large vector.
-- 2. `toast_tuple_target = 256`: when PostgreSQL toasts a row (it does for
--    rows over ~2 KB, which a gig with a real description, three packages and
--    an FAQ is), it now moves the large columns (description, packages,
--    requirements, FAQ, search_vector) out of line until the row is under 256
--    bytes, not merely under 2 KB. The heap row keeps the short columns search
--    reads: ~330 bytes, ~35 MB for the benchmark's 100,000 gigs. A gig under
--    2 KB stays inline whole, as before. `rank_vector` and `title` are kept
--    inline (storage MAIN) because search reads them.
--    Reading a whole gig (detail, edit) fetches the out-of-line values, which
--    costs a few more page reads there; detail answers are cached in Redis.
alter table gigs set (toast_tuple_target = 256);
alter table gigs add column rank_vector tsvector;
alter table gigs alter column rank_vector set storage main;
alter table gigs alter column title set storage main;

create or replace function gigs_search_fields() returns trigger language plpgsql as $$
begin
  new.rank_vector :=
    setweight(to_tsvector('english', new.title), 'A') ||
    setweight(to_tsvector('english', array_to_string(new.tags, ' ')), 'B');
  new.search_vector := new.rank_vector || setweight(to_tsvector('english', new.description), 'C');
  insert into search_terms (term)
    select distinct word
    from regexp_split_to_table(lower(new.title || ' ' || array_to_string(new.tags, ' ')),
                               '[^[:alnum:]]+') as word
    where length(word) between 3 and 40
  on conflict do nothing;
  return new;
end $$;

-- Fills rank_vector and rewrites every row, which stores it under the new
-- target. (One statement: fine for the catalogs this migration meets; a large
-- live table would be backfilled in batches.)
update gigs set rank_vector =
  setweight(to_tsvector('english', title), 'A') ||
  setweight(to_tsvector('english', array_to_string(tags, ' ')), 'B');
alter table gigs alter column rank_vector set not null;

-- With rows this small a sequential scan of gigs looks cheap to the planner,
-- and for a broad keyword ("professional ad") it prefers scanning until it has
-- found enough matches over the GIN index. It does not know that testing a row
-- means fetching its out-of-line search_vector: that plan took ~50 ms instead
-- of ~3. No query of this service should scan the whole gigs table (a test
-- reads the plans and fails on one), so sequential scans are made a last
-- resort for every session on this database. Small tables without a usable
-- index are still scanned: the setting only makes the planner prefer any other
-- path.
-- JIT compilation goes off with it: the planner adds a huge fixed cost to a
-- plan with a disfavoured sequential scan (category_counts has no usable
-- index), which crosses `jit_above_cost` and compiled a 0.1 ms query for 10 ms.
-- This service runs short indexed queries only; JIT never pays for itself here.
-- `alter database` reaches sessions that start later; `set` (kept after the
-- migration's transaction commits) covers the session running it.
do $$
begin
  execute format('alter database %I set enable_seqscan = off', current_database());
  execute format('alter database %I set jit = off', current_database());
end $$;
set enable_seqscan = off;
set jit = off;
