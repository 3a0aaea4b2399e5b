-- Saved segments and annotations of the dashboard (docs/admin-api.md). Small tables, rewritten by version
-- and read with FINAL, like the access tables; a deletion is a new version with deleted = true.

-- A segment: a named set of the stats API's filters (filter name → value, as in its query string), the
-- owner's own, or shared with everyone who reads the site (shared = true, made by a site admin).
-- owner: the email of the person who made it ('operator' for the cairn commands).
CREATE TABLE IF NOT EXISTS cairn.segments
(
    site       String,
    id         String,
    name       String,
    filters    Map(String, String),
    owner      String,
    shared     Bool DEFAULT false,
    created_at DateTime('UTC') DEFAULT now(),
    deleted    Bool DEFAULT false,
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (site, id);

-- An annotation: a dated note on the graph ("campaign launched"). day is the site's local calendar day,
-- as the stats API's ranges and the graph's buckets are: a note stays on the day its author meant, even if
-- the site's time zone changes later.
CREATE TABLE IF NOT EXISTS cairn.annotations
(
    site       String,
    id         String,
    day        Date,
    text       String,
    author     String,
    created_at DateTime('UTC') DEFAULT now(),
    deleted    Bool DEFAULT false,
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (site, id);
