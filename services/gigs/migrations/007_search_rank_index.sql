-- Relevance on a broad keyword (issue 13). Every match is ordered, and ranking
-- all of them (ts_rank over 36,000 "design" matches of 100,000 gigs) cost
-- 50-170 ms. Only a gig whose title or tags (`rank_vector`) hold a word of the
-- query can rank above 0, so a broad relevance search ranks just those, found
-- through this index, and takes the rest (rank 0) in rating order from
-- gigs_rating (search.ts, keywordPage). Partial on active gigs, as gigs_search.
create index gigs_rank on gigs using gin (rank_vector) where status = 'active';
