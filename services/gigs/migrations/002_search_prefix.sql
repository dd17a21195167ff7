-- Prefix completion for keyword search: a partly typed word ("illustr") is
-- expanded into the few known title/tag words it begins ("illustration",
-- "illustrator") instead of a `illustr:*` prefix tsquery, which would read every
-- posting list of every lexeme that starts so (descriptions included). The
-- primary key's B-tree sorts by the database collation; a prefix is a range in
-- byte order, which pattern ops index (`~>=~`, `~<~`).
create index search_terms_prefix on search_terms (term text_pattern_ops);
