-- Typo tolerance and suggestions (search.ts, suggest.ts).
--
-- Nearest known words by trigram distance, without a threshold: a GiST index
-- answers `order by term <-> word limit n` (k-nearest neighbours). The GIN
-- index's `%` needs a similarity of 0.3, which a word with two neighbouring
-- letters swapped often misses ("desgin" and "design" share 3 of 11 trigrams);
-- the nearest neighbours are then kept only within the true edit distance
-- (Damerau: a swap is one edit), and single edits of short words are found by
-- looking their variants up exactly in the primary key.
create index search_terms_nearest on search_terms using gist (term gist_trgm_ops);

-- Every tag of a gig, whole ("logo design"), for suggestions as a buyer types.
-- Like search_terms it only grows: a tag whose gigs are gone merely suggests a
-- search that finds nothing, until it is used again.
create table search_tags (tag text primary key);
create index search_tags_prefix on search_tags (tag text_pattern_ops);
create index search_tags_nearest on search_tags using gist (tag gist_trgm_ops);

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
