-- Data-subject requests the site honoured: a restriction ("do not process my data any more") is kept
-- as long as the site runs, and its visitor's new events are dropped by the collector.
CREATE TABLE IF NOT EXISTS cairn.restrictions
(
    site         LowCardinality(String),
    visitor_id   UInt64,
    requested_at DateTime('UTC') DEFAULT now(),
    requested_by String
)
ENGINE = ReplacingMergeTree
ORDER BY (site, visitor_id);

-- A log of the rights requests carried out (export, erasure, restriction, anonymisation), without the
-- data itself: what the DPO shows a supervisory authority. The visitor appears only as a SHA-256 of
-- (site, visitor_id): after an erasure no table holds the id, yet a DPO who is given it again can find
-- the request.
CREATE TABLE IF NOT EXISTS cairn.privacy_requests
(
    at           DateTime('UTC') DEFAULT now(),
    kind         LowCardinality(String),
    site         String,
    subject      String,
    detail       String,
    requested_by String
)
ENGINE = MergeTree
ORDER BY at;
