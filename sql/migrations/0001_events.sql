-- Every event the collector accepted, one row each. Analysts read this table directly (see sql/README.md).
-- Key: site first, then day, so per-site date-range scans read only their own granules; name next because
-- almost every dashboard query filters on it (pageview, download, …); visitor_id before timestamp keeps one
-- visitor's events together, which compresses better and makes counting distinct visitors cheaper.
-- Paths and link URLs repeat (a site has far fewer pages than pageviews): LowCardinality makes grouping by
-- them cheap.
CREATE TABLE IF NOT EXISTS cairn.events
(
    event_id        UUID DEFAULT generateUUIDv4(),
    site            LowCardinality(String),
    timestamp       DateTime64(3, 'UTC'),
    name            LowCardinality(String),
    visitor_id      UInt64,
    session_id      UInt64,
    session_start   DateTime64(3, 'UTC'),
    consent         Bool,
    interactive     Bool DEFAULT true,
    hostname        LowCardinality(String),
    pathname        LowCardinality(String),
    referrer        String,
    referrer_source LowCardinality(String),
    utm_source      LowCardinality(String),
    utm_medium      LowCardinality(String),
    utm_campaign    String,
    utm_content     String,
    utm_term        String,
    link_url        LowCardinality(String),
    browser         LowCardinality(String),
    browser_version LowCardinality(String),
    os              LowCardinality(String),
    os_version      LowCardinality(String),
    device          LowCardinality(String),
    country_code    LowCardinality(String),
    ip_truncated    IPv6,
    props           Map(String, String),
    engagement_ms   UInt32,
    scroll_depth    UInt8
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (site, toDate(timestamp), name, visitor_id, timestamp)
-- 25 months: the CNIL ceiling for consent-exempt audience measurement.
TTL toDateTime(timestamp) + toIntervalMonth(25);
