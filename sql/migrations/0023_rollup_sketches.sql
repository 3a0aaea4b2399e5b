-- The seals' distinct-count states become uniqCombined64(16), half the room and merge time of (17)'s, each
-- with its own estimate beside it: a load adds to a seal's exact count what the days after it add to that
-- estimate (dashboard/server/rollups.ts, STATE). As 0019's otherwise. The seals are only ever derived from
-- the events and remade by the sealer, so the table is made again empty rather than converted (a state of
-- another precision cannot be): the server seals again as it starts.
DROP TABLE IF EXISTS cairn.range_rollups SYNC;

CREATE TABLE IF NOT EXISTS cairn.range_rollups
(
    site                 LowCardinality(String),
    from_day             Date,
    through_day          Date,
    sealed_at            DateTime64(3, 'UTC'),
    fingerprint          UInt64,
    dimension            LowCardinality(String),
    value                String,
    visitors             AggregateFunction(uniqCombined64(16), UInt64) CODEC(ZSTD(3)),
    -- The state's own estimate (0 where the seal keeps no state).
    visitors_estimate    UInt64,
    visitors_exact       UInt64,
    sessions             AggregateFunction(uniqCombined64(16), UInt64) CODEC(ZSTD(3)),
    sessions_estimate    UInt64,
    sessions_exact       UInt64,
    downloaders          AggregateFunction(uniqCombined64(16), UInt64) CODEC(ZSTD(3)),
    downloaders_estimate UInt64,
    downloaders_exact    UInt64,
    rows                 UInt64,
    pageviews            UInt64,
    downloads            UInt64,
    events               UInt64,
    visits               UInt64,
    bounces              UInt64,
    duration             UInt64
)
ENGINE = MergeTree
ORDER BY (site, from_day, through_day, sealed_at, dimension, value)
TTL toDateTime(sealed_at) + INTERVAL 3 DAY
SETTINGS index_granularity = 256;
