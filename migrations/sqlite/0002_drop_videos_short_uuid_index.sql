-- Nothing looks videos up by short uuid (the search index answers short uuids),
-- and this random-keyed index made every inserted video dirty one more page
-- at a random place: a large part of a first crawl's writes at 1,000,000 videos.
DROP INDEX videos_short_uuid;
