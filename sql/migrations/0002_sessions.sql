-- Sessions, rolled up from events as they are inserted. A session's rows all carry the same start (the
-- collector assigns it), so (site, day of start, session_id) identifies it and per-site date-range reads
-- stay narrow. A visit's attributes (source, UTM, client, country, consent) are the same on all its
-- events, so each partial row holds them as plain values: filters apply before the merge, in WHERE.
-- Read it through the cairn.sessions view, which merges the partial rows.
CREATE TABLE IF NOT EXISTS cairn.sessions_data
(
    site               LowCardinality(String),
    start              DateTime64(3, 'UTC'),
    session_id         UInt64,
    visitor_id         SimpleAggregateFunction(any, UInt64),
    last_event_at      SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    pageview_count     SimpleAggregateFunction(sum, UInt64),
    event_count        SimpleAggregateFunction(sum, UInt64),
    interactive_count  SimpleAggregateFunction(sum, UInt64),
    entry_state        AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    exit_state         AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    referrer_source    SimpleAggregateFunction(any, LowCardinality(String)),
    utm_source         SimpleAggregateFunction(any, LowCardinality(String)),
    utm_medium         SimpleAggregateFunction(any, LowCardinality(String)),
    utm_campaign       SimpleAggregateFunction(any, String),
    utm_content        SimpleAggregateFunction(any, String),
    utm_term           SimpleAggregateFunction(any, String),
    browser            SimpleAggregateFunction(any, LowCardinality(String)),
    os                 SimpleAggregateFunction(any, LowCardinality(String)),
    device             SimpleAggregateFunction(any, LowCardinality(String)),
    country_code       SimpleAggregateFunction(any, LowCardinality(String)),
    consent            SimpleAggregateFunction(max, Bool)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(start)
ORDER BY (site, toDate(start), session_id)
TTL toDateTime(start) + toIntervalMonth(25);

-- Engagement events extend a session (its end, hence its duration) but are not counted as events.
-- Any event other than a pageview or engagement that is interactive means the visit was no bounce.
CREATE MATERIALIZED VIEW IF NOT EXISTS cairn.sessions_mv TO cairn.sessions_data AS
SELECT
    site,
    session_start AS start,
    session_id,
    any(visitor_id) AS visitor_id,
    max(timestamp) AS last_event_at,
    countIf(name = 'pageview') AS pageview_count,
    countIf(name != 'engagement') AS event_count,
    countIf(name NOT IN ('pageview', 'engagement') AND interactive) AS interactive_count,
    argMinStateIf(CAST(pathname, 'String'), timestamp, name = 'pageview') AS entry_state,
    argMaxStateIf(CAST(pathname, 'String'), timestamp, name = 'pageview') AS exit_state,
    any(referrer_source) AS referrer_source,
    any(utm_source) AS utm_source,
    any(utm_medium) AS utm_medium,
    any(utm_campaign) AS utm_campaign,
    any(utm_content) AS utm_content,
    any(utm_term) AS utm_term,
    any(browser) AS browser,
    any(os) AS os,
    any(device) AS device,
    any(country_code) AS country_code,
    max(consent) AS consent
FROM cairn.events
GROUP BY site, start, session_id;

-- One row per session with Plausible's definitions: duration = last event - first event (engagement
-- events included), bounce = at most one pageview and no interactive event.
CREATE VIEW IF NOT EXISTS cairn.sessions AS
SELECT
    site,
    session_id,
    any(visitor_id) AS visitor_id,
    start,
    max(last_event_at) AS `end`,
    toUInt32(dateDiff('second', start, max(last_event_at))) AS duration,
    sum(pageview_count) AS pageviews,
    sum(event_count) AS events,
    argMinMerge(entry_state) AS entry_page,
    argMaxMerge(exit_state) AS exit_page,
    toBool(sum(pageview_count) <= 1 AND sum(interactive_count) = 0) AS is_bounce,
    any(referrer_source) AS referrer_source,
    any(utm_source) AS utm_source,
    any(utm_medium) AS utm_medium,
    any(utm_campaign) AS utm_campaign,
    any(utm_content) AS utm_content,
    any(utm_term) AS utm_term,
    any(browser) AS browser,
    any(os) AS os,
    any(device) AS device,
    any(country_code) AS country_code,
    max(consent) AS consent
FROM cairn.sessions_data
GROUP BY site, start, session_id;
