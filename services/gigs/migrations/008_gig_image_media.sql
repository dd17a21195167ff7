-- Images uploaded to the media service (issue 14): their ids, in the order shown. Their public
-- URLs lead `images` (links follow), so cards keep reading `images[1]`; the ids travel in gig
-- events so the media service can remove a deleted gig's files.
alter table gigs add column image_media_ids uuid[] not null default '{}';
