-- The sites Cairn counts, editable while it runs: every collector sharing the database reads this table
-- again every few seconds. CAIRN_SITES only seeds it (a site never seen before is created at start).
-- domains: other hosts whose pages count for this site; exclude_paths: path patterns whose events are
-- dropped; exclude_ranges: address ranges (CIDR) compared with the visitor's address after truncation.
CREATE TABLE IF NOT EXISTS cairn.sites
(
    site           String,
    time_zone      String,
    domains        Array(String),
    exclude_paths  Array(String),
    exclude_ranges Array(String),
    created_at     DateTime('UTC') DEFAULT now(),
    deleted        Bool DEFAULT false,
    version        UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY site;
