-- Typo tolerance and suggestions (search.ts, suggest.ts). Corrections need no
-- new index: a word's single edits are looked up exactly in search_terms, and
-- its trigram neighbours come from the GIN index as before. (A GiST index for
-- nearest neighbours without a threshold was tried: the planner then probed
-- it for the exact lookups too, 1.3 ms each, and a k-nearest search over
-- 100,000 terms took 55 ms.)

-- Every tag of a gig, whole ("logo design"), for suggestions as a buyer types.
-- Like search_terms it only grows: a tag whose gigs are gone merely suggests a
-- search that finds nothing, until it is used again.
create table search_tags (tag text primary key);
create index search_tags_prefix on search_tags (tag text_pattern_ops);

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
  insert into search_tags (tag)
    select distinct lower(tag) from unnest(new.tags) as tag
    where length(tag) between 2 and 60
  on conflict do nothing;
  return new;
end $$;

insert into search_tags (tag)
  select distinct lower(tag) from gigs, unnest(tags) as tag
  where length(tag) between 2 and 60
on conflict do nothing;
