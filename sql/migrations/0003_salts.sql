-- Daily random salts for cookieless visitor ids. Kept in ClickHouse so several collectors share them.
-- The collector drops a day's partition once it is older than yesterday (48 h after its creation); the
-- TTL is a backstop for a collector that was down at that moment. Outdated parts are removed from disk
-- within a few seconds instead of ClickHouse's default eight minutes.
CREATE TABLE IF NOT EXISTS cairn.salts
(
    day        Date,
    salt       String,
    created_at DateTime('UTC')
)
ENGINE = MergeTree
PARTITION BY day
ORDER BY day
TTL day + INTERVAL 2 DAY
SETTINGS old_parts_lifetime = 1, cleanup_delay_period = 1, cleanup_delay_period_random_add = 0;
