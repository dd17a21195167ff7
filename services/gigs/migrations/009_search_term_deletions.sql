-- Two-edit typos by symmetric deletion (search.ts `planWords`). A query word
-- of 6+ letters may carry two edits, and its candidates came from its 30 most
-- similar known words by trigrams (similarity >= 0.3): over the 100,000 seed
-- gigs every one of the 19 two-edit typos the gig_typos benchmark missed (of
-- 91) kept too few trigrams to be read at all ("stkatgey" shares 0.12 of
-- "strategy"'s). Two words are within two edits (Damerau: insertion,
-- deletion, substitution, swap of neighbours) only if deleting at most two
-- characters from each gives the same string, so every known word is stored
-- under each of its deletions of up to two characters, and a query word's own
-- deletions are looked up exactly in the primary key: every known word within
-- two edits comes back, whatever its trigrams; search.ts keeps those truly
-- within the budget. Keys shorter than 4 characters are left out: a word of
-- 6+ letters minus two is never shorter. (search.ts `deletionVariants` makes
-- the same keys of the query word.)
--
-- Idempotent: every object is created if missing or replaced, and the
-- backfill skips rows already present.

-- `term` itself (4+ characters) and every string made by deleting one or two
-- of its characters, 4+ characters long.
create or replace function search_term_keys(term text) returns setof text
language sql immutable strict parallel safe as $$
  select term where length(term) >= 4
  union
  select substr(term, 1, i - 1) || substr(term, i + 1)
  from generate_series(1, length(term)) as i
  where length(term) >= 5
  union
  select substr(term, 1, i - 1) || substr(term, i + 1, j - i - 1) || substr(term, j + 1)
  from generate_series(1, length(term)) as i, generate_series(i + 1, length(term)) as j
  where length(term) >= 6
$$;

create table if not exists search_term_deletions (
  key text not null,
  term text not null,
  primary key (key, term)
);

-- search_terms only grows (gigs_search_fields inserts new words, on conflict
-- do nothing), so each word's keys are added once, when the word first
-- appears; the trigger fires only for rows actually inserted.
create or replace function search_terms_keys() returns trigger language plpgsql as $$
begin
  insert into search_term_deletions (key, term)
    select k, new.term from search_term_keys(new.term) as k
  on conflict do nothing;
  return null;
end $$;

drop trigger if exists search_terms_keys on search_terms;
create trigger search_terms_keys after insert on search_terms
  for each row execute function search_terms_keys();

insert into search_term_deletions (key, term)
  select k, t.term from search_terms t, search_term_keys(t.term) as k
on conflict do nothing;

-- Nothing reads terms by trigrams any more (similarity() still orders the
-- candidates, computed on each; pg_trgm stays for it).
drop index if exists search_terms_trgm;
