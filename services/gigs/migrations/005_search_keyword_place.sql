-- Keyword search within a category or subcategory. The planner picked the
-- subcategory's B-tree and tested each of its gigs against the keywords, which
-- reads each one's out-of-line search_vector (it cannot see that cost): 10 ms
-- for "web development" in web-development. With category and subcategory in
-- the GIN index itself (btree_gin), one index scan intersects the keyword's
-- posting lists with the place's, and only gigs matching both are read.
-- Price, delivery and rating stay out of it: a range over many distinct values
-- would make the index union many posting lists; they are tested on the (small)
-- heap rows of the matches instead.
-- btree_gin is a trusted extension (PostgreSQL 13+): the database owner
-- creates it without superuser rights.
create extension if not exists btree_gin;
drop index gigs_search;
create index gigs_search on gigs using gin (search_vector, category, subcategory)
  where status = 'active';
