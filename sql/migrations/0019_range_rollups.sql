-- The dashboard's figures for a range's settled days (from_day … through_day, the site's local days: up to
-- yesterday for a range that runs on to today, less the visits still open at midnight, which loads count
-- with today's; else at most the day before yesterday), computed once from the events and the visits by
-- the sealer (dashboard/server/rollups.ts) for the ranges people look at: a dashboard load then reads these
-- rows and only today's events. One row per (dimension, value): dimension '' holds the range's cards,
-- 'day' and 'month' the graph's buckets, a breakdown's name its rows, and '#seal' is written last, so a
-- seal without it is incomplete and never read (its `rows`: 0 a whole range's, 1 merged with the days after
-- it, 2 merged and leaving open visits).
--
-- Counts are sums, exact whatever the days read raw add to them. Distinct counts (visitors, visits
-- made of distinct sessions, downloaders) are kept twice: exact (*_exact), for a range read entirely
-- from here, and as a uniqCombined64(17) state to merge with the raw days' — a set of the ids' 64-bit
-- hashes up to 4,096 ids, exact, and past it a HyperLogLog sketch of 2^17 cells, whose estimate the
-- API then says is one. A seal holds the hashes of visitor ids: erasure and anonymisation delete a
-- site's seals (sql/privacy.ts) and every seal is gone three days after it was made.
--
-- fingerprint: the site's events from from_day to through_day + 1 day when sealed (+ 2 days for a seal that
-- keeps every visit: one started on its last day may go on the next); a seal whose events no longer count
-- the same (a late event, an erasure, retention) is not read, and the sealer makes it again.
CREATE TABLE IF NOT EXISTS cairn.range_rollups
(
    site              LowCardinality(String),
    from_day          Date,
    through_day       Date,
    sealed_at         DateTime64(3, 'UTC'),
    fingerprint       UInt64,
    dimension         LowCardinality(String),
    value             String,
    -- ZSTD: a quarter smaller than LZ4 on these states (10 M demo events: 23 → 18 MB).
    visitors          AggregateFunction(uniqCombined64(17), UInt64) CODEC(ZSTD(3)),
    visitors_exact    UInt64,
    sessions          AggregateFunction(uniqCombined64(17), UInt64) CODEC(ZSTD(3)),
    sessions_exact    UInt64,
    downloaders       AggregateFunction(uniqCombined64(17), UInt64) CODEC(ZSTD(3)),
    downloaders_exact UInt64,
    rows              UInt64,
    pageviews         UInt64,
    downloads         UInt64,
    events            UInt64,
    visits            UInt64,
    bounces           UInt64,
    duration          UInt64
)
ENGINE = MergeTree
ORDER BY (site, from_day, through_day, sealed_at, dimension, value)
TTL toDateTime(sealed_at) + INTERVAL 3 DAY
-- A load reads a few hundred rows, some of them 49 KB sketches: small granules keep it from reading more.
SETTINGS index_granularity = 256;

-- The events of each site by quarter hour, kept by a materialized view: what a seal's fingerprint sums
-- (a few thousand rows) instead of counting its days' events at every load (10 M rows for 30 days of a
-- 100 M-event year: 46 ms). Quarter hours, because every time zone's midnight falls on one. Only a
-- change detector, from the moment it exists: the events written before are not counted (a seal's
-- fingerprint and a load's read the same counts, and late events add to them), an erasure (a mutation of
-- cairn.events) does not reach it but deletes the seals.
CREATE TABLE IF NOT EXISTS cairn.event_counts
(
    site   LowCardinality(String),
    -- The start of the quarter hour (UTC).
    at     DateTime('UTC'),
    events UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (site, at)
TTL at + toIntervalMonth(25)
-- A replayed insert is dropped here as in cairn.events (0018).
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS cairn.event_counts_mv TO cairn.event_counts AS
SELECT site, toStartOfFifteenMinutes(timestamp) AS at, count() AS events
FROM cairn.events
GROUP BY site, at;

