-- Sessions, rolled up from events as they are inserted. A session's rows all carry the same start
-- (the collector assigns it), so (site, day of start, session_id) identifies it and per-site date-range
-- reads stay narrow. Read it through the cairn.sessions view, which merges the partial states.
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
    -- (referrer_source, utm_source, utm_medium, utm_campaign, utm_content, utm_term, browser, os, device, country_code) of the first event
    attribution        AggregateFunction(argMin, Tuple(String, String, String, String, String, String, String, String, String, String), DateTime64(3, 'UTC')),
    consent            SimpleAggregateFunction(max, Bool)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(start)
ORDER BY (site, toDate(start), session_id)
TTL toDateTime(start) + INTERVAL 25 MONTH;

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
    argMinStateIf(pathname, timestamp, name = 'pageview') AS entry_state,
    argMaxStateIf(pathname, timestamp, name = 'pageview') AS exit_state,
    argMinState((toString(referrer_source), toString(utm_source), toString(utm_medium), utm_campaign, utm_content, utm_term,
                 toString(browser), toString(os), toString(device), toString(country_code)), timestamp) AS attribution,
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
    tupleElement(argMinMerge(attribution) AS first_event, 1) AS referrer_source,
    first_event.2 AS utm_source,
    first_event.3 AS utm_medium,
    first_event.4 AS utm_campaign,
    first_event.5 AS utm_content,
    first_event.6 AS utm_term,
    first_event.7 AS browser,
    first_event.8 AS os,
    first_event.9 AS device,
    first_event.10 AS country_code,
    max(consent) AS consent
FROM cairn.sessions_data
GROUP BY site, start, session_id;
