-- Saved funnels: 2 to 8 of the site's goals in order (their ids), and whether the steps must happen
-- within one visit (the default) or anywhere in the range. Counted by the stats API when asked.
CREATE TABLE IF NOT EXISTS cairn.funnels
(
    site       String,
    id         String,
    name       String,
    steps      Array(String),
    within     LowCardinality(String),
    created_at DateTime('UTC') DEFAULT now(),
    deleted    Bool DEFAULT false,
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (site, id);
